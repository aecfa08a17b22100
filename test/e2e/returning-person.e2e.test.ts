// A person who comes back (CONTRACT part 4), end to end against the sandbox and a real PostgreSQL:
// an onboarding that ended without completing left a 10nPay user this service created; the next
// start with the same e-mail goes on with that user (resumedFrom), asks for nothing 10nPay already
// has, and completes with one 10nPay user. A completed or a running onboarding refuses the start
// with its id (409); two starts at once make one onboarding; an e-mail 10nPay knows from elsewhere
// still ends FAILED EmailAlreadyRegistered.
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TennpayClient } from '../../src/activities/tennpay/client';
import { loadTennpayConfig } from '../../src/config';
import { workflowIdFor } from '../../src/domain/onboarding';
import type { TrailEvent } from '../../src/record/changes';
import { createPool } from '../../src/record/database';
import { replayCheck } from '../../src/ops/replay';
import { createDataConverter } from '../../src/temporal/data-converter';
import { loadTemporalConfig } from '../../src/config';
import { startTestPostgres, type TestPostgres } from '../support/postgres';
import { Journey, call, newPerson, type Person } from './journey';
import { OPS_API_KEY, type Stack, startStack } from './stack';

let pg: TestPostgres;
let stack: Stack;
let db: Pool;

beforeAll(async () => {
  pg = await startTestPostgres();
  stack = await startStack({ databaseUrl: pg.url });
  db = createPool(pg.url);
});
afterAll(async () => {
  await db?.end();
  await stack?.close();
  await pg?.stop();
});

const ops = (method: string, path: string, body?: unknown) => call(stack.apiUrl, method, path, { token: OPS_API_KEY, ...(body ? { body } : {}) });
const startBody = (person: Person) => ({ email: person.email, phoneNumber: person.phoneNumber, userType: 'INDIVIDUAL', profile: person.record });
const start = (person: Person, body: Record<string, unknown> = startBody(person)) =>
  call(stack.apiUrl, 'POST', '/onboardings', { body, headers: { 'idempotency-key': `e2e-${randomUUID()}` } });

/** Cancels an onboarding through ops and waits until its workflow (and its record) is done. */
async function cancel(onboardingId: string): Promise<void> {
  // Right after a start, an update may meet the onboarding's first workflow task in flight: 503 with
  // Retry-After, which a client answers by trying again (as here, a few times at most).
  let res = await ops('POST', `/ops/onboardings/${onboardingId}/cancel`, { reason: 'the customer will come back' });
  for (let i = 0; i < 5 && res.status === 503; i++) {
    await new Promise((r) => setTimeout(r, Math.min(Number(res.headers.get('retry-after')) || 1, 5) * 1000));
    res = await ops('POST', `/ops/onboardings/${onboardingId}/cancel`, { reason: 'the customer will come back' });
  }
  expect(res.status).toBe(202);
  await stack.client.workflow.getHandle(workflowIdFor(onboardingId)).result();
}

async function trailStages(onboardingId: string): Promise<string[]> {
  const res = await ops('GET', `/ops/onboardings/${onboardingId}/events`);
  expect(res.status).toBe(200);
  return (res.body as { items: TrailEvent[] }).items.flatMap((e) => (e.type === 'STAGE_CHANGED' ? [e.stage] : []));
}

async function expectReplays(onboardingId: string): Promise<void> {
  const workflowId = workflowIdFor(onboardingId);
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  const outcomes = await replayCheck([{ workflowId, history }], { dataConverter: createDataConverter(loadTemporalConfig(stack.env)) });
  expect(outcomes).toEqual([{ workflowId, ok: true }]);
}

