// The connection to the record's PostgreSQL (DATABASE_URL) and its schema: a pg pool per process,
// and the versioned migrations of migrations/ applied by node-pg-migrate (under its advisory lock,
// so a worker and an API starting together apply them once: the second waits for the first).
import path from 'node:path';
import { runner } from 'node-pg-migrate';
import { Pool, type PoolConfig } from 'pg';

export const MIGRATIONS_DIR = path.resolve(__dirname, '..', '..', 'migrations');
const MIGRATIONS_TABLE = 'record_migrations';

/** A pool that reports an unreachable server quickly instead of queueing requests for ever. */
export function createPool(databaseUrl: string, options: PoolConfig = {}): Pool {
  const pool = new Pool({
    connectionString: databaseUrl,
    max: 5,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    ...options,
  });
  // An idle client losing its connection (the server restarted) must not crash the process; the
  // pool replaces it on the next query.
  pool.on('error', () => undefined);
  return pool;
}

/** How long a process waits for another one's migrations (node-pg-migrate does not wait itself). */
const MIGRATION_LOCK_WAIT_MS = 120_000;
const MIGRATION_LOCK_RETRY_MS = 250;

/**
 * Applies every pending migration; returns the names applied now. node-pg-migrate takes its lock
 * with pg_try_advisory_lock and gives up at once when another process holds it (a worker and an API
 * started together): this one then waits its turn and finds nothing left to apply.
 */
export async function migrate(databaseUrl: string, log: (line: string) => void = () => undefined): Promise<string[]> {
  const deadline = Date.now() + MIGRATION_LOCK_WAIT_MS;
  for (;;) {
    try {
      return await migrateOnce(databaseUrl, log);
    } catch (err) {
      if (!/Another migration is already running/.test((err as Error)?.message ?? '') || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, MIGRATION_LOCK_RETRY_MS));
    }
  }
}

async function migrateOnce(databaseUrl: string, log: (line: string) => void): Promise<string[]> {
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    migrationsTable: MIGRATIONS_TABLE,
    direction: 'up',
    count: Infinity,
    checkOrder: true,
    log,
    logger: { debug: () => undefined, info: log, warn: log, error: log },
    verbose: false,
  });
  return applied.map((m) => m.name);
}
