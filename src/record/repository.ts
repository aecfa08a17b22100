// The onboarding record's reads and writes over PostgreSQL. A change is appended once whatever the
// retries: the event's (onboarding_id, seq) is its identity (INSERT … ON CONFLICT DO NOTHING), and
// the onboarding row moves to the change's state in the same transaction, only when the change is
// newer than what the row already shows. Reads serve the ops API after the workflow is gone.
import type { Pool, PoolClient } from 'pg';
import { END_STAGES, type Stage } from '../domain/onboarding';
import type { OnboardingView } from '../domain/onboarding';
import type { RecordChange, RecordedOnboarding, RecordedView, RecordEvent, RecordStats, TrailEvent } from './changes';
import type { PersonHasher } from './person-hash';

/** The channel on which every recorded view is announced (pg_notify, in the writing transaction). */
export const VIEWS_CHANNEL = 'onboarding_views';
/**
 * NOTIFY payloads are limited to 8000 bytes: a view that fits travels in the notification, a
 * larger one is announced by its seq only and read by the listener.
 */
const NOTIFY_VIEW_MAX_BYTES = 7_000;

/** What a notification on VIEWS_CHANNEL carries. */
export interface ViewNotice {
  onboardingId: string;
  seq: number;
  view?: OnboardingView;
}

