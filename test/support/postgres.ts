// A real PostgreSQL for a test file, started like `npm start` starts it (src/local/postgres.ts):
// its own cluster in a temporary folder, a free port, a random password, removed at teardown.
// One server per test file keeps files independent (vitest runs them one at a time).
//
//   const pg = await startTestPostgres();   // pg.url for DATABASE_URL
//   ...
//   await pg.stop();
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findFreePort } from '../../src/local/dev-server';
import { startPostgres, type PostgresServer } from '../../src/local/postgres';

export interface TestPostgres {
  url: string;
  server: PostgresServer;
  /** Starts the same cluster again after server.stop() (the fault tests). */
  restart(): Promise<void>;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'onboarding-pg-'));
  const options = {
    dataDir: path.join(root, 'data'),
    port: await findFreePort(),
    user: 'onboarding',
    password: randomBytes(12).toString('hex'),
    database: 'onboarding_test',
    onOutput: () => undefined,
  };
  const handle: TestPostgres = {
    server: await startPostgres(options),
    get url() {
      return handle.server.url;
    },
    async restart() {
      handle.server = await startPostgres(options);
    },
    async stop() {
      await handle.server.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
  return handle;
}
