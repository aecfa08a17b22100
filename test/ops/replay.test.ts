// Replay check on the committed history fixtures (one per stage): the current workflow code replays
// them all; a copy of the workflow with a change that is not deterministic (a timer added after
// creating the user) fails with a DeterminismViolationError; the same change behind patched()
// replays them fine. Also: where a reset may go (never before a non-idempotent provider call), and
// no personal data in the fixtures.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { temporal } from '@temporalio/proto';
import { FIXTURE_ENCRYPTION_KEY } from '../../src/ops/fixture-key';
import { type HistoryAndId, quietRuntime, readHistoryFiles, replayCheck } from '../../src/ops/replay';
import { UnsafeReset, planReset } from '../../src/ops/reset';
import { createDataConverter } from '../../src/temporal/data-converter';
import { removeWorkflowVariants, workflowVariant } from './support';

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'histories');
const dataConverter = createDataConverter({ PAYLOAD_ENCRYPTION_KEY: FIXTURE_ENCRYPTION_KEY, PAYLOAD_ENCRYPTION_OLD_KEYS: [] });
const EXPECTED_STAGES = [
  'awaiting-email-code',
  'awaiting-sms-code',
  'awaiting-kyc-data',
  'awaiting-identification',
  'awaiting-signature',
  'awaiting-partner-kyc',
  'verifying-partner-account',
  'completed',
  'creating-user-needs-attention',
  'identification-failed',
  'cancelled',
  'resumed-awaiting-identification',
];

let histories: HistoryAndId[];

const AFTER_USER_CREATED = "this.progress.done('userCreated');";

beforeAll(() => {
  quietRuntime();
  histories = readHistoryFiles(FIXTURES);
});

afterAll(() => {
  removeWorkflowVariants();
});

describe('the history fixtures', () => {
  it('cover each stage and hold no personal data in plain text', () => {
    expect(histories.map((h) => h.workflowId).sort()).toEqual([...EXPECTED_STAGES].sort());
    for (const file of readdirSync(FIXTURES).filter((f) => f.endsWith('.json'))) {
      const text = readFileSync(path.join(FIXTURES, file), 'utf8');
      const decodedStrings: string[] = [];
      JSON.parse(text, (_k, v: unknown) => {
        if (typeof v === 'string') decodedStrings.push(v, /^[A-Za-z0-9+/=]{8,}$/.test(v) ? Buffer.from(v, 'base64').toString('latin1') : '');
        return v;
      });
      const all = decodedStrings.join('\n');
      for (const personal of ['@example.test', 'Fictiva', 'Testa', '+3598800', 'TST000000', 'personalNumber', 'Test Street']) {
        expect(all, `${file} holds ${personal}`).not.toContain(personal);
      }
      // Every payload is encrypted.
      expect(text).toContain('YmluYXJ5L2VuY3J5cHRlZA=='); // "binary/encrypted"
      expect(all).not.toMatch(/"email"\s*:/);
    }
  });
});

describe('replay-check', () => {
  it('replays every fixture on the current workflow code', async () => {
    const outcomes = await replayCheck(histories, { dataConverter });
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(outcomes).toHaveLength(EXPECTED_STAGES.length);
  });

  it('fails with non-determinism on a workflow that adds a timer after creating the user', async () => {
    const variant = workflowVariant('extra-timer', (s) => s.replace(AFTER_USER_CREATED, `${AFTER_USER_CREATED}\n      await sleep('1 second');`));
    const outcomes = await replayCheck(histories, { dataConverter, workflowsPath: variant });
    const byId = Object.fromEntries(outcomes.map((o) => [o.workflowId, o]));
    // Every history past the user's creation breaks; the one still creating the user does not, nor
    // the returning person's, which goes on with an earlier onboarding's user and never creates one.
    const untouched = ['creating-user-needs-attention', 'resumed-awaiting-identification'];
    for (const id of EXPECTED_STAGES.filter((s) => !untouched.includes(s))) {
      expect(byId[id], id).toMatchObject({ ok: false, kind: 'nondeterminism' });
    }
    for (const id of untouched) expect(byId[id], id).toMatchObject({ ok: true });
  });

  it('passes when the same change is behind patched(): old histories take the old path', async () => {
    const variant = workflowVariant('patched-timer', (s) =>
      `import { patched as patchedInTest } from '@temporalio/workflow';\n${s}`.replace(
        AFTER_USER_CREATED,
        `${AFTER_USER_CREATED}\n      if (patchedInTest('pause-after-user-created')) await sleep('1 second');`,
      ),
    );
    const outcomes = await replayCheck(histories, { dataConverter, workflowsPath: variant });
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
  });
});

