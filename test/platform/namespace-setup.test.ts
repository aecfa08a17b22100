// `npm run ops -- setup` against a real dev server started without the onboarding search
// attributes: the first run registers every one of ONBOARDING_SEARCH_ATTRIBUTES with its type, a
// second run registers nothing and succeeds (idempotent), and an onboarding's attributes can then
// be set and listed.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { sqlitePragmaArgs } from '../../src/local/dev-server';
import { temporalBinary } from '../../src/local/temporal-binaries';
import { INDEXED_VALUE_TYPES } from '../../src/temporal/namespace-setup';
import { ONBOARDING_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import { quietTemporalRuntime } from '../support/temporal';

const ROOT = path.resolve(__dirname, '..', '..');
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  quietTemporalRuntime();
  // A bare dev server: the namespace has none of the service's search attributes.
  env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: temporalBinary('cli') }, ip: '127.0.0.1', extraArgs: sqlitePragmaArgs() },
  });
});

afterAll(async () => {
  await env?.teardown();
});

function setup(): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['tsx', 'src/ops/cli.ts', 'setup', '--json'],
      {
        cwd: ROOT,
        timeout: 90_000,
        env: { ...process.env, TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: 'default', PAYLOAD_ENCRYPTION_KEY: randomBytes(32).toString('base64') },
      },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('npm run ops -- setup', () => {
  it('registers the onboarding search attributes on the namespace, and a second run changes nothing', async () => {
    const names = ONBOARDING_SEARCH_ATTRIBUTES.map((k) => k.name);
    const before = await env.connection.operatorService.listSearchAttributes({ namespace: 'default' });
    expect(Object.keys(before.customAttributes ?? {}).filter((n) => names.includes(n))).toEqual([]);

    const first = await setup();
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ namespace: 'default', created: names, existing: [] });

    const after = await env.connection.operatorService.listSearchAttributes({ namespace: 'default' });
    for (const key of ONBOARDING_SEARCH_ATTRIBUTES) {
      expect(Number(after.customAttributes?.[key.name]), key.name).toBe(INDEXED_VALUE_TYPES[key.type]);
    }

    const second = await setup();
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual({ namespace: 'default', created: [], existing: names });
  });
});
