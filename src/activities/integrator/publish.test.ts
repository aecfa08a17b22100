// From record changes to outbound events: stage changes only, identifiers without personal data;
// recordChanges publishes after the record is written, and a failed publish fails the write's
// activity (so the workflow retries both); a worker without recordChanges is left as it is.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RecordChange } from '../../record/changes';
import { integratorEventsOf, publishingAfterRecord } from './index';

const onboardingId = randomUUID();
const opening: RecordChange['opening'] = {
  userType: 'INDIVIDUAL',
  externalRef: 'crm-1',
  email: 'person@example.com',
  phoneNumber: '+359888123456',
  startedAt: '2026-01-01T00:00:00.000Z',
};
const change = (seq: number, event: RecordChange['event']): RecordChange => ({
  onboardingId,
  seq,
  at: `2026-01-01T00:00:0${seq}.000Z`,
  event,
  stage: 'AWAITING_SMS_CODE',
  stageEnteredAt: '2026-01-01T00:00:00.000Z',
  ids: { userId: 5, partnerUserId: 'p-1' },
  opening,
});
const changes: RecordChange[] = [
  change(1, { type: 'STAGE_CHANGED', stage: 'AWAITING_EMAIL_CODE', previousStage: 'CREATING_USER' }),
  change(2, { type: 'PROVIDER_FAILURE', step: 'createUser', failureType: 'ProviderUnavailable' }),
  change(3, { type: 'STAGE_CHANGED', stage: 'CANCELLED', previousStage: 'AWAITING_EMAIL_CODE', reason: 'asked by ops' }),
];

describe('integratorEventsOf', () => {
  it('makes one event per stage change, with ids and externalRef, never the person', () => {
    const events = integratorEventsOf(changes);
    expect(events).toEqual([
      { onboardingId, seq: 1, stage: 'AWAITING_EMAIL_CODE', previousStage: 'CREATING_USER', ids: { userId: 5, partnerUserId: 'p-1' }, externalRef: 'crm-1', at: '2026-01-01T00:00:01.000Z' },
      { onboardingId, seq: 3, stage: 'CANCELLED', previousStage: 'AWAITING_EMAIL_CODE', reason: 'asked by ops', ids: { userId: 5, partnerUserId: 'p-1' }, externalRef: 'crm-1', at: '2026-01-01T00:00:03.000Z' },
    ]);
    expect(JSON.stringify(events)).not.toMatch(/example\.com|359888/);
  });
});

describe('publishingAfterRecord', () => {
  it('publishes what was written, after the write; a failed publish fails the activity', async () => {
    const calls: string[] = [];
    const activities = {
      createUser: async () => 'untouched',
      recordChanges: async (c: RecordChange[]) => void calls.push(`record ${c.map((x) => x.seq).join(',')}`),
    };
    let fail = false;
    const wrapped = publishingAfterRecord(activities, async (c) => {
      if (fail) throw new Error('Temporal unreachable');
      calls.push(`publish ${c.map((x) => x.seq).join(',')}`);
    });
    await wrapped.recordChanges(changes);
    expect(calls).toEqual(['record 1,2,3', 'publish 1,2,3']);
    expect(wrapped.createUser).toBe(activities.createUser);
    fail = true;
    await expect(wrapped.recordChanges(changes)).rejects.toThrow('Temporal unreachable');
  });

  it('leaves a worker without recordChanges as it is', () => {
    const activities = { createUser: async () => 'x' };
    expect(publishingAfterRecord(activities, async () => undefined)).toBe(activities);
  });
});
