// `npm run ops -- migrate` against a real PostgreSQL: applies the record's migrations once, says
// so, and refuses plainly without DATABASE_URL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPostgres, type TestPostgres } from '../../test/support/postgres';
import { run } from '../ops/cli';

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

  it('names DATABASE_URL when it is missing', async () => {
    const res = await ops({}, 'migrate');
    expect(res.code).toBe(2);
    expect(res.err).toContain('DATABASE_URL');
  });
});
