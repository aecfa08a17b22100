// How Temporal's answers become HTTP answers: unknown or ended workflows, validator rejections
// (WrongStage, InvalidInput, OnboardingEnded: src/domain/failures.ts), a provider that could not answer
// an update (ProviderUnavailable: 503) and a Temporal server or worker
// that cannot answer in time (503 with Retry-After, so the caller retries; nothing is half-done).
import {
  QueryRejectedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failures';
import { type Problem, problems } from './problem-details';

// gRPC status codes (numeric, to avoid importing grpc-js directly).
export const GRPC = { CANCELLED: 1, UNKNOWN: 2, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, UNAVAILABLE: 14 } as const;

/** The gRPC status code found on an error or its causes, if any. */
export function grpcCodeOf(err: unknown): number | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 6 && e && typeof e === 'object'; depth++) {
    const o = e as { code?: unknown; details?: unknown; metadata?: unknown; cause?: unknown };
    if (typeof o.code === 'number' && ('details' in o || 'metadata' in o)) return o.code;
    e = o.cause;
  }
  return undefined;
}

/** True when the error says the workflow does not exist (or its run has closed, for signals). */
export function isNotFound(err: unknown): boolean {
  return err instanceof WorkflowNotFoundError || grpcCodeOf(err) === GRPC.NOT_FOUND;
}

/** True when Temporal (or the worker, for queries and updates) could not answer in time. */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
  const code = grpcCodeOf(err);
  return (
    code === GRPC.DEADLINE_EXCEEDED ||
    code === GRPC.UNAVAILABLE ||
    code === GRPC.CANCELLED ||
    code === GRPC.RESOURCE_EXHAUSTED ||
    // An update that met a workflow task in flight that failed ("unexpected workflow task failure",
    // e.g. the first task of an onboarding just started): Temporal's state, not the caller's input.
    code === GRPC.FAILED_PRECONDITION ||
    (err instanceof Error && err.name === 'AbortError')
  );
}

const RETRY_AFTER_SECONDS = 5;
/** Retry-After of a per-onboarding limit (LimitReached): the limit holds for the onboarding's life. */
export const LIMIT_REACHED_RETRY_AFTER_SECONDS = 3600;

/**
 * The problem for a Temporal error, or undefined when it is not one this layer understands (the
 * caller rethrows it: a 500, which no client mistake can cause).
 */
export function problemForTemporalError(err: unknown, onboardingId?: string): Problem | undefined {
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause;
    const type = cause instanceof ApplicationFailure ? cause.type : undefined;
    const detail = cause?.message || 'The onboarding refused the call';
    if (type === FailureType.InvalidInput) {
      return { ...problems.badRequest(detail), extensions: { failureType: type, onboardingId } };
    }
    if (type === FailureType.ProviderUnavailable) {
      // A provider kept failing while the user waited (a code check): nothing was counted, so the
      // same call can simply be sent again.
      return { ...problems.unavailable(detail, RETRY_AFTER_SECONDS), extensions: { failureType: type, onboardingId } };
    }
    if (type === FailureType.LimitReached) {
      // A bound per onboarding (CODE_MAX_RESENDS, …): waiting does not lift it; every 429 of this
      // API carries Retry-After, so it says the longest a client should hold back.
      return { ...problems.tooManyRequests(detail, LIMIT_REACHED_RETRY_AFTER_SECONDS), extensions: { failureType: type, onboardingId } };
    }
    if (type === FailureType.RateLimited) {
      // A resend within its cooldown, refused by the validator: the details say when to come back.
      const [first] = (cause instanceof ApplicationFailure ? cause.details : undefined) ?? [];
      const seconds = (first as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
      return problems.tooManyRequests(detail.charAt(0).toUpperCase() + detail.slice(1), typeof seconds === 'number' && seconds > 0 ? seconds : RETRY_AFTER_SECONDS);
    }
    if (type === FailureType.OnboardingEnded) {
      return { status: 409, slug: 'onboarding-ended', title: 'The onboarding has ended', detail, extensions: { failureType: type, onboardingId } };
    }
    return problems.conflict(detail, { failureType: type ?? 'Rejected', onboardingId });
  }
  if (isNotFound(err)) return problems.notFound();
  if (err instanceof QueryRejectedError) {
    return problems.conflict('The onboarding cannot answer now', { onboardingId });
  }
  if (isUnavailable(err)) {
    return problems.unavailable('The onboarding service could not answer in time; try again shortly', RETRY_AFTER_SECONDS);
  }
  return undefined;
}
