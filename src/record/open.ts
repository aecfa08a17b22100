// Opens the onboarding record for a process (worker, API, ops CLI) from its configuration: applies
// pending migrations, then hands out the repository over one pool. Undefined without DATABASE_URL.
import { loadRecordConfig, loadTemporalConfig } from '../config';
import { createPool, migrate } from './database';
import { PersonHasher } from './person-hash';
import { OnboardingRecord } from './repository';
import { durationMs } from '../domain/onboarding';

export interface OpenRecord {
  record: OnboardingRecord;
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
  return {
    record: new OnboardingRecord(pool, hasher),
    retentionMs: durationMs(config.RECORD_PERSONAL_DATA_RETENTION),
    close: () => pool.end(),
  };
}
