// Ops on a failing step (CONTRACT part 4), end to end: the sandbox's 10nPay answers 503 to every
// finalize of one user. The onboarding is listed with needsAttention and its lastError once the
// step's quick retries are over (STEP_ATTENTION_AFTER, well within 30 s), the view and the detail
// say which step, the provider's status, the attempts and since when; `retry` answers 202 in the
// quick retries as in the slow ones, and once the sandbox heals it makes the next attempt at once
// (the slow retry would wait an hour); with nothing failing it answers 409. The record's trail
// shows the provider failure and each retry with its actor.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepError } from '../../src/domain/onboarding';
import type { Switch } from '../../src/sandbox/faults';
import { type OpsStack, onboardingWithFailingFinalize, startOpsStack } from '../support/ops-stack';
import { call } from './journey';
import { OPS_API_KEY, type Stack } from './stack';

let opsStack: OpsStack;
let stack: Stack;

beforeAll(async () => {
  // The contract's quick window, and slow retries so slow that only an ops retry moves the step on.
  opsStack = await startOpsStack({ stepAttentionAfter: '15s' });
  stack = opsStack.stack;
});

afterAll(async () => {
  await opsStack?.close();
});

const ops = (method: string, path: string, body?: unknown) => call(stack.apiUrl, method, path, { token: OPS_API_KEY, ...(body !== undefined ? { body } : {}) });

interface ListItem {
  onboardingId: string;
  stage: string;
  needsAttention: boolean;
  lastError?: Partial<StepError> & { type: string };
}

/** Polls until `ok` holds of what `read` answers; the deadline only bounds a broken run. */
async function until<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** How many finalize calls the sandbox failed for this switch. */
async function failedFinalizes(id: string): Promise<number> {
  const found = (await stack.control.switches()).find((s: Switch) => s.id === id);
  return found?.applied ?? 0;
}

async function detailOf(onboardingId: string) {
  const res = await ops('GET', `/ops/onboardings/${onboardingId}`);
  expect(res.status).toBe(200);
  return res.body as { needsAttention: boolean; stage: string; lastError?: StepError; pendingActivities: Array<{ activityType: string; attempt: number; state: string }> };
}

describe('a provider step that keeps failing', () => {
  it('is listed with needsAttention and its lastError, and retry makes the next attempt at once once the provider heals', async () => {
    const { journey: j, switchId } = await onboardingWithFailingFinalize(stack);

    // In the quick retries, before the workflow flags the step: retry answers 202 all the same.
    await until('a failed finalize', () => failedFinalizes(switchId), (n) => n >= 1);
    expect(await ops('POST', `/ops/onboardings/${j.onboardingId}/retry`)).toMatchObject({ status: 202, body: { onboardingId: j.onboardingId, action: 'retry' } });

    // The list's needsAttention filter finds it, with the failure's type.
    const listed = await until(
      'the onboarding in needsAttention=true',
      async () => ((await ops('GET', '/ops/onboardings?needsAttention=true&stage=FINALIZING')).body as { items: ListItem[] }).items,
      (items) => items.some((i) => i.onboardingId === j.onboardingId),
    );
    const item = listed.find((i) => i.onboardingId === j.onboardingId)!;
    expect(item).toMatchObject({ stage: 'FINALIZING', needsAttention: true, lastError: { step: 'finalizeIdentification', type: 'ProviderUnavailable', httpStatus: 503 } });

    // The view and the detail: the step, the failure, the provider's status, the attempts, since when.
    const view = await j.view();
    expect(view).toMatchObject({
      stage: 'FINALIZING',
      needsAttention: true,
      lastError: { step: 'finalizeIdentification', type: 'ProviderUnavailable', httpStatus: 503, attempts: expect.any(Number), since: expect.any(String) },
    });
    expect(view.lastError!.attempts).toBeGreaterThanOrEqual(2);
    const detail = await detailOf(j.onboardingId);
    expect(detail).toMatchObject({ needsAttention: true, lastError: { step: 'finalizeIdentification', type: 'ProviderUnavailable', httpStatus: 503, since: view.lastError!.since } });
    expect(detail.lastError!.attempts).toBeGreaterThanOrEqual(view.lastError!.attempts!);
    // The list's lastError is the view's as the step was flagged, but the message (search
    // attributes are not encrypted): the same step, attempts and since when.
    expect(item.lastError).toEqual({ ...view.lastError, message: undefined });
    expect(Object.keys(item.lastError!)).not.toContain('message');

    // In the slow retries (an hour apart): once the first slow attempt has failed, nothing more
    // happens by itself; the provider heals; retry answers 202 and the step goes through now.
    await until('the slow activity waiting for its next attempt', () => detailOf(j.onboardingId), (d) =>
      d.pendingActivities.some((a) => a.activityType === 'finalizeIdentification' && a.state === 'SCHEDULED'),
    );
    const failedBeforeHeal = await failedFinalizes(switchId);
    await stack.control.removeSwitch(switchId);
    const retried = await ops('POST', `/ops/onboardings/${j.onboardingId}/retry`);
    expect(retried).toMatchObject({ status: 202, body: { onboardingId: j.onboardingId, action: 'retry' } });
    const moved = await j.waitFor('the partner KYC after the retry', (v) => v.stage === 'AWAITING_PARTNER_KYC');
    expect(moved.needsAttention).toBe(false);
    expect(failedBeforeHeal).toBeGreaterThanOrEqual(view.lastError!.attempts! + 1);
    const effects = await stack.control.counters({ email: j.person.email });
    expect(effects.finalizeSuccesses).toBe(1);

    // Nothing is failing now: retry is refused with 409 problem details.
    const refused = await ops('POST', `/ops/onboardings/${j.onboardingId}/retry`);
    expect(refused.status).toBe(409);
    expect(refused.contentType).toContain('application/problem+json');
    await j.partnerKycB();
    expect((await j.waitForStage('COMPLETED')).stage).toBe('COMPLETED');

    // The trail: the failing step, then both retries, each with the ops key's identity as actor.
    const trail = await until(
      'the trail up to COMPLETED',
      async () => ((await ops('GET', `/ops/onboardings/${j.onboardingId}/events`)).body as { items: Array<Record<string, unknown>> }).items,
      (items) => items.some((e) => e.type === 'STAGE_CHANGED' && e.stage === 'COMPLETED'),
    );
    expect(trail).toContainEqual(expect.objectContaining({ type: 'PROVIDER_FAILURE', step: 'finalizeIdentification', failureType: 'ProviderUnavailable' }));
    expect(trail.filter((e) => e.type === 'OPS_ACTION')).toEqual([
      expect.objectContaining({ action: 'retry', actor: 'ops' }),
      expect.objectContaining({ action: 'retry', actor: 'ops' }),
    ]);
  });
});
