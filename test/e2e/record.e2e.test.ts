// The onboarding record end to end: the real worker writes every change of an onboarding to a
// real PostgreSQL, once and in order, without lengthening the happy path's history past 110
// events; the ops API reads the trail, finds people by e-mail, counts, answers for onboardings
// Temporal no longer has, and names the key's identity as the actor. PostgreSQL stopped mid-flow
// is a fault test: test/faults/record.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { temporal } from '@temporalio/proto';
import { MAX_REDIRECTS_PER_ONBOARDING } from '../../src/domain/message-limits';
import { workflowIdFor } from '../../src/domain/onboarding';
import type { TrailEvent } from '../../src/record/changes';
import { replayCheck } from '../../src/ops/replay';
import { createDataConverter } from '../../src/temporal/data-converter';
import { loadTemporalConfig } from '../../src/config';
import { startTestPostgres, type TestPostgres } from '../support/postgres';
import { Journey, call, newPerson } from './journey';
import { OPS_API_KEY, type Stack, startStack } from './stack';

const ALICE_KEY = 'alice-ops-key-0123456789abcdef';

let pg: TestPostgres;
let stack: Stack;

beforeAll(async () => {
  pg = await startTestPostgres();
  stack = await startStack({ databaseUrl: pg.url, env: { OPS_API_KEYS: `alice:${ALICE_KEY}` } });
});
afterAll(async () => {
  await stack?.close();
  await pg?.stop();
});

const journey = (options: ConstructorParameters<typeof Journey>[3] = {}) => new Journey(stack.apiUrl, stack.control, newPerson(), options);
const ops = (method: string, path: string, body?: unknown, token = OPS_API_KEY) => call(stack.apiUrl, method, path, { token, ...(body ? { body } : {}) });

/** The trail through the API once the workflow has closed (its last write precedes the close). */
async function trailOf(onboardingId: string): Promise<TrailEvent[]> {
  await stack.client.workflow.getHandle(workflowIdFor(onboardingId)).result();
  const res = await ops('GET', `/ops/onboardings/${onboardingId}/events`);
  expect(res.status).toBe(200);
  return (res.body as { items: TrailEvent[] }).items;
}

/** The closed workflow's history replays on the code (the record's local activities included). */
async function expectReplays(onboardingId: string): Promise<void> {
  const workflowId = workflowIdFor(onboardingId);
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  const outcomes = await replayCheck([{ workflowId, history }], { dataConverter: createDataConverter(loadTemporalConfig(stack.env)) });
  expect(outcomes).toEqual([{ workflowId, ok: true }]);
}

/** "WORKFLOW_TASK_COMPLETED 14, MARKER_RECORDED 14, …": where a history's events go. */
function eventsPerType(history: Awaited<ReturnType<ReturnType<Stack['client']['workflow']['getHandle']>['fetchHistory']>>): string {
  const counts = new Map<string, number>();
  for (const e of history.events ?? []) {
    const type = (temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, '');
    counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).map(([type, n]) => `${type} ${n}`).join(', ');
}

