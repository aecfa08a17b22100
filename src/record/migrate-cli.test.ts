// `npm run ops -- migrate` against a real PostgreSQL: applies the record's migrations once, says
// so, and refuses plainly without DATABASE_URL.
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPostgres, type TestPostgres } from '../../test/support/postgres';
import { run } from '../ops/cli';
import { migrate } from './database';

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startTestPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

async function ops(env: NodeJS.ProcessEnv, ...argv: string[]) {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (s) => (out += s), err: (s) => (err += s), env });
  return { code, out, err };
}

describe('ops migrate', () => {
  it('applies the pending migrations, then finds nothing to apply', async () => {
    const first = await ops({ DATABASE_URL: pg.url }, 'migrate', '--json');
    expect(first).toMatchObject({ code: 0 });
    expect(JSON.parse(first.out)).toEqual({ applied: ['1764650000000_onboarding-record', '1764660000000_onboarding-views'] });
    const second = await ops({ DATABASE_URL: pg.url }, 'migrate');
    expect(second).toMatchObject({ code: 0, out: 'the record is up to date\n' });
  });

  it('lets processes that start together (worker, API) migrate a new database: one applies, the others wait their turn', async () => {
    const admin = new Client({ connectionString: pg.url });
    await admin.connect();
    await admin.query('CREATE DATABASE started_together');
    await admin.end();
    const url = new URL(pg.url);
    url.pathname = '/started_together';
    const results = await Promise.all([1, 2, 3, 4].map(() => migrate(url.toString())));
    expect(results.flat().sort()).toEqual(['1764650000000_onboarding-record', '1764660000000_onboarding-views']);
  });

  it('names DATABASE_URL when it is missing', async () => {
    const res = await ops({}, 'migrate');
    expect(res.code).toBe(2);
    expect(res.err).toContain('DATABASE_URL');
  });
});
