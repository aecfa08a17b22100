// The onboarding workflow on the time-skipping server: each test drives one behaviour of the
// journey (codes, redirects, polling caps, timeouts, partner events) with provider stand-ins.
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { ApplicationFailure, Duration } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { kycRecordSchema } from '../domain/kyc-record';
import { FailureType } from '../domain/failures';
import type { OnboardingInput, OnboardingView, Stage } from '../domain/onboarding';
import { FakeProviders } from '../../test/support/fake-providers';
import { testKycRecord, testOnboardingInput, testSettings } from '../../test/support/fixtures';
import { createTimeSkippingEnv } from '../../test/support/temporal';
import { attemptStamping } from '../activities/attempt-interceptor';
import { WORKFLOWS_PATH } from '../worker/worker';
import * as messages from './messages';
import { onboardingWorkflow } from './onboarding';

const TASK_QUEUE = 'onboarding-workflow-test';
const providers = new FakeProviders();
let workflowBundle: { code: string };
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
});

// One time-skipping server per test: the server keeps time locked while it believes an activity
// attempt is running, and an attempt cut short by a test's end could otherwise stall later tests.
beforeEach(async () => {
  providers.partnerAccountAnswer = { partnerUserId: 'p100-user', poaRequiredForExtended: false, alreadyExisted: false };
  env = await createTimeSkippingEnv();
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    workflowBundle,
    activities: providers.activities(),
    interceptors: { activity: [attemptStamping] },
  });
  running = worker.run();
});

afterEach(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

type Handle = WorkflowHandle<typeof onboardingWorkflow>;

async function start(overrides: Partial<OnboardingInput> = {}): Promise<{ handle: Handle; input: OnboardingInput }> {
  const input = testOnboardingInput(overrides);
  const handle = await env.client.workflow.start(onboardingWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: `onboarding-${input.onboardingId}`,
    args: [input],
  });
  return { handle, input };
}

/** Ends a test's onboarding that has nothing more to show. */
async function stop(handle: Handle): Promise<void> {
  await handle.terminate('test done');
}

const view = (handle: Handle): Promise<OnboardingView> => handle.query(messages.onboardingView);

