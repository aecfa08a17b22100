// Temporal behind mutual TLS (CONTRACT part 4, "Connection to Temporal"): the whole stack (worker,
// API, ops CLI) reaches a dev server only through a front that does a real TLS handshake (ALPN h2)
// and requires a client certificate from the CA. With the certificate an onboarding runs to
// COMPLETED; without it, or trusting another CA, the processes stop at start with one clear line.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadTemporalConfig } from '../../src/config';
import { ensureCertificates } from '../../src/sandbox/certificates';
import { connectTemporalClient, TemporalConnectionError } from '../../src/temporal/connection';
import { Journey, newPerson } from '../e2e/journey';
import { startStack, type Stack } from '../e2e/stack';

const ROOT = path.resolve(__dirname, '../..');
let stack: Stack;
let otherCaDir: string;

beforeAll(async () => {
  stack = await startStack({ temporalMtls: true });
  otherCaDir = mkdtempSync(path.join(os.tmpdir(), 'other-ca-'));
}, 120_000);

afterAll(async () => {
  await stack?.close();
  if (otherCaDir) rmSync(otherCaDir, { recursive: true, force: true });
});

/** The stack's environment without the client certificate. */
const withoutClientCert = (): Record<string, string> => {
  const env = { ...stack.env };
  delete env.TEMPORAL_TLS_CERT;
  delete env.TEMPORAL_TLS_KEY;
  return env;
};

function runProcess(script: string, env: Record<string, string>, args: string[] = []): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('npx', ['tsx', script, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, PORT: '0' }, timeout: 90_000 }, (err, _stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : (child.exitCode ?? -1)) : 0, stderr }),
    );
  });
}

describe('Temporal over mutual TLS', () => {
  it('runs an onboarding to COMPLETED with the worker and the API connected through the mutual-TLS front', async () => {
    expect(stack.env.TEMPORAL_ADDRESS).toBe(stack.mtlsProxy!.address);
    const view = await new Journey(stack.apiUrl, stack.control, newPerson()).run();
    expect(view.stage).toBe('COMPLETED');
  });

  it('refuses a connection without the client certificate: the handshake fails at the front, with one line naming how it tried', async () => {
    const before = stack.mtlsProxy!.refusedHandshakes();
    const err = await connectTemporalClient(loadTemporalConfig(withoutClientCert()), { connectTimeoutMs: 5_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TemporalConnectionError);
    const message = (err as Error).message;
    expect(message).toContain(`Cannot connect to Temporal at ${stack.mtlsProxy!.address} (TLS, CA ${stack.env.TEMPORAL_TLS_CA}`);
    expect(message).toContain('TEMPORAL_TLS_CERT');
    expect(message.split('\n')).toHaveLength(1);
    expect(stack.mtlsProxy!.refusedHandshakes()).toBeGreaterThan(before);
  });

  it('refuses a server whose certificate another CA issued (a wrong TEMPORAL_TLS_CA)', async () => {
    const other = await ensureCertificates(otherCaDir);
    const err = await connectTemporalClient(loadTemporalConfig({ ...stack.env, TEMPORAL_TLS_CA: other.caCertPath }), { connectTimeoutMs: 5_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TemporalConnectionError);
    expect((err as Error).message).toContain(`mutual TLS, CA ${other.caCertPath}`);
  });

  it('the worker and the API stop at start, exit code non-zero and one line, without the client certificate', async () => {
    const [worker, api] = await Promise.all([runProcess('src/worker/main.ts', withoutClientCert()), runProcess('src/api/main.ts', withoutClientCert())]);
    for (const p of [worker, api]) {
      expect(p.code).not.toBe(0);
      expect(p.stderr).toMatch(/Cannot connect to Temporal at 127\.0\.0\.1:\d+ \(TLS, CA /);
    }
  });

  it('the ops CLI connects through the front with the certificate and is refused without it', async () => {
    const ok = await runProcess('src/ops/cli.ts', stack.env, ['list']);
    expect(ok.code).toBe(0);
    const refused = await runProcess('src/ops/cli.ts', withoutClientCert(), ['list']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('Cannot connect to Temporal at');
  });

  it('validates the settings: a certificate without its key, or a path that is not a file, stops the process naming the variable', () => {
    expect(() => loadTemporalConfig({ ...withoutClientCert(), TEMPORAL_TLS_CERT: stack.env.TEMPORAL_TLS_CERT! })).toThrow(ConfigError);
    expect(() => loadTemporalConfig({ ...withoutClientCert(), TEMPORAL_TLS_CERT: stack.env.TEMPORAL_TLS_CERT! })).toThrow(/TEMPORAL_TLS_KEY/);
    expect(() => loadTemporalConfig({ ...stack.env, TEMPORAL_TLS_CA: '/nonexistent/ca.pem' })).toThrow(/TEMPORAL_TLS_CA: no such file/);
  });
});
