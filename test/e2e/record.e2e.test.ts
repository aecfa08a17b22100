// The onboarding record end to end: the real worker writes every change of an onboarding to a
// real PostgreSQL, once and in order, without lengthening the happy path's history past 145 events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../src/domain/onboarding';
import type { TrailEvent } from '../../src/record/changes';
import { openRecord, type OpenRecord } from '../../src/record/open';
import { startTestPostgres, type TestPostgres } from '../support/postgres';
import { Journey, newPerson } from './journey';
import { type Stack, startStack } from './stack';

let pg: TestPostgres;
let stack: Stack;
let reader: OpenRecord;

beforeAll(async () => {
  pg = await startTestPostgres();
  stack = await startStack({ databaseUrl: pg.url });
  reader = (await openRecord(stack.env))!;
});
afterAll(async () => {
  await reader?.close();
  await stack?.close();
  await pg?.stop();
});

const journey = (options: ConstructorParameters<typeof Journey>[3] = {}) => new Journey(stack.apiUrl, stack.control, newPerson(), options);

/** The record's trail once the workflow has closed (the last write precedes the close). */
async function trailOf(onboardingId: string): Promise<TrailEvent[]> {
  await stack.client.workflow.getHandle(workflowIdFor(onboardingId)).result();
  return reader.record.events(onboardingId);
}

describe('the onboarding record, written by the workflow', () => {
  it('holds the complete, ordered trail of a completed onboarding, and the happy path stays within 145 history events', async () => {
    const j = journey();
    const view = await j.run();
    expect(view.stage).toBe('COMPLETED');

    const trail = await trailOf(j.onboardingId);
    expect(trail.map((e) => e.seq)).toEqual(trail.map((_, i) => i + 1));
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

    const row = await reader.record.get(j.onboardingId);
    expect(row).toMatchObject({
      onboardingId: j.onboardingId,
      userType: 'INDIVIDUAL',
      stage: 'COMPLETED',
      lastSeq: trail.length,
      ids: { userId: view.ids.userId, individualId: view.ids.individualId, partnerUserId: view.ids.partnerUserId, externalUserId: j.onboardingId },
    });
    expect(row?.endedAt).toBe(trail.at(-1)!.at);
    // The person is found by e-mail, through the keyed hash only.
    expect((await reader.record.findByPerson({ email: j.person.email })).map((o) => o.onboardingId)).toEqual([j.onboardingId]);

    const history = await stack.client.workflow.getHandle(workflowIdFor(j.onboardingId)).fetchHistory();
    const length = history.events?.length ?? 0;
    console.log(`history events of a completed onboarding with the record: ${length}`);
    if (process.env.DUMP_HISTORY) console.log((history.events ?? []).map((e) => `${e.eventId} ${e.eventType} ${e.markerRecordedEventAttributes?.markerName ?? ''} ${Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}).join(',')}`).join('\n'));
    expect(length).toBeLessThanOrEqual(145);
  });

  it('records each ops action with its actor', async () => {
    const j = journey();
    await j.start();
    await j.waitFor('awaiting the e-mail code', (v) => v.stage === 'AWAITING_EMAIL_CODE');
    const handle = stack.client.workflow.getHandle(workflowIdFor(j.onboardingId));
    const { cancelOnboarding } = await import('../../src/workflows/messages');
    await handle.executeUpdate(cancelOnboarding, { args: [{ requestedBy: 'alice', reason: 'customer asked' }] });
    const trail = await trailOf(j.onboardingId);
    expect(trail.slice(-2)).toMatchObject([
      { type: 'OPS_ACTION', action: 'cancel', actor: 'alice', reason: 'customer asked' },
      { type: 'STAGE_CHANGED', stage: 'CANCELLED', previousStage: 'AWAITING_EMAIL_CODE', reason: 'customer asked' },
    ]);
  });
});
