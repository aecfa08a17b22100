// The PostgreSQL that npm start and the tests run: a fresh cluster answers with its database, its
// data survives a stop and a start on the same folder, and a wrong password is refused.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { findFreePort } from './dev-server';
import { postgresUrl, startPostgres, type PostgresServer } from './postgres';

const root = mkdtempSync(path.join(os.tmpdir(), 'onboarding-pg-unit-'));
let server: PostgresServer | undefined;
afterAll(async () => {
  await server?.stop();
  rmSync(root, { recursive: true, force: true });
});

async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('startPostgres', () => {
  it('initialises a cluster with the database, and finds its data again after a stop and a start', async () => {
    const options = {
      dataDir: path.join(root, 'data'),
      port: await findFreePort(),
      user: 'onboarding',
      password: randomBytes(12).toString('hex'),
      database: 'record',
    };
    server = await startPostgres(options);
    expect(server.url).toBe(postgresUrl(options));
    await query(server.url, `CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before the restart')`);
    await server.stop();
    expect(await server.exited).toBeDefined();

    server = await startPostgres(options);
    expect(await query(server.url, 'SELECT v FROM kept')).toEqual([{ v: 'before the restart' }]);
    await expect(query(postgresUrl({ ...options, password: 'not-the-password' }), 'SELECT 1')).rejects.toThrow(/password/);
  });
});