describe('the onboarding record, written by the workflow, read by ops', () => {
  let completed: Journey;

  it('holds the complete, ordered trail of a completed onboarding, and the happy path stays within 110 history events', async () => {
    completed = journey();
    const view = await completed.run();
    expect(view.stage).toBe('COMPLETED');

    const trail = await trailOf(completed.onboardingId);
    // Numbered by the record's seq, which changes of the view alone (a wrong code, a next action) also take.
    expect(trail.map((e) => e.seq)).toEqual([...new Set(trail.map((e) => e.seq))].sort((a, b) => a - b));
    const stages = trail.filter((e) => e.type === 'STAGE_CHANGED');
    expect(stages.map((e) => e.stage)).toEqual([
      'CREATING_USER', 'AWAITING_EMAIL_CODE', 'AWAITING_SMS_CODE', 'STARTING_IDENTIFICATION',
      'AWAITING_IDENTIFICATION', 'VERIFYING_IDENTIFICATION', 'AWAITING_SIGNATURE', 'VERIFYING_SIGNATURE', 'FINALIZING',
      'CREATING_PARTNER_ACCOUNT', 'AWAITING_PARTNER_KYC', 'VERIFYING_PARTNER_ACCOUNT', 'COMPLETED',
    ]);
    // Each change names the stage it left: the trail has no gap and no repeat.
    expect(stages.map((e) => e.previousStage)).toEqual([null, ...stages.slice(0, -1).map((e) => e.stage)]);
    const times = trail.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // Nothing personal in the trail.
    expect(JSON.stringify(trail)).not.toContain(completed.person.email);

    const history = await stack.client.workflow.getHandle(workflowIdFor(completed.onboardingId)).fetchHistory();
    const length = history.events?.length ?? 0;
    console.log(`history events of a completed onboarding with the record: ${length} (${eventsPerType(history)})`);
    // Issue 15: at most 110, the record's writes included (patch lean-history). The count does not
    // grow with the number of polls; a status read that lands while a workflow task is in flight
    // can add one workflow task (3 events), which the margin covers.
    expect(length).toBeLessThanOrEqual(110);
    await expectReplays(completed.onboardingId);
  });

  it('finds the onboarding by e-mail (any case) and by phone number, and nobody else', async () => {
    const byEmail = await ops('GET', `/ops/onboardings?email=${encodeURIComponent(` ${completed.person.email.toUpperCase()}`)}`);
    expect(byEmail.status).toBe(200);
    expect(byEmail.body).toMatchObject({ items: [{ onboardingId: completed.onboardingId, stage: 'COMPLETED' }] });
    const byPhone = await ops('GET', `/ops/onboardings?phoneNumber=${encodeURIComponent(completed.person.phoneNumber)}`);
    expect((byPhone.body as { items: { onboardingId: string }[] }).items.map((i) => i.onboardingId)).toContain(completed.onboardingId);
    expect((await ops('GET', '/ops/onboardings?email=nobody%40example.com')).body).toEqual({ items: [] });
    const both = await ops('GET', `/ops/onboardings?email=a%40example.com&phoneNumber=%2B359888000000`);
    expect(both.status).toBe(400);
    expect(both.contentType).toContain('application/problem+json');
    expect((await call(stack.apiUrl, 'GET', '/ops/onboardings?email=a%40example.com')).status).toBe(401);
  });

  it('answers GET /ops/onboardings/{id} from the record after the workflow is deleted from Temporal', async () => {
    await stack.temporal.connection.workflowService.deleteWorkflowExecution({
      namespace: stack.namespace,
      workflowExecution: { workflowId: workflowIdFor(completed.onboardingId) },
    });
    let detail = await ops('GET', `/ops/onboardings/${completed.onboardingId}`);
    // Temporal deletes asynchronously: the detail comes from the record once describe no longer finds it.
    for (let i = 0; i < 300 && (detail.body as { source?: string }).source !== 'record'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      detail = await ops('GET', `/ops/onboardings/${completed.onboardingId}`);
    }
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({
      onboardingId: completed.onboardingId,
      source: 'record',
      stage: 'COMPLETED',
      ids: { userId: expect.any(Number), individualId: expect.any(Number), externalUserId: completed.onboardingId },
    });
    expect((await ops('GET', `/ops/onboardings/${completed.onboardingId}/events`)).status).toBe(200);
    expect((await ops('GET', '/ops/onboardings/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await ops('GET', '/ops/onboardings/00000000-0000-4000-8000-000000000000/events')).status).toBe(404);
  });

  it('records the identity of the ops key as the actor of an action, never the requestedBy of the body', async () => {
    const j = journey();
    await j.start();
    await j.waitFor('awaiting the e-mail code', (v) => v.stage === 'AWAITING_EMAIL_CODE');
    const cancelled = await ops('POST', `/ops/onboardings/${j.onboardingId}/cancel`, { reason: 'customer asked', requestedBy: 'mallory' }, ALICE_KEY);
    expect(cancelled.status).toBe(202);
    const trail = await trailOf(j.onboardingId);
    expect(trail.slice(-2)).toMatchObject([
      { type: 'OPS_ACTION', action: 'cancel', actor: 'alice', reason: 'customer asked' },
      { type: 'STAGE_CHANGED', stage: 'CANCELLED', previousStage: 'AWAITING_EMAIL_CODE', reason: 'customer asked' },
    ]);
    expect(JSON.stringify(trail)).not.toContain('mallory');
    await expectReplays(j.onboardingId);
  });

  it('counts onboardings by stage and times their stages in /ops/stats', async () => {
    const res = await ops('GET', '/ops/stats');
    expect(res.status).toBe(200);
    const stats = res.body as { running: Record<string, number>; ended: Record<string, number>; stageDurations: Record<string, { p50Seconds: number; p90Seconds: number }> };
    expect(stats.ended).toEqual({ COMPLETED: 1, CANCELLED: 1 });
    expect(stats.running).toEqual({});
    for (const stage of ['CREATING_USER', 'AWAITING_EMAIL_CODE', 'AWAITING_PARTNER_KYC']) {
      expect(stats.stageDurations[stage]!.p50Seconds).toBeGreaterThan(0);
      expect(stats.stageDurations[stage]!.p90Seconds).toBeGreaterThanOrEqual(stats.stageDurations[stage]!.p50Seconds);
    }
    expect(stats.stageDurations.COMPLETED).toBeUndefined();
  });

  it('writes a MESSAGE_REFUSED event to the trail when a message is refused past its bound, once per kind', async () => {
    const j = journey();
    await j.start();
    await j.waitForStage('AWAITING_EMAIL_CODE');
    const relay = () => call(stack.apiUrl, 'POST', `/onboardings/${j.onboardingId}/redirects`, { token: j.accessToken, body: { outcome: 'fail', query: {} } });
    for (let i = 0; i < MAX_REDIRECTS_PER_ONBOARDING; i++) expect((await relay()).status).toBe(202);
    for (let i = 0; i < 3; i++) expect((await relay()).status).toBe(429);
    let refused: TrailEvent[] = [];
    for (let i = 0; i < 150 && refused.length === 0; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 200));
      const res = await ops('GET', `/ops/onboardings/${j.onboardingId}/events`);
      refused = ((res.body as { items?: TrailEvent[] }).items ?? []).filter((e) => e.type === 'MESSAGE_REFUSED');
    }
    expect(refused).toEqual([expect.objectContaining({ type: 'MESSAGE_REFUSED', message: 'boricaRedirectReceived', reason: 'MAX_REDIRECTS_PER_ONBOARDING' })]);
    expect((await ops('POST', `/ops/onboardings/${j.onboardingId}/cancel`, { reason: 'test over' })).status).toBe(202);
  });
});
