// Opens the onboarding record for a process (worker, API, ops CLI) from its configuration: applies
// pending migrations, then hands out the repository over one pool. Undefined without DATABASE_URL.
import { loadRecordConfig, loadTemporalConfig } from '../config';
import { createPool, migrate } from './database';
import { PersonHasher } from './person-hash';
import { OnboardingRecord } from './repository';
import { durationMs } from '../domain/onboarding';
import { ViewFeed } from './view-feed';

export interface OpenRecord {
  record: OnboardingRecord;
  /** The views as they are written (one LISTEN connection, opened by the first subscriber). */
  views: ViewFeed;
  /** RECORD_PERSONAL_DATA_RETENTION in milliseconds. */
  retentionMs: number;
  close(): Promise<void>;
}

export async function openRecord(env: NodeJS.ProcessEnv = process.env, log: (line: string) => void = () => undefined): Promise<OpenRecord | undefined> {
  const config = loadRecordConfig(env);
  if (!config.DATABASE_URL) return undefined;
  const temporal = loadTemporalConfig(env);
  const applied = await migrate(config.DATABASE_URL, log);
  if (applied.length) log(`record migrations applied: ${applied.join(', ')}`);
  const pool = createPool(config.DATABASE_URL);
  const hasher = new PersonHasher([temporal.PAYLOAD_ENCRYPTION_KEY, ...temporal.PAYLOAD_ENCRYPTION_OLD_KEYS]);
  const record = new OnboardingRecord(pool, hasher);
  const views = new ViewFeed(config.DATABASE_URL, record, log);
  return {
    record,
    views,
    retentionMs: durationMs(config.RECORD_PERSONAL_DATA_RETENTION),
    close: async () => {
      await views.close();
      await pool.end();
    },
  };
}