describe('a person who comes back', () => {
  const person = newPerson();
  let resumed: Journey;

  it('goes on with the 10nPay user of the onboarding it left, asks for neither code again, and completes with one 10nPay user', async () => {
    // The first time: e-mail and phone confirmed, then the person leaves before the KYC data.
    const first = new Journey(stack.apiUrl, stack.control, person, { kycAtStart: false });
    await first.start();
    await first.confirmEmail();
    await first.enterSmsCode();
    const left = await first.waitForAction('SUBMIT_KYC_DATA');
    await cancel(first.onboardingId);
    const before = await stack.control.counters({ email: person.email });
    expect(before).toMatchObject({ usersCreated: 1, emailCodesSent: 1, smsCodesSent: 1 });

    resumed = new Journey(stack.apiUrl, stack.control, person);
    const res = await resumed.start();
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ onboardingId: expect.any(String), resumedFrom: first.onboardingId, stage: 'CREATING_USER' });
    expect(resumed.onboardingId).not.toBe(first.onboardingId);

    // Straight on to identification: 10nPay has the e-mail and the phone.
    const atBorica = await resumed.waitForAction('OPEN_URL', 'IDENTIFICATION');
    expect(atBorica).toMatchObject({ resumedFrom: first.onboardingId, ids: { userId: left.ids.userId } });
    expect(atBorica.timeline.map((t) => t.step)).toEqual(expect.arrayContaining(['userResumed', 'emailConfirmed', 'phoneVerified']));
    await resumed.identifyAndSign();
    await resumed.partnerKycB();
    const done = await resumed.waitForStage('COMPLETED');
    expect(done.ids).toMatchObject({ userId: left.ids.userId, individualId: expect.any(Number) });
    await stack.client.workflow.getHandle(workflowIdFor(resumed.onboardingId)).result();

    // One 10nPay user for the e-mail; no code sent again.
    expect(await stack.control.counters({ email: person.email })).toMatchObject({ usersCreated: 1, emailCodesSent: 1, smsCodesSent: 1, finalizeSuccesses: 1 });
    expect(await trailStages(resumed.onboardingId)).not.toEqual(expect.arrayContaining(['AWAITING_EMAIL_CODE']));
    expect(await trailStages(resumed.onboardingId)).not.toEqual(expect.arrayContaining(['AWAITING_SMS_CODE']));

    // resumedFrom in the record and in the ops detail.
    const row = await db.query('SELECT resumed_from, tennpay_user_id FROM onboardings WHERE onboarding_id = $1', [resumed.onboardingId]);
    expect(row.rows).toEqual([{ resumed_from: first.onboardingId, tennpay_user_id: String(left.ids.userId) }]);
    const detail = await ops('GET', `/ops/onboardings/${resumed.onboardingId}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ view: { resumedFrom: first.onboardingId, stage: 'COMPLETED' } });
    await expectReplays(resumed.onboardingId);
  });

  it('a third start with the same e-mail (any case) answers 409 with the completed onboarding’s id, and starts nothing', async () => {
    const res = await start(person, { ...startBody(person), email: person.email.toUpperCase() });
    expect(res.status).toBe(409);
    expect(res.contentType).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status: 409, onboardingId: resumed.onboardingId });
    expect(res.body).not.toHaveProperty('accessToken');
    const found = await ops('GET', `/ops/onboardings?email=${encodeURIComponent(person.email)}`);
    expect((found.body as { items: unknown[] }).items).toHaveLength(2);
  });

  it('re-sends the e-mail code when the e-mail was not confirmed, and the new code confirms it; two comebacks at once make one', async () => {
    const p = newPerson();
    const first = new Journey(stack.apiUrl, stack.control, p);
    await first.start();
    await first.waitForAction('CONFIRM_EMAIL');
    await cancel(first.onboardingId);
    // Two tabs come back at the same moment: one goes on with the user, the other is shown it.
    const [a, b] = await Promise.all([start(p), start(p)]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    const [created, refused] = a.status === 201 ? [a, b] : [b, a];
    expect(created.body).toMatchObject({ resumedFrom: first.onboardingId });
    expect(refused.body).toMatchObject({ onboardingId: created.body.onboardingId });
    const second = new Journey(stack.apiUrl, stack.control, p);
    second.onboardingId = created.body.onboardingId;
    second.accessToken = created.body.accessToken;
    await second.confirmEmail();
    await second.waitForAction('ENTER_SMS_CODE');
    expect(await stack.control.counters({ email: p.email })).toMatchObject({ usersCreated: 1, emailCodesSent: 2 });
    expect(second.codes.email[0]).toBe(await stack.control.latestEmailCode(p.email));
    await cancel(second.onboardingId);
  });

  it('a start while one is running answers 409 with the running one’s id; two starts at once make one onboarding', async () => {
    const p = newPerson();
    const [a, b] = await Promise.all([start(p), start(p)]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    const [created, refused] = a.status === 201 ? [a, b] : [b, a];
    const runningId = (created.body as { onboardingId: string }).onboardingId;
    expect(refused.body).toMatchObject({ status: 409, onboardingId: runningId });
    expect(refused.body).not.toHaveProperty('accessToken');
    const again = await start(p);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ onboardingId: runningId });
    await cancel(runningId);
    expect((await stack.control.counters({ email: p.email })).usersCreated).toBe(1);
  });

  it('an e-mail 10nPay knows from elsewhere still ends FAILED EmailAlreadyRegistered', async () => {
    const p = newPerson();
    const tennpay = TennpayClient.fromConfig(loadTennpayConfig(stack.env));
    try {
      await tennpay.createUser(p.email);
    } finally {
      await tennpay.close();
    }
    const j = new Journey(stack.apiUrl, stack.control, p);
    const res = await j.start();
    expect(res.body).not.toHaveProperty('resumedFrom');
    expect(await j.waitForEnd()).toMatchObject({ stage: 'FAILED', reason: 'EmailAlreadyRegistered' });
  });
});