/** Waits (in real time, without skipping) until the onboarding reaches a stage. */
async function reach(handle: Handle, stage: Stage, timeoutMs = 20_000): Promise<OnboardingView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await view(handle);
    if (v.stage === stage) return v;
    if (Date.now() > deadline) throw new Error(`expected stage ${stage}, still ${v.stage} (${JSON.stringify(v.lastError ?? {})})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Skips virtual time until the onboarding reaches a stage. */
async function skipUntil(handle: Handle, stage: Stage, step: Duration = '1m', maxSteps = 600): Promise<OnboardingView> {
  for (let i = 0; i < maxSteps; i++) {
    const v = await view(handle);
    if (v.stage === stage) return v;
    await env.sleep(step);
  }
  throw new Error(`stage ${stage} not reached; still ${(await view(handle)).stage}`);
}

async function throughCodes(handle: Handle, input: OnboardingInput): Promise<void> {
  await reach(handle, 'AWAITING_EMAIL_CODE');
  expect(await handle.executeUpdate(messages.submitEmailCode, { args: [{ code: providers.byEmail(input.email).emailCode }] })).toMatchObject({
    accepted: true,
    attemptsLeft: 5,
  });
  const v = await reachAction(handle, 'ENTER_SMS_CODE');
  expect(v.stage).toBe('AWAITING_SMS_CODE');
  await handle.executeUpdate(messages.submitSmsCode, { args: [{ code: providers.byEmail(input.email).smsCode }] });
}

async function reachPartnerKyc(handle: Handle): Promise<OnboardingView> {
  const v = await reach(handle, 'AWAITING_PARTNER_KYC');
  return v.nextAction.type === 'OPEN_URL' ? v : reachAction(handle, 'OPEN_URL');
}

async function reachAction(handle: Handle, type: string): Promise<OnboardingView> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const v = await view(handle);
    if (v.nextAction.type === type) return v;
    if (Date.now() > deadline) throw new Error(`expected next action ${type}, still ${JSON.stringify(v.nextAction)} at ${v.stage}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Drives an onboarding to the signing step of Phase B (the signing URL handed to the user). */
async function toSignature(handle: Handle, input: OnboardingInput): Promise<void> {
  await throughCodes(handle, input);
  await reach(handle, 'AWAITING_IDENTIFICATION');
  providers.setStatus(input.email, 'SIGN_SESSION_ID_SUCCESSFULLY_CREATED', 'https://borica.test/signing/1');
  await handle.signal(messages.boricaRedirectReceived, { outcome: 'success', query: { bTrustAppCallBackId: 'cb-1' } });
  await reach(handle, 'AWAITING_SIGNATURE');
}

async function toPartnerKyc(handle: Handle, input: OnboardingInput): Promise<void> {
  await toSignature(handle, input);
  providers.setStatus(input.email, 'DOCUMENT_SIGN_SUCCESS');
  await handle.signal(messages.boricaRedirectReceived, { outcome: 'success', query: { bTrustAppCallBackId: 'cb-2' } });
  await reachPartnerKyc(handle);
}

async function eventually(check: () => void | Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const withProfile = () => ({ profile: kycRecordSchema.parse(testKycRecord()) });

const partnerEvent = (handle: Handle, input: OnboardingInput, type: 'user-status' | 'kyc-verification-status', status: string, verificationId?: string) =>
  handle.signal(messages.partnerEventReceived, {
    type,
    payload: { externalUserId: input.onboardingId, status, ...(verificationId ? { verificationId } : {}) },
  } as never);

describe('the 10nPay journey', () => {
  it('walks a user from creation to an active partner account and keeps every id', async () => {
    const { handle, input } = await start(withProfile());
    await toPartnerKyc(handle, input);
    const { ids } = await view(handle);
    await partnerEvent(handle, input, 'kyc-verification-status', 'APPROVED', ids.verificationId);
    await reach(handle, 'VERIFYING_PARTNER_ACCOUNT');
    await partnerEvent(handle, input, 'user-status', 'ACTIVE');
    const result = await handle.result();
    expect(result.stage).toBe('COMPLETED');
    // Files: the end reaches the worker's record step, which deletes the uploaded documents.
    expect(providers.endsRecorded).toContain(input.onboardingId);
    expect(result.ids).toMatchObject({ userId: expect.any(Number), individualId: expect.any(Number), correlationId: expect.any(String), externalUserId: input.onboardingId });
    expect(result.timeline.map((t) => t.step)).toEqual(
      expect.arrayContaining(['userCreated', 'emailConfirmed', 'phoneVerified', 'identificationVerified', 'documentsSigned', 'identificationFinalized', 'partnerAccountActive', 'completed']),
    );
  });

  it('counts wrong SMS codes down and fails the onboarding after the fifth', async () => {
    const { handle, input } = await start();
    await reach(handle, 'AWAITING_EMAIL_CODE');
    await handle.executeUpdate(messages.submitEmailCode, { args: [{ code: providers.byEmail(input.email).emailCode }] });
    await reachAction(handle, 'ENTER_SMS_CODE');
    for (let left = 4; left >= 0; left--) {
      expect(await handle.executeUpdate(messages.submitSmsCode, { args: [{ code: '000000' }] })).toMatchObject({ accepted: false, attemptsLeft: left });
    }
    const result = await handle.result();
    expect(result).toMatchObject({ stage: 'FAILED', reason: 'SmsCodeAttemptsExceeded' });
  });

  it('refuses an SMS code before the SMS was sent, and a malformed code, without counting them', async () => {
    const { handle } = await start();
    await reach(handle, 'AWAITING_EMAIL_CODE');
    const refused = await handle.executeUpdate(messages.submitSmsCode, { args: [{ code: '123456' }] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(((refused as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe('WrongStage');
    const malformed = await handle.executeUpdate(messages.submitEmailCode, { args: [{ code: 'abc' }] }).catch((e: unknown) => e);
    expect(((malformed as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe('InvalidInput');
    expect((await view(handle)).attemptsLeft).toEqual({ emailCode: 5, smsCode: 5 });
    await stop(handle);
  });

  it('holds a resend back during the cooldown (its validator refuses it: RateLimited) and sends it after', async () => {
    const { handle, input } = await start();
    await reach(handle, 'AWAITING_EMAIL_CODE');
    const early = await handle.executeUpdate(messages.resendEmailCode).catch((err: unknown) => err);
    expect(early).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (early as WorkflowUpdateFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('RateLimited');
    const retryAfterSeconds = (cause.details?.[0] as { retryAfterSeconds: number }).retryAfterSeconds;
    expect(retryAfterSeconds).toBeGreaterThan(0);
    expect(retryAfterSeconds).toBeLessThanOrEqual(60);
    await env.sleep('61s');
    expect(await handle.executeUpdate(messages.resendEmailCode)).toMatchObject({ accepted: true });
    // Only the latest code is valid at 10nPay; the new one confirms the e-mail.
    expect(await handle.executeUpdate(messages.submitEmailCode, { args: [{ code: providers.byEmail(input.email).emailCode }] })).toMatchObject({ accepted: true });
    await stop(handle);
  });

  it('refuses a resend beyond CODE_MAX_RESENDS per channel (LimitReached), without asking 10nPay', async () => {
    const { handle, input } = await start({ settings: { ...testSettings(), codeMaxResends: 2 } });
    await reach(handle, 'AWAITING_EMAIL_CODE');
    for (let i = 0; i < 2; i++) {
      await env.sleep('61s');
      expect(await handle.executeUpdate(messages.resendEmailCode)).toMatchObject({ accepted: true });
    }
    const sentBefore = providers.calls['sendEmailConfirmation'] ?? 0;
    await env.sleep('61s');
    const refused = await handle.executeUpdate(messages.resendEmailCode).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(((refused as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe('LimitReached');
    expect(providers.calls['sendEmailConfirmation'] ?? 0).toBe(sentBefore);
    // The cap is per channel: the SMS has its own.
    expect(await handle.executeUpdate(messages.submitEmailCode, { args: [{ code: providers.byEmail(input.email).emailCode }] })).toMatchObject({ accepted: true });
    await reachAction(handle, 'ENTER_SMS_CODE');
    await env.sleep('61s');
    expect(await handle.executeUpdate(messages.resendSmsCode)).toMatchObject({ accepted: true });
    await stop(handle);
  });

  it('ends ABANDONED when the e-mail code never comes', async () => {
    const { handle, input } = await start();
    await reach(handle, 'AWAITING_EMAIL_CODE');
    await env.sleep('25h');
    expect(await handle.result()).toMatchObject({ stage: 'ABANDONED', reason: 'EmailNotConfirmed', nextAction: { type: 'NONE' } });
    expect(providers.endsRecorded).toContain(input.onboardingId);
  });

  it('fails with EmailAlreadyRegistered, flagged for ops, when 10nPay knows the e-mail', async () => {
    const input = testOnboardingInput();
    providers.registeredEmails.add(input.email);
    const handle = await env.client.workflow.start(onboardingWorkflow, { taskQueue: TASK_QUEUE, workflowId: `onboarding-${input.onboardingId}`, args: [input] });
    expect(await handle.result()).toMatchObject({ stage: 'FAILED', reason: 'EmailAlreadyRegistered', needsAttention: true });
    expect(providers.endsRecorded).toContain(input.onboardingId);
  });
});

describe('when a provider or the clock interrupts the user', () => {
  it('answers a code check whose provider keeps failing as ProviderUnavailable, and counts no attempt', async () => {
    const { handle, input } = await start();
    await reach(handle, 'AWAITING_EMAIL_CODE');
    // 10nPay answers 5xx on every quick retry of the check.
    providers.failNext('confirmEmail', ...Array<string>(4).fill('ProviderUnavailable'));
    const code = providers.byEmail(input.email).emailCode;
    const failed = await handle.executeUpdate(messages.submitEmailCode, { args: [{ code }] }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(((failed as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe('ProviderUnavailable');
    expect(await view(handle)).toMatchObject({ stage: 'AWAITING_EMAIL_CODE', attemptsLeft: { emailCode: 5, smsCode: 5 } });
    // Once 10nPay answers again the same code confirms the e-mail, with every attempt left.
    expect(await handle.executeUpdate(messages.submitEmailCode, { args: [{ code }] })).toMatchObject({ accepted: true, attemptsLeft: 5 });
    await stop(handle);
  });

  it('cancels the running step when the onboarding times out, and ends ABANDONED', async () => {
    const { handle, input } = await start({ settings: testSettings({ onboardingTimeout: '10s' }) });
    await reach(handle, 'AWAITING_EMAIL_CODE');
    // The SMS is being sent when the onboarding's time runs out.
    const sending = providers.hold('sendSmsCode');
    await handle.executeUpdate(messages.submitEmailCode, { args: [{ code: providers.byEmail(input.email).emailCode }] });
    await sending.entered;
    const result = await handle.result();
    sending.release();
    expect(result).toMatchObject({ stage: 'ABANDONED', reason: 'OnboardingTimedOut', nextAction: { type: 'NONE' } });
    const events = (await handle.fetchHistory()).events ?? [];
    const sendScheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendSmsCode');
    const cancelRequested = events.find((e) => e.activityTaskCancelRequestedEventAttributes);
    expect(String(cancelRequested?.activityTaskCancelRequestedEventAttributes?.scheduledEventId)).toBe(String(sendScheduled?.eventId));
  });
});

describe('identification and signing', () => {
  it('offers a restart when Phase A polling reaches its cap, and restarts with isRestartIdentification', async () => {
    const { handle, input } = await start(withProfile());
    await throughCodes(handle, input);
    await reach(handle, 'AWAITING_IDENTIFICATION');
    const initiations = providers.calls['initiateIdentification'] ?? 0;
    await handle.signal(messages.boricaRedirectReceived, { outcome: 'success', query: {} });
    await reach(handle, 'VERIFYING_IDENTIFICATION');
    const v = await skipUntil(handle, 'IDENTIFICATION_FAILED', '30s', 40);
    expect(v.nextAction).toEqual({ type: 'RESTART_IDENTIFICATION' });
    await handle.executeUpdate(messages.restartIdentification, { args: [{ requestedBy: 'user' }] });
    await reach(handle, 'AWAITING_IDENTIFICATION');
    expect(providers.calls['initiateIdentification']).toBe(initiations + 1);
    await stop(handle);
  });

  it('checks the status after a Fail redirect and offers a restart when it did not move on', async () => {
    const { handle, input } = await start(withProfile());
    await throughCodes(handle, input);
    await reach(handle, 'AWAITING_IDENTIFICATION');
    providers.setStatus(input.email, 'ERROR');
    await handle.signal(messages.boricaRedirectReceived, { outcome: 'fail', query: {} });
    expect((await reach(handle, 'IDENTIFICATION_FAILED')).nextAction).toEqual({ type: 'RESTART_IDENTIFICATION' });
    await stop(handle);
  });

  it('moves on without any redirect when the tab was closed, by polling slowly in the background', async () => {
    const { handle, input } = await start(withProfile());
    await throughCodes(handle, input);
    await reach(handle, 'AWAITING_IDENTIFICATION');
    providers.setStatus(input.email, 'SIGN_SESSION_ID_SUCCESSFULLY_CREATED', 'https://borica.test/signing/9');
    const v = await skipUntil(handle, 'AWAITING_SIGNATURE', '10s', 10);
    expect(v.nextAction).toEqual({ type: 'OPEN_URL', url: 'https://borica.test/signing/9', purpose: 'DOCUMENT_SIGNING' });
    await stop(handle);
  });

  it('sends the user back to sign when a late repeat of the first redirect came during signing', async () => {
    const { handle, input } = await start(withProfile());
    await toSignature(handle, input);
    // Indistinguishable from the signing redirect: it starts fast polling, which runs out unsigned.
    await handle.signal(messages.boricaRedirectReceived, { outcome: 'success', query: { bTrustAppCallBackId: 'cb-1' } });
    await reach(handle, 'VERIFYING_SIGNATURE');
    await env.sleep('6m');
    const v = await reach(handle, 'AWAITING_SIGNATURE');
    expect(v.nextAction).toEqual({ type: 'OPEN_URL', url: 'https://borica.test/signing/1', purpose: 'DOCUMENT_SIGNING' });
    expect(v.timeline.map((t) => t.step)).toContain('redirect:stale:B');
    // The real signing redirect still completes the phase.
    providers.setStatus(input.email, 'DOCUMENT_SIGN_SUCCESS');
    await handle.signal(messages.boricaRedirectReceived, { outcome: 'success', query: { bTrustAppCallBackId: 'cb-1' } });
    await reach(handle, 'AWAITING_PARTNER_KYC');
    await stop(handle);
  });

  it('ignores a repeated redirect while the phase is being verified', async () => {
    const { handle, input } = await start(withProfile());
    await throughCodes(handle, input);
    await reach(handle, 'AWAITING_IDENTIFICATION');
    await handle.signal(messages.boricaRedirectReceived, { outcome: 'success', query: {} });
    await reach(handle, 'VERIFYING_IDENTIFICATION');
    await handle.signal(messages.boricaRedirectReceived, { outcome: 'fail', query: {} });
    providers.setStatus(input.email, 'SIGN_SESSION_ID_SUCCESSFULLY_CREATED', 'https://borica.test/signing/5');
    const v = await reach(handle, 'AWAITING_SIGNATURE');
    expect(v.timeline.map((t) => t.step)).toContain('redirect:fail:ignored');
    await stop(handle);
  });

  it('keeps a redirect that arrives before the workflow waits for it', async () => {
    // The identification is still being started at 10nPay when the browser comes back: its first
    // attempt, inside the workflow task that took the SMS code, failed, and the quick retries'
    // activity is in flight. (Set before the codes: that task starts the identification at once.)
    providers.failNext('initiateIdentification', FailureType.ProviderUnavailable);
    const starting = providers.hold('initiateIdentification', { after: 1 });
    const { handle, input } = await start(withProfile());
    await throughCodes(handle, input);
    await starting.entered;
    expect((await view(handle)).stage).toBe('STARTING_IDENTIFICATION');
    await handle.signal(messages.boricaRedirectReceived, { outcome: 'success', query: {} });
    starting.release();
    // Once 10nPay answers, the kept redirect starts Phase A polling at once.
    await reach(handle, 'VERIFYING_IDENTIFICATION');
    providers.setStatus(input.email, 'SIGN_SESSION_ID_SUCCESSFULLY_CREATED', 'https://borica.test/signing/3');
    await reach(handle, 'AWAITING_SIGNATURE');
    await stop(handle);
  });

  // What the design guarantees is that polling adds no workflow commands: every poll is a retry
  // inside one activity. The workflow tasks around those commands are not compared: the
  // time-skipping server runs a query that arrives while a workflow task is in flight as a
  // strongly consistent query, inside a workflow task of its own that lands in the history, so
  // their number depends on when the test's polling queries happen to arrive.
  it('records the same workflow commands with 1 poll and with 100 polls per phase', async () => {
    const runs: { commands: string[]; pollAttempts: number[] }[] = [];
    for (const polls of [1, 100]) {
      const { handle, input } = await start({ ...withProfile(), settings: testSettings({ identificationPollInterval: '1s', identificationPollCap: '10m' }) });
      await throughCodes(handle, input);
      await reach(handle, 'AWAITING_IDENTIFICATION');
      const user = providers.byEmail(input.email);
      await handle.signal(messages.boricaRedirectReceived, { outcome: 'success', query: {} });
      await reach(handle, 'VERIFYING_IDENTIFICATION');
      const readsA = user.statusReads;
      while (user.statusReads < readsA + polls - 1) await env.sleep('1s');
      providers.setStatus(input.email, 'SIGN_SESSION_ID_SUCCESSFULLY_CREATED', 'https://borica.test/signing/h');
      await reach(handle, 'AWAITING_SIGNATURE');
      await handle.signal(messages.boricaRedirectReceived, { outcome: 'success', query: { bTrustAppCallBackId: 'cb-h' } });
      await reach(handle, 'VERIFYING_SIGNATURE');
      const readsB = user.statusReads;
      while (user.statusReads < readsB + polls - 1) await env.sleep('1s');
      providers.setStatus(input.email, 'DOCUMENT_SIGN_SUCCESS');
      await reachPartnerKyc(handle);
      runs.push(commandsAndPolls(await handle.fetchHistory()));
      await stop(handle);
    }
    const [onePoll, hundredPolls] = runs as [(typeof runs)[0], (typeof runs)[0]];
    // The record's writes are local activities flushed one after the other (src/workflows/record.ts):
    // how many there are does not depend on the polls, but where a marker lands among the other
    // events depends on how fast the local activity answered. So: the same commands in the same
    // order without the markers, and as many markers.
    const withoutMarkers = (commands: string[]) => commands.filter((c) => c !== 'MARKER_RECORDED');
    const markers = (commands: string[]) => commands.length - withoutMarkers(commands).length;
    expect(withoutMarkers(hundredPolls.commands)).toEqual(withoutMarkers(onePoll.commands));
    expect(markers(hundredPolls.commands)).toBe(markers(onePoll.commands));
    // Each phase's fast poll answered on its last attempt: the polls really happened, as retries.
    // With one poll the status turns to success as the phase starts: the first read may come just
    // before the test flips it (then the second attempt answers), which changes no command.
    expect(onePoll.pollAttempts).toHaveLength(2);
    for (const attempt of onePoll.pollAttempts) expect(attempt).toBeLessThanOrEqual(2);
    expect(hundredPolls.pollAttempts).toHaveLength(2);
    expect(Math.min(...hundredPolls.pollAttempts)).toBeGreaterThanOrEqual(100);
  });
});

const WORKFLOW_TASK_EVENTS = new Set(['WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED', 'WORKFLOW_TASK_COMPLETED']);

/** The history's events without the workflow tasks, and the attempt on which each fast poll answered. */
function commandsAndPolls(history: Awaited<ReturnType<Handle['fetchHistory']>>): { commands: string[]; pollAttempts: number[] } {
  const events = history.events ?? [];
  const eventType = (e: (typeof events)[number]) => (temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, '');
  const scheduled = new Map<string, string>();
  const commands: string[] = [];
  const pollAttempts: number[] = [];
  for (const e of events) {
    const type = eventType(e);
    if (WORKFLOW_TASK_EVENTS.has(type)) continue;
    const activity = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (activity) scheduled.set(String(e.eventId), `${activity}/${e.activityTaskScheduledEventAttributes?.scheduleToCloseTimeout?.seconds ?? ''}`);
    commands.push(activity ? `${type} ${activity}` : type);
    const started = e.activityTaskStartedEventAttributes;
    if (started && scheduled.get(String(started.scheduledEventId)) === 'awaitIdentificationStatus/600') pollAttempts.push(started.attempt ?? 0);
  }
  return { commands, pollAttempts };
}

describe('finalize and provider steps that keep failing', () => {
  it('flags a failing finalize for ops once its quick retries are over, then retries it slowly in one activity until it works', async () => {
    const { handle, input } = await start({ ...withProfile(), settings: testSettings({ stepAttentionAfter: '15s', stepSlowRetryInterval: '10m' }) });
    await toSignature(handle, input);
    // 10nPay's status lags: finalize answers 400 for a while after DOCUMENT_SIGN_SUCCESS.
    providers.failNext('finalizeIdentification', ...Array<string>(200).fill('IdentificationNotCompleted'));
    providers.setStatus(input.email, 'DOCUMENT_SIGN_SUCCESS');
    await handle.signal(messages.boricaRedirectReceived, { outcome: 'success', query: { bTrustAppCallBackId: 'cb-f' } });
    await reach(handle, 'FINALIZING');
    let v = await view(handle);
    for (let i = 0; i < 20 && !v.needsAttention; i++) {
      await env.sleep('5s');
      v = await view(handle);
    }
    // The quick retries of STEP_ATTENTION_AFTER are over: the step is flagged with its last failure.
    expect(v).toMatchObject({
      stage: 'FINALIZING',
      needsAttention: true,
      lastError: { step: 'finalizeIdentification', type: 'IdentificationNotCompleted', httpStatus: 400, attempts: expect.any(Number), since: expect.any(String) },
    });
    const flagged = v.lastError!;
    expect(flagged.attempts).toBeGreaterThanOrEqual(2);
    // The quick window's attempts (the slow activity may already have made its first one).
    expect(flagged.attempts).toBeLessThanOrEqual(providers.calls['finalizeIdentification']!);
    expect(Date.parse(flagged.since!)).toBeLessThanOrEqual(Date.parse(flagged.at));
    // The slow retries: several more attempts, every STEP_SLOW_RETRY_INTERVAL.
    const callsAtFlag = providers.calls['finalizeIdentification']!;
    for (let i = 0; i < 10 && providers.calls['finalizeIdentification']! < callsAtFlag + 3; i++) await env.sleep('10m');
    expect(providers.calls['finalizeIdentification']).toBeGreaterThanOrEqual(callsAtFlag + 3);
    expect((await view(handle)).stage).toBe('FINALIZING');
    providers.failures['finalizeIdentification'] = [];
    v = await skipUntil(handle, 'AWAITING_PARTNER_KYC');
    v = await reachPartnerKyc(handle);
    expect(v).toMatchObject({ stage: 'AWAITING_PARTNER_KYC', nextAction: { type: 'OPEN_URL', purpose: 'PARTNER_KYC' }, needsAttention: false, ids: { individualId: expect.any(Number), correlationId: expect.any(String) } });
    // Two finalize activities in the history (the quick window, then the slow one), whatever the
    // number of attempts: the history does not grow with them.
    const { commands } = commandsAndPolls(await handle.fetchHistory());
    expect(commands.filter((c) => c === 'ACTIVITY_TASK_SCHEDULED finalizeIdentification')).toHaveLength(2);
    // No workflow-level wait remains, so the retryStep update has nothing to re-drive.
    await expect(handle.executeUpdate(messages.retryStep, { args: [{ requestedBy: 'ops-test' }] })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    await stop(handle);
  });

  it('fails the onboarding when finalize answers 404 unknown user', async () => {
    const { handle, input } = await start(withProfile());
    await toSignature(handle, input);
    providers.failNext('finalizeIdentification', 'UnknownUser');
    providers.setStatus(input.email, 'DOCUMENT_SIGN_SUCCESS');
    await handle.signal(messages.boricaRedirectReceived, { outcome: 'success', query: {} });
    expect(await handle.result()).toMatchObject({ stage: 'FAILED', reason: 'UnknownUserAtFinalize', needsAttention: true });
  });

  it('sends the KYC data right after the phone is verified when the setting says so', async () => {
    const { handle, input } = await start({ settings: testSettings({ kycDataSubmissionPoint: 'AFTER_PHONE_VERIFIED' }) });
    const before = providers.calls['addAdditionalData'] ?? 0;
    await throughCodes(handle, input);
    expect((await reach(handle, 'AWAITING_KYC_DATA')).nextAction).toEqual({ type: 'SUBMIT_KYC_DATA' });
    await handle.executeUpdate(messages.submitKycData, { args: [testKycRecord()] });
    await reach(handle, 'AWAITING_IDENTIFICATION');
    expect(providers.calls['addAdditionalData']).toBe(before + 1);
    await stop(handle);
  });

  it('ends CANCELLED with the reason ops gave', async () => {
    const { handle, input } = await start();
    await reach(handle, 'AWAITING_EMAIL_CODE');
    await handle.executeUpdate(messages.cancelOnboarding, { args: [{ requestedBy: 'ops-test', reason: 'duplicate application' }] });
    expect(await handle.result()).toMatchObject({ stage: 'CANCELLED', reason: 'duplicate application', nextAction: { type: 'NONE' } });
    expect(providers.endsRecorded).toContain(input.onboardingId);
  });
});

describe('the P100 partner stage', () => {
  it('applies a webhook that came before the workflow waited for it, and ignores a late PENDING', async () => {
    const { handle, input } = await start(withProfile());
    await partnerEvent(handle, input, 'user-status', 'ACTIVE');
    await toPartnerKyc(handle, input);
    const { ids } = await view(handle);
    await partnerEvent(handle, input, 'kyc-verification-status', 'APPROVED', ids.verificationId);
    await partnerEvent(handle, input, 'kyc-verification-status', 'PENDING', ids.verificationId);
    await partnerEvent(handle, input, 'kyc-verification-status', 'APPROVED', ids.verificationId);
    expect(await handle.result()).toMatchObject({ stage: 'COMPLETED' });
  });

  it('asks P100 for the KYC status when no webhook comes, and keeps waiting', async () => {
    const { handle, input } = await start(withProfile());
    await toPartnerKyc(handle, input);
    const before = providers.calls['getKycStatus'] ?? 0;
    await env.sleep('16m');
    await eventually(() => expect(providers.calls['getKycStatus']).toBe(before + 1));
    expect((await view(handle)).stage).toBe('AWAITING_PARTNER_KYC');
    await stop(handle);
  });

  it('flags for ops an account whose ACTIVE event is overdue, and completes when it comes', async () => {
    const { handle, input } = await start(withProfile());
    await toPartnerKyc(handle, input);
    const { ids } = await view(handle);
    await partnerEvent(handle, input, 'kyc-verification-status', 'APPROVED', ids.verificationId);
    await reach(handle, 'VERIFYING_PARTNER_ACCOUNT');
    await env.sleep('16m');
    await eventually(async () => expect(await view(handle)).toMatchObject({ needsAttention: true, lastError: { type: 'PartnerEventOverdue' } }));
    await partnerEvent(handle, input, 'user-status', 'ACTIVE');
    expect(await handle.result()).toMatchObject({ stage: 'COMPLETED', needsAttention: false });
  });

  it('starts the partner KYC again after P446, and fails after the last attempt', async () => {
    const { handle, input } = await start({ ...withProfile(), settings: testSettings({ partnerKycMaxAttempts: 2 }) });
    await toPartnerKyc(handle, input);
    const created = providers.calls['createKycVerification'] ?? 0;
    providers.failNext('addUserVerification', 'PartnerKycInvalid', 'PartnerKycInvalid');
    let { ids } = await view(handle);
    await partnerEvent(handle, input, 'kyc-verification-status', 'APPROVED', ids.verificationId);
    const deadline = Date.now() + 20_000;
    while ((providers.calls['createKycVerification'] ?? 0) < created + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    ({ ids } = await view(handle));
    expect(ids.verificationId).toBe(`ver-${created + 1}`);
    await partnerEvent(handle, input, 'kyc-verification-status', 'APPROVED', ids.verificationId);
    expect(await handle.result()).toMatchObject({ stage: 'FAILED', reason: 'PartnerKycAttemptsExhausted' });
  });

  it('asks for the KYC files again when P100 answers P427 missing files (method A)', async () => {
    const { handle, input } = await start({ ...withProfile(), settings: testSettings({ partnerKycMethod: 'A' }) });
    await toSignature(handle, input);
    providers.setStatus(input.email, 'DOCUMENT_SIGN_SUCCESS');
    await handle.signal(messages.boricaRedirectReceived, { outcome: 'success', query: {} });
    const files = [{ fileId: `${input.onboardingId}/00000000-0000-4000-8000-000000000001`, contentType: 'image/png' as const, size: 10, sha256: 'a'.repeat(64) }];
    expect((await reachAction(handle, 'UPLOAD_FILES')).nextAction).toEqual({ type: 'UPLOAD_FILES', purpose: 'KYC' });
    providers.failNext('addUserVerification', 'PartnerKycFilesMissing');
    const uploads = providers.calls['uploadKycFiles'] ?? 0;
    await handle.executeUpdate(messages.submitFiles, { args: [{ purpose: 'KYC', files }] });
    await eventually(async () => expect((await view(handle)).timeline.map((t) => t.step)).toContain('partnerKycFilesUploaded#1'));
    expect((await reachAction(handle, 'UPLOAD_FILES')).stage).toBe('AWAITING_FILES');
    await handle.executeUpdate(messages.submitFiles, { args: [{ purpose: 'KYC', files }] });
    await reach(handle, 'VERIFYING_PARTNER_ACCOUNT');
    expect(providers.calls['uploadKycFiles']).toBe(uploads + 2);
    await partnerEvent(handle, input, 'user-status', 'ACTIVE');
    expect(await handle.result()).toMatchObject({ stage: 'COMPLETED' });
  });

  it('fails with a reason back office can act on when the document number is used by another user', async () => {
    const { handle, input } = await start(withProfile());
    await toPartnerKyc(handle, input);
    providers.failNext('addUserVerification', 'PartnerDocumentUsed');
    const { ids } = await view(handle);
    await partnerEvent(handle, input, 'kyc-verification-status', 'APPROVED', ids.verificationId);
    expect(await handle.result()).toMatchObject({ stage: 'FAILED', reason: 'PartnerDocumentNumberUsed', needsAttention: true });
  });

  it('waits for corrected KYC data after a P100 validation error, then goes on', async () => {
    const { handle, input } = await start(withProfile());
    await toPartnerKyc(handle, input);
    providers.failNext('addUserVerification', 'PartnerValidation');
    const { ids } = await view(handle);
    await partnerEvent(handle, input, 'kyc-verification-status', 'APPROVED', ids.verificationId);
    const v = await reachAction(handle, 'SUBMIT_KYC_DATA');
    expect(v.stage).toBe('VERIFYING_PARTNER_ACCOUNT');
    // The identity is locked by now: the correction keeps the person and the document.
    const record = testKycRecord();
    await handle.executeUpdate(messages.submitKycData, { args: [{ ...record, address: { ...record.address, street: 'Corrected Street' } }] });
    await partnerEvent(handle, input, 'user-status', 'ACTIVE');
    expect(await handle.result()).toMatchObject({ stage: 'COMPLETED' });
  });

  it.each([
    ['addUserVerification', 'document', 'PartnerValidation', 'PartnerRefusedLockedIdentity'],
    ['createPartnerAccount', 'person', 'PartnerValidation', 'PartnerRefusedLockedIdentity'],
    ['addAdditionalData', 'person', 'ValidationFailed', 'TennpayRefusedLockedIdentity'],
  ] as const)('ends FAILED (flagged) when %s refuses a field of the locked %s, without waiting for a correction', async (activity, section, failure, reason) => {
    const { handle, input } = await start(withProfile());
    providers.failNext(activity, `${failure}:${section}`);
    if (activity === 'addUserVerification') {
      await toPartnerKyc(handle, input);
      const { ids } = await view(handle);
      await partnerEvent(handle, input, 'kyc-verification-status', 'APPROVED', ids.verificationId);
    } else {
      await toSignature(handle, input);
      providers.setStatus(input.email, 'DOCUMENT_SIGN_SUCCESS');
      await handle.signal(messages.boricaRedirectReceived, { outcome: 'success', query: { bTrustAppCallBackId: 'cb-2' } });
    }
    const ended = await handle.result();
    expect(ended).toMatchObject({ stage: 'FAILED', reason, needsAttention: true });
    expect(ended.lastError).toMatchObject({ type: reason });
    expect(ended.timeline.some((t) => t.step === 'kycDataReceived')).toBe(false);
  });

  it('locks the person and the document once 10nPay identified the person (IdentityLocked), other sections still change', async () => {
    const { handle, input } = await start(withProfile());
    const record = testKycRecord();
    // Before identification, everything may change.
    await reach(handle, 'AWAITING_EMAIL_CODE');
    expect(await handle.executeUpdate(messages.submitKycData, { args: [record] })).toMatchObject({ accepted: true });
    await toSignature(handle, input);
    const before = await view(handle);
    for (const changed of [
      { ...record, person: { ...record.person, lastName: 'Othername' } },
      { ...record, person: { ...record.person, personalNumber: '9999999999' } },
      testKycRecord('TST7777777'),
    ]) {
      const refused = await handle.executeUpdate(messages.submitKycData, { args: [changed] }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(((refused as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe('IdentityLocked');
    }
    // Nothing changed: the timeline has no new kycDataReceived.
    expect((await view(handle)).timeline).toEqual(before.timeline);
    // The same identity with another address is accepted.
    expect(await handle.executeUpdate(messages.submitKycData, { args: [{ ...record, address: { ...record.address, city: 'Plovdiv' } }] })).toMatchObject({ accepted: true });
    await stop(handle);
  });

  it('waits and tries again after P430 too many verifications', async () => {
    const { handle, input } = await start(withProfile());
    await toPartnerKyc(handle, input);
    providers.failNext('addUserVerification', 'PartnerTooManyVerifications');
    const { ids } = await view(handle);
    const before = providers.calls['addUserVerification'] ?? 0;
    await partnerEvent(handle, input, 'kyc-verification-status', 'APPROVED', ids.verificationId);
    await partnerEvent(handle, input, 'user-status', 'ACTIVE');
    expect(await handle.result()).toMatchObject({ stage: 'COMPLETED' });
    expect(providers.calls['addUserVerification']).toBe(before + 2);
  });

  it('asks for the KYC files again when a stored file is missing or P100 refuses a file (P426, P440)', async () => {
    const { handle, input } = await start({ ...withProfile(), settings: testSettings({ partnerKycMethod: 'A' }) });
    await toSignature(handle, input);
    providers.setStatus(input.email, 'DOCUMENT_SIGN_SUCCESS');
    await handle.signal(messages.boricaRedirectReceived, { outcome: 'success', query: {} });
    const files = [{ fileId: `${input.onboardingId}/00000000-0000-4000-8000-000000000002`, contentType: 'image/png' as const, size: 10, sha256: 'b'.repeat(64) }];
    const uploads = providers.calls['uploadKycFiles'] ?? 0;
    for (const refusal of ['StoredFileMissing', 'PartnerFileRejected']) {
      expect((await reachAction(handle, 'UPLOAD_FILES')).nextAction).toEqual({ type: 'UPLOAD_FILES', purpose: 'KYC' });
      providers.failNext('uploadKycFiles', refusal);
      await handle.executeUpdate(messages.submitFiles, { args: [{ purpose: 'KYC', files }] });
      await eventually(async () => expect((await view(handle)).lastError).toMatchObject({ step: 'uploadKycFiles', type: refusal }));
    }
    expect(await reachAction(handle, 'UPLOAD_FILES')).toMatchObject({ stage: 'AWAITING_FILES', nextAction: { purpose: 'KYC' } });
    await handle.executeUpdate(messages.submitFiles, { args: [{ purpose: 'KYC', files }] });
    await reach(handle, 'VERIFYING_PARTNER_ACCOUNT');
    expect(providers.calls['uploadKycFiles']).toBe(uploads + 3);
    await partnerEvent(handle, input, 'user-status', 'ACTIVE');
    expect(await handle.result()).toMatchObject({ stage: 'COMPLETED' });
  });

  it('asks for the proof of address again when P100 refuses a file', async () => {
    providers.partnerAccountAnswer = { partnerUserId: 'p100-user', poaRequiredForExtended: true, alreadyExisted: false };
    const { handle, input } = await start(withProfile());
    await toPartnerKyc(handle, input);
    const { ids } = await view(handle);
    await partnerEvent(handle, input, 'kyc-verification-status', 'APPROVED', ids.verificationId);
    const files = [{ fileId: `${input.onboardingId}/00000000-0000-4000-8000-000000000003`, contentType: 'application/pdf' as const, size: 10, sha256: 'c'.repeat(64) }];
    expect((await reachAction(handle, 'UPLOAD_FILES')).nextAction).toEqual({ type: 'UPLOAD_FILES', purpose: 'PROOF_OF_ADDRESS' });
    providers.failNext('uploadPoaFiles', 'PartnerFileRejected');
    await handle.executeUpdate(messages.submitFiles, { args: [{ purpose: 'PROOF_OF_ADDRESS', files }] });
    await eventually(async () => expect(await view(handle)).toMatchObject({ nextAction: { type: 'UPLOAD_FILES', purpose: 'PROOF_OF_ADDRESS' }, lastError: { type: 'PartnerFileRejected' } }));
    await handle.executeUpdate(messages.submitFiles, { args: [{ purpose: 'PROOF_OF_ADDRESS', files }] });
    await eventually(async () => expect((await view(handle)).timeline.map((t) => t.step)).toContain('proofOfAddressUploaded'));
    await handle.signal(messages.partnerEventReceived, { type: 'poa-verification-status', payload: { externalUserId: input.onboardingId, status: 'APPROVED' } } as never);
    await partnerEvent(handle, input, 'user-status', 'ACTIVE');
    expect(await handle.result()).toMatchObject({ stage: 'COMPLETED', ids: { partnerUserId: 'p100-user' } });
  });

  it('after a lost Create User Account answer (P410 on the retry), asks for the proof of address and goes on when P100 needs none', async () => {
    providers.partnerAccountAnswer = { partnerUserId: null, poaRequiredForExtended: null, alreadyExisted: true };
    const { handle, input } = await start(withProfile());
    await toPartnerKyc(handle, input);
    expect((await view(handle)).lastError).toMatchObject({ step: 'createPartnerAccount', type: 'PartnerAccountAnswerLost' });
    const { ids } = await view(handle);
    await partnerEvent(handle, input, 'kyc-verification-status', 'APPROVED', ids.verificationId);
    expect((await reachAction(handle, 'UPLOAD_FILES')).nextAction).toEqual({ type: 'UPLOAD_FILES', purpose: 'PROOF_OF_ADDRESS' });
    providers.failNext('uploadPoaFiles', 'PartnerPoaNotRequired');
    const files = [{ fileId: `${input.onboardingId}/00000000-0000-4000-8000-000000000004`, contentType: 'application/pdf' as const, size: 10, sha256: 'd'.repeat(64) }];
    await handle.executeUpdate(messages.submitFiles, { args: [{ purpose: 'PROOF_OF_ADDRESS', files }] });
    await partnerEvent(handle, input, 'user-status', 'ACTIVE');
    const result = await handle.result();
    expect(result.stage).toBe('COMPLETED');
    expect(result.timeline.map((t) => t.step)).toEqual(expect.arrayContaining(['partnerAccountExisted', 'proofOfAddressNotRequired']));
  });
});

describe('a person who comes back (resume)', () => {
  const resumeOf = (userId: number) => ({ resume: { onboardingId: '00000000-0000-4000-8000-00000000abcd', userId } });

  it('with e-mail and phone verified at 10nPay, asks for neither code and goes on to identification with the same user', async () => {
    const input = testOnboardingInput(withProfile());
    const userId = providers.existingUser(input.email, { emailVerified: true, phoneVerified: true });
    const { handle } = await start({ ...input, ...resumeOf(userId) });
    const v = await reach(handle, 'AWAITING_IDENTIFICATION');
    expect(v).toMatchObject({ resumedFrom: '00000000-0000-4000-8000-00000000abcd', ids: { userId } });
    expect(v.timeline.map((t) => t.step)).toEqual(expect.arrayContaining(['userResumed', 'emailConfirmed', 'phoneVerified']));
    expect(v.timeline.map((t) => t.step)).not.toContain('smsCodeSent');
    // No user created, no e-mail code sent again.
    expect([...providers.users.values()].filter((u) => u.email === input.email)).toHaveLength(1);
    expect(providers.byEmail(input.email).emailCode).toBe('111111');
    await stop(handle);
  });

  it('with the e-mail not confirmed, sends the e-mail code again and takes only the new one', async () => {
    const input = testOnboardingInput();
    const userId = providers.existingUser(input.email);
    const { handle } = await start({ ...input, ...resumeOf(userId) });
    await reachAction(handle, 'CONFIRM_EMAIL');
    expect(providers.byEmail(input.email).emailCode).toBe('111112');
    expect(await handle.executeUpdate(messages.submitEmailCode, { args: [{ code: '111111' }] })).toMatchObject({ accepted: false });
    expect(await handle.executeUpdate(messages.submitEmailCode, { args: [{ code: '111112' }] })).toMatchObject({ accepted: true });
    await reachAction(handle, 'ENTER_SMS_CODE');
    await stop(handle);
  });

  it('identified at 10nPay, does not identify again: finalize (idempotent) gives the individual id', async () => {
    const input = testOnboardingInput(withProfile());
    const userId = providers.existingUser(input.email, { emailVerified: true, phoneVerified: true, additionalData: true, identified: true });
    const { handle } = await start({ ...input, ...resumeOf(userId) });
    const v = await reachPartnerKyc(handle);
    expect(v.ids).toMatchObject({ userId, individualId: userId + 1 });
    // initiateIdentification would have set Borica's status back to PROCESSING.
    expect(providers.byEmail(input.email).status).toBe('DOCUMENT_SIGN_SUCCESS');
    expect(v.timeline.map((t) => t.step)).toEqual(expect.arrayContaining(['identificationAlreadyDone', 'identificationFinalized']));
    expect(v.timeline.map((t) => t.step)).not.toContain('additionalDataSent');
    await stop(handle);
  });

  it('ends FAILED ReturningUserUnknown, flagged for ops, when 10nPay no longer knows the user', async () => {
    const { handle } = await start(resumeOf(2_000_000_000));
    expect(await handle.result()).toMatchObject({ stage: 'FAILED', reason: 'ReturningUserUnknown', needsAttention: true });
  });
});