/** PostgreSQL cannot be reached or answered with a connection-level error: try again later. */
export class RecordUnavailableError extends Error {
  override name = 'RecordUnavailableError';
  constructor(cause: unknown) {
    super(`the onboarding record is unavailable: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

// Connection-level SQLSTATE classes (08 connection, 57P admin shutdown/crash, 53 resources) and
// the errors node raises for a refused or dropped socket.
const UNAVAILABLE_CODES = /^(08|57P|53)/;
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  if (!e) return false;
  if (e.code && (UNAVAILABLE_CODES.test(e.code) || SOCKET_CODES.has(e.code))) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(e.message ?? '');
}

async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw isUnavailable(err) ? new RecordUnavailableError(err) : err;
  }
}

interface OnboardingRow {
  onboarding_id: string;
  user_type: string;
  external_ref: string | null;
  resumed_from: string | null;
  tennpay_user_id: string | null;
  individual_id: string | null;
  partner_user_id: string | null;
  external_user_id: string | null;
  verification_id: string | null;
  stage: Stage;
  stage_entered_at: Date;
  end_reason: string | null;
  ended_at: Date | null;
  personal_data_erased_at: Date | null;
  last_seq: number;
  created_at: Date;
  updated_at: Date;
}

const ONBOARDING_COLUMNS = `onboarding_id, user_type, external_ref, resumed_from, tennpay_user_id, individual_id,
  partner_user_id, external_user_id, verification_id, stage, stage_entered_at, end_reason, ended_at,
  personal_data_erased_at, last_seq, created_at, updated_at`;

function toOnboarding(r: OnboardingRow): RecordedOnboarding {
  const ids: RecordedOnboarding['ids'] = {};
  if (r.tennpay_user_id !== null) ids.userId = Number(r.tennpay_user_id);
  if (r.individual_id !== null) ids.individualId = Number(r.individual_id);
  if (r.partner_user_id !== null) ids.partnerUserId = r.partner_user_id;
  if (r.external_user_id !== null) ids.externalUserId = r.external_user_id;
  if (r.verification_id !== null) ids.verificationId = r.verification_id;
  return {
    onboardingId: r.onboarding_id,
    userType: r.user_type,
    ...(r.external_ref !== null ? { externalRef: r.external_ref } : {}),
    ...(r.resumed_from !== null ? { resumedFrom: r.resumed_from } : {}),
    stage: r.stage,
    stageEnteredAt: r.stage_entered_at.toISOString(),
    ...(r.end_reason !== null ? { reason: r.end_reason } : {}),
    ...(r.ended_at !== null ? { endedAt: r.ended_at.toISOString() } : {}),
    ids,
    ...(r.personal_data_erased_at !== null ? { personalDataErasedAt: r.personal_data_erased_at.toISOString() } : {}),
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    lastSeq: r.last_seq,
  };
}

/** A new onboarding's row, as the API opens it at the start (the workflow's first change finds it). */
export interface StartOpening {
  onboardingId: string;
  userType: string;
  externalRef?: string;
  resumedFrom?: string;
  tennpayUserId?: number;
  email: string;
  phoneNumber: string;
  startedAt: string;
}

async function forgetStartIn(db: PoolClient, onboardingId: string): Promise<void> {
  await db.query(
    `DELETE FROM onboardings o WHERE o.onboarding_id = $1 AND o.last_seq = 0
       AND NOT EXISTS (SELECT 1 FROM onboarding_events e WHERE e.onboarding_id = o.onboarding_id)`,
    [onboardingId],
  );
}

/** The event's own fields, without the `type` (a column of its own). */
function payloadOf(event: RecordEvent): Record<string, unknown> {
  return Object.fromEntries(Object.entries(event).filter(([k]) => k !== 'type'));
}

/** The reason key of onboardings that ended without one (COMPLETED), as the ended metric labels them. */
export const NO_REASON = 'none';

export class OnboardingRecord {
  constructor(
    private readonly pool: Pool,
    private readonly hasher: PersonHasher,
  ) {}

  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return guard(async () => {
      const client = await this.pool.connect();
      // A checked-out client is ours to watch: its connection dropping between two queries (the
      // server stopped while a start decides) is an 'error' event that, unheard, crashes the
      // process. Heard, the next query fails and the client is destroyed, not pooled again.
      let broken: unknown;
      const onError = (err: Error) => (broken = err);
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch((rollbackErr: unknown) => (broken ??= rollbackErr));
        throw err;
      } finally {
        client.off('error', onError);
        client.release(broken !== undefined);
      }
    });
  }

  /**
   * Appends a change; a change already recorded (same onboarding and seq) changes nothing.
   * Returns whether this call recorded it.
   */
  async append(change: RecordChange): Promise<{ recorded: boolean }> {
    const { opening, ids } = change;
    return this.transaction(async (db) => {
      await db.query(
        `INSERT INTO onboardings (onboarding_id, user_type, external_ref, resumed_from, email_hash, phone_hash,
           stage, stage_entered_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'CREATING_USER', $7, $7, $7)
         ON CONFLICT (onboarding_id) DO NOTHING`,
        [
          change.onboardingId,
          opening.userType,
          opening.externalRef ?? null,
          opening.resumedFrom ?? null,
          this.hasher.email(opening.email),
          this.hasher.phone(opening.phoneNumber),
          opening.startedAt,
        ],
      );
      let recorded = false;
      if (change.event) {
        const inserted = await db.query(
          `INSERT INTO onboarding_events (onboarding_id, seq, at, type, payload) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (onboarding_id, seq) DO NOTHING RETURNING seq`,
          [change.onboardingId, change.seq, change.at, change.event.type, JSON.stringify(payloadOf(change.event))],
        );
        recorded = (inserted.rowCount ?? 0) > 0;
      }
      let viewRecorded = false;
      if (change.view) {
        const inserted = await db.query(
          `INSERT INTO onboarding_views (onboarding_id, seq, at, view) VALUES ($1, $2, $3, $4)
           ON CONFLICT (onboarding_id, seq) DO NOTHING RETURNING seq`,
          [change.onboardingId, change.seq, change.at, JSON.stringify(change.view)],
        );
        viewRecorded = (inserted.rowCount ?? 0) > 0;
      }
      if (!recorded && !viewRecorded) return { recorded: false };
      const ended = END_STAGES.includes(change.stage);
      const endReason = ended && change.event?.type === 'STAGE_CHANGED' ? (change.event.reason ?? null) : null;
      await db.query(
        `UPDATE onboardings SET
           stage = $3, stage_entered_at = $4,
           ended_at = CASE WHEN $5::boolean THEN COALESCE(ended_at, $6::timestamptz) ELSE NULL END,
           end_reason = CASE WHEN $5::boolean THEN COALESCE($7, end_reason) ELSE NULL END,
           tennpay_user_id = COALESCE($8, tennpay_user_id), individual_id = COALESCE($9, individual_id),
           partner_user_id = COALESCE($10, partner_user_id), external_user_id = COALESCE($11, external_user_id),
           verification_id = COALESCE($12, verification_id),
           view = COALESCE($13::jsonb, view), view_seq = CASE WHEN $13::jsonb IS NULL THEN view_seq ELSE $2 END,
           last_seq = $2, updated_at = $6
         WHERE onboarding_id = $1 AND last_seq < $2`,
        [
          change.onboardingId,
          change.seq,
          change.stage,
          change.stageEnteredAt,
          ended,
          change.at,
          endReason,
          ids.userId ?? null,
          ids.individualId ?? null,
          ids.partnerUserId ?? null,
          ids.externalUserId ?? null,
          ids.verificationId ?? null,
          change.view ? JSON.stringify(change.view) : null,
        ],
      );
      if (viewRecorded && change.view) {
        // Delivered to the listeners once this transaction commits, in commit order.
        const notice: ViewNotice = { onboardingId: change.onboardingId, seq: change.seq, view: change.view };
        let payload = JSON.stringify(notice);
        if (Buffer.byteLength(payload) > NOTIFY_VIEW_MAX_BYTES) payload = JSON.stringify({ onboardingId: change.onboardingId, seq: change.seq });
        await db.query('SELECT pg_notify($1, $2)', [VIEWS_CHANNEL, payload]);
      }
      return { recorded: true };
    });
  }

  async get(onboardingId: string): Promise<RecordedOnboarding | undefined> {
    return guard(async () => {
      const res = await this.pool.query<OnboardingRow>(`SELECT ${ONBOARDING_COLUMNS} FROM onboardings WHERE onboarding_id = $1`, [onboardingId]);
      return res.rows[0] && toOnboarding(res.rows[0]);
    });
  }

  /** The onboarding's newest recorded view (GET /onboardings/{id}); undefined when none is recorded yet. */
  async view(onboardingId: string): Promise<RecordedView | undefined> {
    return guard(async () => {
      const res = await this.pool.query<{ view: OnboardingView | null; view_seq: number | null }>(
        'SELECT view, view_seq FROM onboardings WHERE onboarding_id = $1',
        [onboardingId],
      );
      const row = res.rows[0];
      return row?.view && row.view_seq !== null ? { seq: row.view_seq, view: row.view } : undefined;
    });
  }

  /** The views recorded after `afterSeq`, oldest first (a stream resuming from Last-Event-ID). */
  async viewsAfter(onboardingId: string, afterSeq: number): Promise<RecordedView[]> {
    return guard(async () => {
      const res = await this.pool.query<{ seq: number; view: OnboardingView }>(
        'SELECT seq, view FROM onboarding_views WHERE onboarding_id = $1 AND seq > $2 ORDER BY seq',
        [onboardingId, afterSeq],
      );
      return res.rows;
    });
  }

  /** The trail, oldest first. */
  async events(onboardingId: string): Promise<TrailEvent[]> {
    return guard(async () => {
      const res = await this.pool.query<{ seq: number; at: Date; type: RecordEvent['type']; payload: Record<string, unknown> }>(
        'SELECT seq, at, type, payload FROM onboarding_events WHERE onboarding_id = $1 ORDER BY seq',
        [onboardingId],
      );
      return res.rows.map((r) => ({ seq: r.seq, at: r.at.toISOString(), type: r.type, ...r.payload }) as TrailEvent);
    });
  }

  /** Onboardings of a person (exact e-mail or phone number, through the keyed hashes), newest first. */
  async findByPerson(person: { email: string } | { phoneNumber: string }): Promise<RecordedOnboarding[]> {
    const [column, hashes] =
      'email' in person ? ['email_hash', this.hasher.emailCandidates(person.email)] : ['phone_hash', this.hasher.phoneCandidates(person.phoneNumber)];
    return guard(async () => {
      const res = await this.pool.query<OnboardingRow>(
        `SELECT ${ONBOARDING_COLUMNS} FROM onboardings WHERE ${column} = ANY($1::bytea[]) ORDER BY created_at DESC, onboarding_id`,
        [hashes],
      );
      return res.rows.map(toOnboarding);
    });
  }

  /**
   * A start for a person, serialized with every other start for the same e-mail (a transaction-level
   * advisory lock on the e-mail's keyed hash): `decide` sees the person's onboardings, newest first,
   * and may open a new one, whose row is written before the lock is released, so a second start
   * running at the same moment finds it. `forget` names rows of starts that never reached Temporal.
   */
  async startForPerson<T>(
    email: string,
    decide: (found: RecordedOnboarding[]) => Promise<{ result: T; open?: StartOpening; forget?: string[] }>,
  ): Promise<T> {
    const lockKey = this.hasher.email(email).readBigInt64BE(0).toString();
    return this.transaction(async (db) => {
      await db.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey]);
      const res = await db.query<OnboardingRow>(
        `SELECT ${ONBOARDING_COLUMNS} FROM onboardings WHERE email_hash = ANY($1::bytea[]) ORDER BY created_at DESC, onboarding_id`,
        [this.hasher.emailCandidates(email)],
      );
      const decision = await decide(res.rows.map(toOnboarding));
      for (const id of decision.forget ?? []) await forgetStartIn(db, id);
      const open = decision.open;
      if (open) {
        await db.query(
          `INSERT INTO onboardings (onboarding_id, user_type, external_ref, resumed_from, tennpay_user_id, email_hash, phone_hash,
             stage, stage_entered_at, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 'CREATING_USER', $8, $8, $8)
           ON CONFLICT (onboarding_id) DO NOTHING`,
          [
            open.onboardingId,
            open.userType,
            open.externalRef ?? null,
            open.resumedFrom ?? null,
            open.tennpayUserId ?? null,
            this.hasher.email(open.email),
            this.hasher.phone(open.phoneNumber),
            open.startedAt,
          ],
        );
      }
      return decision.result;
    });
  }

  /** The row of a start that did not reach Temporal, while its workflow has written nothing. */
  async forgetStart(onboardingId: string): Promise<void> {
    await this.transaction((db) => forgetStartIn(db, onboardingId));
  }

  /**
   * `GET /ops/stats`: running onboardings by stage, ended ones by end stage and by end stage and
   * reason, time spent per stage.
   */
  async stats(): Promise<RecordStats> {
    return guard(async () => {
      const counts = await this.pool.query<{ stage: string; ended: boolean; reason: string | null; n: string }>(
        `SELECT stage, ended_at IS NOT NULL AS ended, CASE WHEN ended_at IS NOT NULL THEN end_reason END AS reason, count(*) AS n
         FROM onboardings GROUP BY 1, 2, 3`,
      );
      // A stage's duration: from its STAGE_CHANGED event to the next one of the same onboarding.
      const durations = await this.pool.query<{ stage: string; p50: number; p90: number }>(
        `WITH changes AS (
           SELECT payload->>'stage' AS stage, at,
                  lead(at) OVER (PARTITION BY onboarding_id ORDER BY seq) AS left_at
           FROM onboarding_events WHERE type = 'STAGE_CHANGED')
         SELECT stage,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM left_at - at)) AS p50,
                percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM left_at - at)) AS p90
         FROM changes WHERE left_at IS NOT NULL GROUP BY stage`,
      );
      const stats: RecordStats = { running: {}, ended: {}, endedByReason: {}, stageDurations: {} };
      for (const r of counts.rows) {
        const n = Number(r.n);
        const counted = r.ended ? stats.ended : stats.running;
        counted[r.stage] = (counted[r.stage] ?? 0) + n;
        if (r.ended) (stats.endedByReason[r.stage] ??= {})[r.reason ?? NO_REASON] = n;
      }
      for (const r of durations.rows) stats.stageDurations[r.stage] = { p50Seconds: Number(r.p50), p90Seconds: Number(r.p90) };
      return stats;
    });
  }

  /**
   * Retention: the person's hashes of onboardings that ended more than `retentionMs` before `now`
   * are erased; the row's ids and the trail stay. Returns how many onboardings were erased.
   */
  async erasePersonalData(now: Date, retentionMs: number): Promise<number> {
    return guard(async () => {
      const res = await this.pool.query(
        `UPDATE onboardings SET email_hash = NULL, phone_hash = NULL, personal_data_erased_at = $1
         WHERE ended_at IS NOT NULL AND personal_data_erased_at IS NULL AND ended_at < $2`,
        [now, new Date(now.getTime() - retentionMs)],
      );
      return res.rowCount ?? 0;
    });
  }
}
