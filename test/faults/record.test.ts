// The onboarding record's PostgreSQL stopped mid-flow and started again (issue 11), with the
// worker and the API in their own processes (./cluster.ts): the onboardings go on while it is down
// (the user's steps need only Temporal), each waits at its end until its changes are written; a
// start, which needs the record (a returning person is decided there), waits too. The API answers
// 503 with Retry-After for what needs the record, never a 500; once PostgreSQL is back every
// change of every onboarding is in the record once, numbered without a gap, in the order it happened.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../src/domain/onboarding';
import type { TrailEvent } from '../../src/record/changes';
import { call } from '../e2e/journey';
import { type Cluster, OPS_API_KEY, startCluster } from './cluster';
import { type Expected, FaultJourney, Observations, check, drive, extraAttemptsFrom, problemsOf, summary, sleep, waitUntil as waitFor } from './client';

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ postgres: true });
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
});

const waitUntil = (what: string, pred: () => boolean | Promise<boolean>, timeoutMs?: number) => waitFor(what, pred, () => cluster.tail(40), timeoutMs);

const ops = (method: string, path: string, body?: unknown) => call(cluster.apiUrl, method, path, { token: OPS_API_KEY, ...(body ? { body } : {}) });
const COMPLETED: Expected = { stage: 'COMPLETED' };
const HAPPY_PATH = [
  'CREATING_USER', 'AWAITING_EMAIL_CODE', 'AWAITING_SMS_CODE', 'STARTING_IDENTIFICATION',
  'AWAITING_IDENTIFICATION', 'VERIFYING_IDENTIFICATION', 'AWAITING_SIGNATURE', 'VERIFYING_SIGNATURE', 'FINALIZING',
  'CREATING_PARTNER_ACCOUNT', 'AWAITING_PARTNER_KYC', 'VERIFYING_PARTNER_ACCOUNT', 'COMPLETED',
];

describe('the record’s PostgreSQL stopped mid-flow', () => {
  it('onboardings wait and go on, every change is recorded once and in order, and the API answers 503 with Retry-After, never 500', async () => {
    const obs = new Observations();
    const js = Array.from({ length: 3 }, () => new FaultJourney(cluster.apiUrl, cluster.control, obs));
    const running = js.map(async (j, i) => {
      await sleep(i * 1500);
      return drive(j, COMPLETED);
    });
    const reached = (j: FaultJourney, stage: string) => HAPPY_PATH.indexOf(j.lastView?.stage ?? '') >= HAPPY_PATH.indexOf(stage);
    await waitUntil('every onboarding started, one past its e-mail code', () => js.every((j) => j.onboardingId !== '') && js.some((j) => reached(j, 'AWAITING_SMS_CODE')));
    expect(js.some((j) => reached(j, 'COMPLETED'))).toBe(false);

    await cluster.stopPostgres();
    // What needs the record: 503 with Retry-After and problem details.
    const byRecord = [
      ['GET', '/ops/stats'],
      ['GET', `/ops/onboardings/${js[0]!.onboardingId}/events`],
      ['GET', `/ops/onboardings?email=${encodeURIComponent(js[0]!.person.email)}`],
    ] as const;
    for (const [method, path] of byRecord) {
      const res = await ops(method, path);
      expect(res.status, path).toBe(503);
      expect(Number(res.headers.get('retry-after')), path).toBeGreaterThan(0);
      expect(res.contentType, path).toContain('application/problem+json');
    }
    const late = new FaultJourney(cluster.apiUrl, cluster.control, obs);
    const refusedStart = await call(cluster.apiUrl, 'POST', '/onboardings', { body: late.startBody(), headers: { 'idempotency-key': late.idempotencyKey } });
    expect(refusedStart.status).toBe(503);
    expect(Number(refusedStart.headers.get('retry-after'))).toBeGreaterThan(0);
    // The frontend retries the start (the same Idempotency-Key) until the record is back.
    const lateRun = drive(late, COMPLETED);

    // The users go on meanwhile: an onboarding reaches COMPLETED, its workflow waits for the record.
    await waitUntil('an onboarding completed while PostgreSQL is down', () => js.some((j) => j.lastView?.stage === 'COMPLETED'), 180_000);
    const client = await cluster.client();
    const done = js.find((j) => j.lastView?.stage === 'COMPLETED')!;
    expect((await client.workflow.getHandle(workflowIdFor(done.onboardingId)).describe()).status.name).toBe('RUNNING');
    expect(late.onboardingId).toBe('');

    await cluster.startPostgres();
    const outcomes = await Promise.all([...running, lateRun]);
    const report = await check(cluster.control, outcomes, obs, extraAttemptsFrom(() => cluster.client()));
    process.stdout.write(`[record fault] ${outcomes.length} onboardings: ${summary(report)}; client retries ${JSON.stringify(obs.retried)}\n`);
    expect(problemsOf(report)).toEqual([]);
    expect(obs.statuses.get(500) ?? 0).toBe(0);

    for (const j of [...js, late]) {
      await client.workflow.getHandle(workflowIdFor(j.onboardingId)).result();
      const res = await ops('GET', `/ops/onboardings/${j.onboardingId}/events`);
      expect(res.status).toBe(200);
      const trail = (res.body as { items: TrailEvent[] }).items;
      // Numbered by the record's seq, which changes of the view alone (a wrong code, a next action)
      // also take: increasing, each once.
      const seqs = trail.map((e) => e.seq);
      expect(seqs, j.onboardingId).toEqual([...new Set(seqs)].sort((a, b) => a - b));
      const stages = trail.filter((e) => e.type === 'STAGE_CHANGED');
      expect(stages.map((e) => e.stage), j.onboardingId).toEqual(HAPPY_PATH);
      expect(stages.map((e) => e.previousStage)).toEqual([null, ...HAPPY_PATH.slice(0, -1)]);
      const times = trail.map((e) => Date.parse(e.at));
      expect(times).toEqual([...times].sort((a, b) => a - b));
    }
  }, 600_000);
});
