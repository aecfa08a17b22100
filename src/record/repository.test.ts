// The onboarding record against a real PostgreSQL (test/support/postgres.ts): migrations, the
// exactly-once append, the trail's order and immutability, search by person, stats and retention.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPostgres, type TestPostgres } from '../../test/support/postgres';
import type { Stage } from '../domain/onboarding';
import type { RecordChange, RecordEvent } from './changes';
import { createPool, migrate } from './database';
import { PersonHasher } from './person-hash';
import { OnboardingRecord, RecordUnavailableError } from './repository';
import { ViewFeed, type ViewFeedItem } from './view-feed';

const key = randomBytes(32).toString('base64');
const oldKey = randomBytes(32).toString('base64');
let pg: TestPostgres;
let pool: Pool;
let record: OnboardingRecord;

beforeAll(async () => {
  pg = await startTestPostgres();
  expect(await migrate(pg.url)).toEqual(['1764650000000_onboarding-record', '1764660000000_onboarding-views']);
  pool = createPool(pg.url);
  record = new OnboardingRecord(pool, new PersonHasher([key]));
});
afterAll(async () => {
  await pool?.end();
  await pg?.stop();
});

const T0 = Date.parse('2026-11-01T10:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

function journey(onboardingId: string, person = { email: 'ana@example.com', phoneNumber: '+359888000111' }) {
  let seq = 0;
  let stage: Stage = 'CREATING_USER';
  let stageEnteredAt = at(0);
  const ids: RecordChange['ids'] = {};
  const opening = { userType: 'INDIVIDUAL' as const, ...person, startedAt: at(0) };
  return {
    change(seconds: number, event: RecordEvent, more: Partial<RecordChange['ids']> = {}): RecordChange {
      if (event.type === 'STAGE_CHANGED') {
        stage = event.stage;
        stageEnteredAt = at(seconds);
      }
      Object.assign(ids, more);
      return { onboardingId, seq: ++seq, at: at(seconds), event, stage, stageEnteredAt, ids: { ...ids }, opening };
    },
  };
}
const moved = (stage: Stage, previousStage: Stage | null, reason?: string): RecordEvent => ({
  type: 'STAGE_CHANGED',
  stage,
  previousStage,
  ...(reason ? { reason } : {}),
});

describe('the onboarding record', () => {
  it('applies its migrations once', async () => {
    expect(await migrate(pg.url)).toEqual([]);
  });

  it('records each change once, in seq order, and the row follows the newest change', async () => {
    const id = randomUUID();
    const j = journey(id);
    const changes = [
      j.change(0, moved('CREATING_USER', null)),
      j.change(5, moved('AWAITING_EMAIL_CODE', 'CREATING_USER'), { userId: 4242 }),
      j.change(7, { type: 'PROVIDER_FAILURE', step: 'sendSmsCode', failureType: 'ProviderUnavailable' }),
      j.change(9, { type: 'OPS_ACTION', action: 'cancel', actor: 'alice', reason: 'customer asked' }),
      j.change(9, moved('CANCELLED', 'AWAITING_EMAIL_CODE', 'customer asked')),
    ];
    for (const c of changes) expect(await record.append(c)).toEqual({ recorded: true });
    // A retried write (the activity ran again after a crash) changes nothing.
    expect(await record.append(changes[3]!)).toEqual({ recorded: false });
    // An older change arriving late does not move the row back.
    expect(await record.append(changes[1]!)).toEqual({ recorded: false });

    const trail = await record.events(id);
    expect(trail.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(trail[3]).toEqual({ seq: 4, at: at(9), type: 'OPS_ACTION', action: 'cancel', actor: 'alice', reason: 'customer asked' });
    expect(trail[1]).toEqual({ seq: 2, at: at(5), type: 'STAGE_CHANGED', stage: 'AWAITING_EMAIL_CODE', previousStage: 'CREATING_USER' });
    expect(await record.get(id)).toMatchObject({
      onboardingId: id,
      stage: 'CANCELLED',
      stageEnteredAt: at(9),
      reason: 'customer asked',
      endedAt: at(9),
      ids: { userId: 4242 },
      lastSeq: 5,
    });
  });

  it('keeps the view of every change, the newest on the row, and announces each view once on the feed', async () => {
    const id = randomUUID();
    const j = journey(id, { email: 'view@example.com', phoneNumber: '+359888000333' });
    const viewAt = (stage: Stage, attemptsLeft: number) => ({
      onboardingId: id, stage, stageEnteredAt: at(0), nextAction: { type: 'CONFIRM_EMAIL' as const }, needsAttention: false,
      ids: {}, kycDataReceived: false, timeline: [], attemptsLeft: { emailCode: attemptsLeft, smsCode: 5 },
    });
    const feed = new ViewFeed(pg.url, record);
    const seen: ViewFeedItem[] = [];
    const unsubscribe = await feed.subscribe(id, (item) => seen.push(item));
    try {
      const first = { ...j.change(0, moved('CREATING_USER', null)), view: viewAt('AWAITING_EMAIL_CODE', 5) };
      // A wrong code: the view changes (attempts left), the trail does not.
      const wrongCode: RecordChange = { ...j.change(1, moved('CREATING_USER', null)), view: viewAt('AWAITING_EMAIL_CODE', 4) };
      delete wrongCode.event;
      expect(await record.append(first)).toEqual({ recorded: true });
      expect(await record.append(wrongCode)).toEqual({ recorded: true });
      expect(await record.append(wrongCode)).toEqual({ recorded: false });
      expect((await record.events(id)).map((e) => e.seq)).toEqual([1]);
      expect(await record.view(id)).toEqual({ seq: 2, view: wrongCode.view });
      expect((await record.viewsAfter(id, 0)).map((v) => [v.seq, v.view.attemptsLeft.emailCode])).toEqual([[1, 5], [2, 4]]);
      expect(await record.viewsAfter(id, 2)).toEqual([]);
      for (let i = 0; i < 200 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      expect(seen).toEqual([
        { kind: 'view', seq: 1, view: first.view },
        { kind: 'view', seq: 2, view: wrongCode.view },
      ]);
    } finally {
      unsubscribe();
      await feed.close();
    }
  });

  it('keeps the row at the newest change when changes arrive out of order', async () => {
    const id = randomUUID();
    const j = journey(id, { email: 'late@example.com', phoneNumber: '+359888000999' });
    const first = j.change(0, moved('CREATING_USER', null));
    const second = j.change(3, moved('AWAITING_EMAIL_CODE', 'CREATING_USER'), { userId: 7 });
    await record.append(second);
    await record.append(first);
    expect(await record.get(id)).toMatchObject({ stage: 'AWAITING_EMAIL_CODE', lastSeq: 2, ids: { userId: 7 } });
    expect((await record.events(id)).map((e) => e.seq)).toEqual([1, 2]);
  });

  it('refuses to change or remove an event of the trail', async () => {
    const id = randomUUID();
    await record.append(journey(id, { email: 'x@example.com', phoneNumber: '+359888000222' }).change(0, moved('CREATING_USER', null)));
    await expect(pool.query(`UPDATE onboarding_events SET type = 'OPS_ACTION' WHERE onboarding_id = $1`, [id])).rejects.toThrow(/append-only/);
    await expect(pool.query('DELETE FROM onboarding_events WHERE onboarding_id = $1', [id])).rejects.toThrow(/append-only/);
    expect(await record.events(id)).toHaveLength(1);
  });

  it('finds onboardings by exact e-mail (trimmed, any case) or phone number, also under a rotated key, and stores no plain personal data', async () => {
    const email = `Search.${randomUUID().slice(0, 8)}@Example.com`;
    const phone = '+359877123456';
    const a = randomUUID();
    const b = randomUUID();
    // Recorded under the key that is now an old one.
    const before = new OnboardingRecord(pool, new PersonHasher([oldKey]));
    await before.append(journey(a, { email, phoneNumber: phone }).change(0, moved('CREATING_USER', null)));
    await record.append(journey(b, { email: email.toLowerCase(), phoneNumber: '+359877000000' }).change(60, moved('CREATING_USER', null)));

    const rotated = new OnboardingRecord(pool, new PersonHasher([key, oldKey]));
    expect((await rotated.findByPerson({ email: `  ${email.toUpperCase()} ` })).map((o) => o.onboardingId).sort()).toEqual([a, b].sort());
    expect((await rotated.findByPerson({ phoneNumber: phone })).map((o) => o.onboardingId)).toEqual([a]);
    expect(await record.findByPerson({ email: 'nobody@example.com' })).toEqual([]);

    const dump = JSON.stringify((await pool.query('SELECT * FROM onboardings')).rows);
    expect(dump.toLowerCase()).not.toContain(email.toLowerCase());
    expect(dump).not.toContain('359877123456');
  });

  it('erases the person after the retention period from the end, and keeps the ids and the trail', async () => {
    const email = `retained.${randomUUID().slice(0, 8)}@example.com`;
    const oldOne = randomUUID();
    const recent = randomUUID();
    const running = randomUUID();
    const j1 = journey(oldOne, { email, phoneNumber: '+359888100100' });
    await record.append(j1.change(0, moved('CREATING_USER', null)));
    await record.append(j1.change(10, moved('ABANDONED', 'CREATING_USER', 'UserStepTimedOut'), { userId: 99 }));
    const j2 = journey(recent, { email, phoneNumber: '+359888100100' });
    await record.append(j2.change(0, moved('CREATING_USER', null)));
    await record.append({ ...j2.change(10, moved('FAILED', 'CREATING_USER', 'EmailAlreadyRegistered')), at: at(86_400 * 89) });
    await record.append(journey(running, { email, phoneNumber: '+359888100100' }).change(0, moved('CREATING_USER', null)));

    const now = new Date(T0 + 86_400_000 * 90 + 60_000);
    const ninetyDays = 90 * 86_400_000;
    expect(await record.erasePersonalData(now, ninetyDays)).toBeGreaterThanOrEqual(1);

    expect((await record.findByPerson({ email })).map((o) => o.onboardingId).sort()).toEqual([recent, running].sort());
    const erased = await record.get(oldOne);
    expect(erased).toMatchObject({ stage: 'ABANDONED', reason: 'UserStepTimedOut', ids: { userId: 99 }, personalDataErasedAt: now.toISOString() });
    expect((await record.events(oldOne)).map((e) => e.type)).toEqual(['STAGE_CHANGED', 'STAGE_CHANGED']);
    const hashes = await pool.query('SELECT email_hash, phone_hash FROM onboardings WHERE onboarding_id = $1', [oldOne]);
    expect(hashes.rows[0]).toEqual({ email_hash: null, phone_hash: null });
    // Erased once: a second pass finds nothing more to erase for it.
    expect(await record.erasePersonalData(now, ninetyDays)).toBe(0);
  });

  it('decides starts for one e-mail one after the other: the second sees the row the first opened', async () => {
    const email = `starts.${randomUUID().slice(0, 8)}@example.com`;
    const opening = (onboardingId: string) => ({ onboardingId, userType: 'INDIVIDUAL', email, phoneNumber: '+359888300300', startedAt: at(0) });
    let releaseFirst!: () => void;
    const firstHolds = new Promise<void>((r) => (releaseFirst = r));
    const seen: string[][] = [];
    const a = randomUUID();
    const b = randomUUID();
    const first = record.startForPerson(` ${email.toUpperCase()}`, async (found) => {
      seen.push(found.map((o) => o.onboardingId));
      await firstHolds; // the second start arrives while this one decides
      return { result: 'first', open: { ...opening(a), resumedFrom: randomUUID(), tennpayUserId: 31 } };
    });
    const second = record.startForPerson(email, async (found) => {
      seen.push(found.map((o) => o.onboardingId));
      return { result: 'second', open: opening(b) };
    });
    // The second waits on the e-mail's lock (PostgreSQL shows its advisory lock not granted).
    for (let i = 0; ; i++) {
      const waiting = await pool.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted");
      if (waiting.rows[0].n === 1) break;
      if (i > 500) throw new Error('the second start never waited for the first');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(seen).toEqual([[]]);
    releaseFirst();
    expect(await Promise.all([first, second])).toEqual(['first', 'second']);
    expect(seen).toEqual([[], [a]]);
    expect(await record.get(a)).toMatchObject({ stage: 'CREATING_USER', lastSeq: 0, ids: { userId: 31 }, resumedFrom: expect.any(String) });

    // The workflow's first change finds the row the start opened; a start that never reached
    // Temporal is forgotten, one its workflow wrote to is not.
    await record.append(journey(a, { email, phoneNumber: '+359888300300' }).change(1, moved('CREATING_USER', null)));
    await record.forgetStart(a);
    await record.forgetStart(b);
    expect((await record.findByPerson({ email })).map((o) => o.onboardingId)).toEqual([a]);
    expect(await record.get(a)).toMatchObject({ lastSeq: 1, ids: { userId: 31 } });
  });

  it('fails a start whose connection the server dropped while it decided, as unavailable, without crashing the process', async () => {
    const email = `dropped.${randomUUID().slice(0, 8)}@example.com`;
    const start = record.startForPerson(email, async () => {
      // The server ends this start's session (as a PostgreSQL stopping would) while no query runs:
      // pg then emits 'error' on the checked-out client.
      const ended = await pool.query("SELECT pg_terminate_backend(pid) AS ended FROM pg_locks WHERE locktype = 'advisory' AND granted");
      expect(ended.rows).toEqual([{ ended: true }]);
      await new Promise((r) => setTimeout(r, 300));
      return { result: 'decided', open: { onboardingId: randomUUID(), userType: 'INDIVIDUAL', email, phoneNumber: '+359888300301', startedAt: at(0) } };
    });
    await expect(start).rejects.toBeInstanceOf(RecordUnavailableError);
    // The dropped client left the pool: the next start works on a fresh connection.
    expect(await record.startForPerson(email, async (found) => ({ result: found.length }))).toBe(0);
  });

  it('counts running and ended onboardings by stage and the time spent in each stage', async () => {
    await pool.query('TRUNCATE onboarding_views, onboarding_events, onboardings');
    for (const [i, emailWait] of [10, 20, 30, 40, 50, 60, 70, 80, 90, 100].entries()) {
      const j = journey(randomUUID(), { email: `s${i}@example.com`, phoneNumber: '+359888200200' });
      await record.append(j.change(0, moved('CREATING_USER', null)));
      await record.append(j.change(2, moved('AWAITING_EMAIL_CODE', 'CREATING_USER')));
      const reason = i < 5 ? 'CodeWaitTimedOut' : 'OnboardingTimedOut';
      if (i < 7) await record.append(j.change(2 + emailWait, moved('ABANDONED', 'AWAITING_EMAIL_CODE', reason)));
    }
    const done = journey(randomUUID(), { email: 'done@example.com', phoneNumber: '+359888200200' });
    await record.append(done.change(0, moved('CREATING_USER', null)));
    await record.append(done.change(2, moved('COMPLETED', 'CREATING_USER')));
    const stats = await record.stats();
    expect(stats.running).toEqual({ AWAITING_EMAIL_CODE: 3 });
    expect(stats.ended).toEqual({ ABANDONED: 7, COMPLETED: 1 });
    // Per end and reason, for the console's funnel; an end without a reason counts under `none`.
    expect(stats.endedByReason).toEqual({ ABANDONED: { CodeWaitTimedOut: 5, OnboardingTimedOut: 2 }, COMPLETED: { none: 1 } });
    expect(stats.stageDurations.CREATING_USER).toEqual({ p50Seconds: 2, p90Seconds: 2 });
    // Seven finished e-mail waits of 10…70 s: the median is 40 s, the 90th percentile 64 s.
    expect(stats.stageDurations.AWAITING_EMAIL_CODE).toEqual({ p50Seconds: 40, p90Seconds: 64 });
    expect(stats.stageDurations.ABANDONED).toBeUndefined();
  });
});