describe('reset planning', () => {
  const byName = (name: string) => histories.find((h) => h.workflowId === name)!.history;
  const EventType = temporal.api.enums.v1.EventType;
  const eventsOf = (name: string) => byName(name).events ?? [];
  const completedOf = (name: string, activity: string) => {
    const events = eventsOf(name);
    const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activity)!;
    const done = events.find((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED && Number(e.activityTaskCompletedEventAttributes?.scheduledEventId) === Number(scheduled.eventId));
    return Number(done!.eventId);
  };

  it('resets to the first workflow task after the last non-idempotent call, never before it', () => {
    const plan = planReset(byName('awaiting-email-code'));
    const created = completedOf('awaiting-email-code', 'createUser');
    expect(plan.barrier).toEqual({ activityType: 'createUser', eventId: created, finished: true });
    expect(plan.eventId).toBeGreaterThan(created);
    expect(plan.safePoints.every((p) => p > created)).toBe(true);
    const firstTask = eventsOf('awaiting-email-code').find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)!;
    expect(() => planReset(byName('awaiting-email-code'), Number(firstTask.eventId))).toThrow(UnsafeReset);
    expect(planReset(byName('awaiting-email-code'), 'latest').eventId).toBe(plan.safePoints.at(-1));
  });

  it('follows the latest of the calls: the SMS code, then Add User Verification', () => {
    expect(planReset(byName('awaiting-kyc-data')).barrier).toMatchObject({ activityType: 'sendSmsCode', finished: true });
    const plan = planReset(byName('verifying-partner-account'));
    expect(plan.barrier).toMatchObject({ activityType: 'addUserVerification', eventId: completedOf('verifying-partner-account', 'addUserVerification') });
    expect(plan.eventId).toBeGreaterThan(plan.barrier!.eventId);
  });

  it('treats a call made as a local activity (a code resend) as a call made and finished at its marker', () => {
    const events = eventsOf('awaiting-kyc-data');
    const last = Number(events.at(-1)!.eventId);
    type Event = (typeof events)[number];
    // Event ids are Longs in the proto types; planReset reads any number.
    const eventId = (id: number) => id as unknown as Event['eventId'];
    const marker = (id: number, activityType: string): Event => ({
      eventId: eventId(id),
      eventType: EventType.EVENT_TYPE_MARKER_RECORDED,
      markerRecordedEventAttributes: {
        markerName: 'core_local_activity',
        details: { data: { payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify({ seq: 9, attempt: 1, activity_type: activityType })) }] } },
      },
    });
    const completed = (id: number): Event => ({ eventId: eventId(id), eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED });
    // A record write (idempotent) changes nothing; a resent SMS code is the new barrier.
    const withRecordWrite = { events: [...events, marker(last + 1, 'recordChanges'), completed(last + 2)] };
    expect(planReset(withRecordWrite).barrier).toMatchObject({ activityType: 'sendSmsCode' });
    const withResend = { events: [...events, marker(last + 1, 'resendSmsCode'), completed(last + 2)] };
    expect(planReset(withResend)).toMatchObject({ barrier: { activityType: 'resendSmsCode', eventId: last + 1, finished: true }, eventId: last + 2 });
  });

  it('refuses when no workflow task completed after the call (a failing task needs a fix, not a reset)', () => {
    const events = eventsOf('awaiting-email-code');
    const created = completedOf('awaiting-email-code', 'createUser');
    const truncated = { events: events.filter((e) => Number(e.eventId) <= created) };
    expect(() => planReset(truncated)).toThrow(/no safe reset point/);
  });
});
