// How the onboarding calls its providers: each kind of call gets the retry policy and timeouts
// that fit it, declared here beside the proxies. Polling is a retry policy (constant interval,
// capped by a schedule-to-close timeout), so its history does not grow with the number of polls.
import { ActivityCancellationType, ActivityFailure, ApplicationFailure, TimeoutFailure, proxyActivities, proxyLocalActivities, type ActivityOptions } from '@temporalio/workflow';
import type { OnboardingActivities } from '../activities/types';
import type { ProviderFailureDetails } from '../activities/provider-failures';
import type { FailureType } from '../domain/failures';
import type { StepError } from '../domain/onboarding';
import type { OnboardingSettings } from '../domain/onboarding';

export type Providers = OnboardingActivities;

/**
 * Runs one provider step of the journey: quick retries by the activity's policy, then flagged for
 * ops and retried slowly (Onboarding.withAttention). Business outcomes go to the caller.
 */
export type ProviderStep = <T>(step: string, call: (providers: Providers) => Promise<T>) => Promise<T>;

export function providerCalls(settings: OnboardingSettings) {
  const interactive: ActivityOptions = {
    startToCloseTimeout: '10s',
    scheduleToCloseTimeout: '30s',
    retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 4 },
  };
  const steps: ActivityOptions = {
    // A step retries quickly for a short window (STEP_ATTENTION_AFTER, 15 s by default); after
    // that the workflow flags it for ops and keeps retrying slowly (see Onboarding.withAttention).
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: settings.stepAttentionAfter,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
  };
  return {
    /** Calls in a provider step the workflow waits on (create user, send code, finalize, …). */
    step: proxyActivities<Providers>(steps),
    /**
     * A step's first attempt inside the workflow task (patch lean-history, idempotent steps only):
     * one local activity, one marker in the history instead of an activity's three events and the
     * workflow task its answer wakes. No retry here: when it fails, the step's quick retries run as
     * the `step` activity as before, which ops see and can retry.
     */
    stepInTask: proxyLocalActivities<Providers>({ startToCloseTimeout: '10s', retry: { maximumAttempts: 1 } }),
    /**
     * The same calls once a step is flagged: one activity that retries every
     * STEP_SLOW_RETRY_INTERVAL until it works, so the history does not grow with the attempts.
     * No schedule-to-close: the onboarding's own deadline cancels it; an ops retry resets it
     * (the server's ResetActivity), which makes the next attempt at once.
     */
    slowStep: proxyActivities<Providers>({
      startToCloseTimeout: '30s',
      retry: { initialInterval: settings.stepSlowRetryInterval, backoffCoefficient: 1, maximumInterval: settings.stepSlowRetryInterval },
    }),
    /** Calls made while a user waits for the answer (a code check): short, a few attempts. */
    interactive: proxyActivities<Providers>(interactive),
    /**
     * The same calls as local activities (patch lean-history): run inside the workflow task that
     * took the user's update, so the update is accepted and answered in one task, with one marker
     * in the history instead of an activity's three events and a second workflow task.
     */
    interactiveInTask: proxyLocalActivities<Providers>({ ...interactive, localRetryThreshold: '30s' }),
    /** Phase polling after a Success redirect: every poll interval, until the cap. */
    fastPoll: proxyActivities<Providers>({
      startToCloseTimeout: '15s',
      scheduleToCloseTimeout: settings.identificationPollCap,
      retry: {
        initialInterval: settings.identificationPollInterval,
        backoffCoefficient: 1,
        maximumInterval: settings.identificationPollInterval,
      },
    }),
    /**
     * Polling while the user is away at Borica and no redirect has come (the tab may be closed).
     * Cancelled when a redirect comes; waiting for the cancellation to complete means no poll
     * attempt is left running behind the workflow's back.
     */
    backgroundPoll: proxyActivities<Providers>({
      startToCloseTimeout: '15s',
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      scheduleToCloseTimeout: settings.userStepTimeout,
      retry: {
        initialInterval: settings.identificationBackgroundPollInterval,
        backoffCoefficient: 1,
        maximumInterval: settings.identificationBackgroundPollInterval,
      },
    }),
  };
}
export type ProviderCalls = ReturnType<typeof providerCalls>;

/** The ApplicationFailure behind an activity failure, if the activity raised one. */
export function applicationFailureOf(err: unknown): ApplicationFailure | undefined {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return err.cause;
  if (err instanceof ApplicationFailure) return err;
  return undefined;
}

/** True when the activity failed with a business outcome of this type (never retried). */
export function failedWith(err: unknown, ...types: FailureType[]): boolean {
  const failure = applicationFailureOf(err);
  return failure !== undefined && types.includes(failure.type as FailureType);
}

/** A business outcome (non-retryable), as opposed to a provider that kept failing until the timeout. */
export function isBusinessFailure(err: unknown): boolean {
  return applicationFailureOf(err)?.nonRetryable === true;
}

/** The type and a safe message of a failure, for the timeline and ops. */
export function describeFailure(err: unknown): { type: string; message: string } {
  const failure = applicationFailureOf(err);
  if (failure) return { type: failure.type ?? 'ApplicationFailure', message: failure.message };
  if (err instanceof ActivityFailure) {
    const cause = err.cause;
    return { type: cause?.name ?? 'ActivityFailure', message: cause?.message ?? err.message };
  }
  return { type: err instanceof Error ? err.name : 'Error', message: err instanceof Error ? err.message : String(err) };
}

/**
 * What ops see of a step whose quick retries all failed: the last attempt's failure (the cause of
 * a schedule-to-close timeout, when the window ran out during an attempt or its backoff), the
 * provider's HTTP status and the attempt number the worker stamped into it.
 */
export function lastAttemptFailure(err: unknown): Pick<StepError, 'type' | 'message' | 'httpStatus' | 'attempts'> {
  const cause = err instanceof ActivityFailure && err.cause instanceof TimeoutFailure ? err.cause.cause : undefined;
  const last = cause instanceof ApplicationFailure ? cause : applicationFailureOf(err);
  if (!last) return describeFailure(err);
  const details = last.details?.[0] as Partial<ProviderFailureDetails> | undefined;
  return {
    type: last.type ?? 'ApplicationFailure',
    message: last.message,
    ...(typeof details?.httpStatus === 'number' ? { httpStatus: details.httpStatus } : {}),
    ...(typeof details?.attempt === 'number' ? { attempts: details.attempt } : {}),
  };
}
