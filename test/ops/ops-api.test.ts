// The ops API against a real Temporal dev server and the real workflow (provider stand-ins): stuck
// onboardings left so on purpose (a provider down, an identification that never progresses) are
// found by the list filters and re-driven once healed; batch forms; problem details for bad calls;
// the onboarding gauges on /metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../src/domain/onboarding';
import { boricaRedirectReceived, partnerEventReceived } from '../../src/workflows/messages';
import { type Answer, type Harness, OPS_API_KEY, type RunningApi, call, createHarness, listen, unreachableClient } from '../api/harness';
import { FakeProviders } from '../support/fake-providers';
import { testKycRecord } from '../support/fixtures';
import { confirmCodes, ids, pollList, startOnboarding, startWorker, waitForStage, waitForView } from './support';

let h: Harness;
let api: RunningApi;
const down = new FakeProviders();
const ident = new FakeProviders();
const stops: Array<() => Promise<void>> = [];

beforeAll(async () => {
  h = await createHarness();
  stops.push(await h.startWorker(), await startWorker(h.env, 'ops-down', down), await startWorker(h.env, 'ops-ident', ident));
  api = await listen(h.deps());
});

afterAll(async () => {
  await api?.close();
  for (const stop of stops) await stop().catch(() => undefined);
  await h?.teardown();
});

const ops = (method: string, path: string, body?: unknown) => call(api.url, method, path, { token: OPS_API_KEY, ...(body !== undefined ? { body } : {}) });
const list = async (q: string) => {
  const res = await ops('GET', `/ops/onboardings?${q}`);
  expect(res.status).toBe(200);
  return res.body as { items: Array<{ onboardingId: string; stage: string; needsAttention: boolean; lastError?: { type: string }; status: string; stageEnteredAt: string }>; nextPageToken?: string };
};
function expectProblem(answer: Answer, status: number): void {
  expect(answer.status).toBe(status);
  expect(answer.contentType).toContain('application/problem+json');
  expect(answer.body).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
}
const providerDown = (providers: FakeProviders) => {
  providers.failures.createUser = Array<string>(100_000).fill('ProviderUnavailable');
};
const heal = (providers: FakeProviders) => {
  providers.failures.createUser = [];
};
const stuckSettings = { stepAttentionAfter: '2s', stepSlowRetryInterval: '1h' } as const;

describe('a provider that is down', () => {
  it('flags the onboarding; the list finds it by needsAttention and stage; retry finishes the step once healed', async () => {
    providerDown(down);
    const stuck = await startOnboarding(h.client, 'ops-down', stuckSettings);
    const retrying = await startOnboarding(h.client, 'ops-down', { stepAttentionAfter: '1h' });
    const healthy = await startOnboarding(h.client, 'api-test');
    await waitForStage(h.client, healthy.onboardingId, 'AWAITING_EMAIL_CODE');

    const flagged = await pollList(() => list('needsAttention=true'), (p) => ids(p).includes(stuck.onboardingId), 'the stuck onboarding in needsAttention');
    expect(ids(flagged)).not.toContain(healthy.onboardingId);
    expect(ids(flagged)).not.toContain(retrying.onboardingId);
    const item = flagged.items.find((i) => i.onboardingId === stuck.onboardingId)!;
    expect(item).toMatchObject({ stage: 'CREATING_USER', needsAttention: true, status: 'RUNNING', lastError: { type: expect.any(String) } });
    expect(Date.parse(item.stageEnteredAt)).toBeGreaterThan(0);
    expect(ids(await list('needsAttention=true&stage=CREATING_USER'))).toContain(stuck.onboardingId);
    expect(ids(await list('needsAttention=true&stage=AWAITING_EMAIL_CODE'))).not.toContain(stuck.onboardingId);
    const byStage = await pollList(() => list('stage=AWAITING_EMAIL_CODE'), (p) => ids(p).includes(healthy.onboardingId), 'the healthy one by stage');
    expect(ids(byStage)).not.toContain(stuck.onboardingId);

    // One onboarding: the workflow's view, the flagged step and its error, the history length.
    const detail = await ops('GET', `/ops/onboardings/${stuck.onboardingId}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({
      onboardingId: stuck.onboardingId,
      status: 'RUNNING',
      stage: 'CREATING_USER',
      needsAttention: true,
      lastError: { step: 'createUser' },
      view: { stage: 'CREATING_USER', needsAttention: true, timeline: expect.any(Array) },
    });
    expect(detail.body.historyLength).toBeGreaterThan(5);
    expect(JSON.stringify(detail.body)).not.toContain(stuck.email);

    // The one still inside its activity's retry policy shows the pending activity, its attempts and last failure.
    const pending = await waitForPending(retrying.onboardingId);
    expect(pending).toMatchObject({ activityType: 'createUser', lastFailure: { type: 'ProviderUnavailable' } });
    expect(pending.attempt).toBeGreaterThanOrEqual(2);

    // Wrong stage and ended onboardings are refused with 409.
    const wrong = await ops('POST', `/ops/onboardings/${healthy.onboardingId}/restart-identification`);
    expectProblem(wrong, 409);
    expect(wrong.body.failureType).toBe('WrongStage');
    expect(await ops('POST', `/ops/onboardings/${retrying.onboardingId}/cancel`, { reason: 'duplicate application' })).toMatchObject({
      status: 202,
      body: { onboardingId: retrying.onboardingId, action: 'cancel' },
    });
    await waitForView(h.client, retrying.onboardingId, (v) => v.stage === 'CANCELLED' && v.reason === 'duplicate application', 'cancelled with its reason');
    expectProblem(await ops('POST', `/ops/onboardings/${retrying.onboardingId}/retry`), 409);
    expectProblem(await ops('POST', `/ops/onboardings/${stuck.onboardingId}/cancel`, {}), 400);

    // Healed: one retry re-runs the step at once (the slow retry would wait an hour).
    heal(down);
    const retried = await ops('POST', `/ops/onboardings/${stuck.onboardingId}/retry`, { requestedBy: 'alice' });
    expect(retried).toMatchObject({ status: 202, body: { onboardingId: stuck.onboardingId, action: 'retry' } });
    await waitForView(h.client, stuck.onboardingId, (v) => v.stage === 'AWAITING_EMAIL_CODE' && !v.needsAttention, 'the step done after the retry', 15_000);
    await pollList(() => list('needsAttention=true'), (p) => !ids(p).includes(stuck.onboardingId), 'the healed one out of needsAttention');
    await h.client.workflow.getHandle(workflowIdFor(stuck.onboardingId)).terminate('test done');
    await h.client.workflow.getHandle(workflowIdFor(healthy.onboardingId)).terminate('test done');
  });
});

async function waitForPending(onboardingId: string) {
  for (const deadline = Date.now() + 20_000; ; ) {
    const d = await ops('GET', `/ops/onboardings/${onboardingId}`);
    const p = d.body.pendingActivities?.[0];
    if (p && p.attempt >= 2 && p.lastFailure) return p as { activityType: string; attempt: number; lastFailure: { type: string } };
    if (Date.now() > deadline) throw new Error(`no pending activity with attempts: ${JSON.stringify(d.body)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('an identification that never progresses', () => {
  it('is found by stage and waitingLongerThan; restart-identification re-drives it once the provider moves', async () => {
    const settings = { identificationPollCap: '2s', identificationPollInterval: '1s', identificationBackgroundPollInterval: '1s' } as const;
    const c = await startOnboarding(h.client, 'ops-ident', settings, { profile: testKycRecord() as never });
    await confirmCodes(h.client, c.onboardingId);
    await waitForStage(h.client, c.onboardingId, 'AWAITING_IDENTIFICATION');

    const waiting = await pollList(
      () => list('stage=AWAITING_IDENTIFICATION&waitingLongerThan=PT1S'),
      (p) => ids(p).includes(c.onboardingId),
      'waiting at Borica longer than 1 s',
    );
    expect(waiting.items.find((i) => i.onboardingId === c.onboardingId)).toMatchObject({ stage: 'AWAITING_IDENTIFICATION', needsAttention: false });
    expect(ids(await list('stage=AWAITING_IDENTIFICATION&waitingLongerThan=PT1H'))).not.toContain(c.onboardingId);

    // The user came back from Borica but the status never moves: the poll cap ends the attempt.
    const handle = h.client.workflow.getHandle(workflowIdFor(c.onboardingId));
    await handle.signal(boricaRedirectReceived, { outcome: 'success', query: {} });
    await waitForStage(h.client, c.onboardingId, 'IDENTIFICATION_FAILED');
    await pollList(() => list('stage=IDENTIFICATION_FAILED&waitingLongerThan=PT1S'), (p) => ids(p).includes(c.onboardingId), 'stuck at IDENTIFICATION_FAILED');

    expect(await ops('POST', `/ops/onboardings/${c.onboardingId}/restart-identification`)).toMatchObject({ status: 202, body: { action: 'restart-identification' } });
    await waitForStage(h.client, c.onboardingId, 'AWAITING_IDENTIFICATION');
    ident.setStatus(c.email, 'DOCUMENT_SIGN_SUCCESS');
    const kyc = await waitForView(h.client, c.onboardingId, (v) => v.stage === 'AWAITING_PARTNER_KYC' && v.ids.verificationId !== undefined, 'partner KYC');
    await handle.signal(partnerEventReceived, { type: 'kyc-verification-status', payload: { externalUserId: c.onboardingId, verificationId: kyc.ids.verificationId!, status: 'APPROVED' } });
    await waitForStage(h.client, c.onboardingId, 'VERIFYING_PARTNER_ACCOUNT');
    await handle.signal(partnerEventReceived, { type: 'user-status', payload: { externalUserId: c.onboardingId, status: 'ACTIVE' } });
    await waitForStage(h.client, c.onboardingId, 'COMPLETED');
  });
});

describe('batch re-drives', () => {
  it('retries and cancels every onboarding stuck in a stage longer than a duration, reporting each', async () => {
    providerDown(down);
    const d1 = await startOnboarding(h.client, 'ops-down', stuckSettings);
    const d2 = await startOnboarding(h.client, 'ops-down', stuckSettings);
    const filters = { stage: 'CREATING_USER', waitingLongerThan: 'PT1S' };
    await pollList(() => list('needsAttention=true&stage=CREATING_USER&waitingLongerThan=PT1S'), (p) => [d1, d2].every((d) => ids(p).includes(d.onboardingId)), 'both flagged');

    const dry = await ops('POST', '/ops/onboardings/batch/retry', { ...filters, dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ action: 'retry', dryRun: true, filters });
    expect(dry.body.counts.done).toBe(0);

    heal(down);
    const retried = await ops('POST', '/ops/onboardings/batch/retry', filters);
    expect(retried.status).toBe(200);
    for (const d of [d1, d2]) expect(retried.body.results).toContainEqual({ onboardingId: d.onboardingId, stage: 'CREATING_USER', outcome: 'done' });
    for (const d of [d1, d2]) await waitForStage(h.client, d.onboardingId, 'AWAITING_EMAIL_CODE', 15_000);

    // Visibility catches up with the new stage; the batch cancel then finds both.
    await pollList(() => list('stage=AWAITING_EMAIL_CODE&waitingLongerThan=PT1S'), (p) => [d1, d2].every((d) => ids(p).includes(d.onboardingId)), 'both waiting for the e-mail code');
    const cancelled = await ops('POST', '/ops/onboardings/batch/cancel', { stage: 'AWAITING_EMAIL_CODE', waitingLongerThan: 'PT1S', reason: 'ops clean-up' });
    expect(cancelled.status).toBe(200);
    for (const d of [d1, d2]) expect(cancelled.body.results).toContainEqual({ onboardingId: d.onboardingId, stage: 'AWAITING_EMAIL_CODE', outcome: 'done' });
    for (const d of [d1, d2]) await waitForStage(h.client, d.onboardingId, 'CANCELLED');

    expectProblem(await ops('POST', '/ops/onboardings/batch/retry', {}), 400);
    expectProblem(await ops('POST', '/ops/onboardings/batch/cancel', filters), 400);
    expectProblem(await ops('POST', '/ops/onboardings/batch/explode', filters), 404);
    expectProblem(await ops('POST', '/ops/onboardings/batch/retry', { ...filters, stage: 'NOPE' }), 400);
  });
});

describe('the list and the calls, checked', () => {
  it('requires the ops key', async () => {
    expectProblem(await call(api.url, 'GET', '/ops/onboardings'), 401);
    expectProblem(await call(api.url, 'GET', '/ops/onboardings', { token: 'not-the-ops-key-0000000' }), 401);
    expectProblem(await call(api.url, 'POST', '/ops/onboardings/batch/retry', { body: { stage: 'CREATING_USER' } }), 401);
  });

  it('answers 400 for malformed filters and 404 for unknown onboardings', async () => {
    for (const q of ['stage=SLEEPING', 'waitingLongerThan=15m', 'waitingLongerThan=PT', 'needsAttention=yes', 'pageSize=0', 'pageSize=100000', 'pageToken=%21%21', 'colour=red']) {
      const res = await ops('GET', `/ops/onboardings?${q}`);
      expectProblem(res, 400);
    }
    expectProblem(await ops('GET', '/ops/onboardings/00000000-0000-4000-8000-000000000000'), 404);
    expectProblem(await ops('GET', '/ops/onboardings/not-an-id'), 404);
    expectProblem(await ops('POST', '/ops/onboardings/00000000-0000-4000-8000-000000000000/retry'), 404);
  });

  it('pages with nextPageToken', async () => {
    for (let i = 0; i < 3; i++) await startOnboarding(h.client, 'api-test');
    const first = await pollList(() => list('pageSize=2'), (p) => p.items.length === 2 && p.nextPageToken !== undefined, 'a first page');
    expect(first.nextPageToken).toMatch(/^[A-Za-z0-9_-]+$/);
    const second = await list(`pageSize=2&pageToken=${first.nextPageToken}`);
    expect(second.items.length).toBeGreaterThan(0);
    expect(ids(second).some((id) => ids(first).includes(id))).toBe(false);
  });

  it('answers 503 when Temporal cannot answer', async () => {
    const down503 = await listen(h.deps({ client: unreachableClient(), timeouts: { rpcMs: 1_000, updateMs: 1_000, queryMs: 500 } }));
    try {
      const get = (p: string) => call(down503.url, 'GET', p, { token: OPS_API_KEY });
      expectProblem(await get('/ops/onboardings?stage=CREATING_USER'), 503);
      expectProblem(await get('/ops/onboardings/00000000-0000-4000-8000-000000000000'), 503);
      expectProblem(await call(down503.url, 'POST', '/ops/onboardings/00000000-0000-4000-8000-000000000000/retry', { token: OPS_API_KEY }), 503);
    } finally {
      await down503.close();
    }
  });

  it('exposes running onboardings by stage and those needing attention on /metrics', async () => {
    const res = await call(api.url, 'GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.body).toMatch(/onboardings_in_stage\{stage="AWAITING_EMAIL_CODE"\} \d+/);
    expect(res.body).toMatch(/onboardings_in_stage\{stage="CREATING_USER"\} \d+/);
    expect(res.body).toMatch(/onboardings_needing_attention \d+/);
    const count = Number(/onboardings_in_stage\{stage="AWAITING_EMAIL_CODE"\} (\d+)/.exec(res.body as string)![1]);
    expect(count).toBeGreaterThan(0);
  });
});
