// The bench's stack: the service as `npm start` runs it, one process each (Temporal dev server,
// sandbox, worker, API), on free ports and a throw-away data folder, so that each process's memory
// and CPU time can be read from /proc on its own. The sandbox answers at once (no status delay).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { ensureCertificates } from '../src/sandbox/certificates';
import { PREFIXES } from '../src/sandbox/index';
import { SandboxControl } from '../src/sandbox/control-client';
import { findFreePort, startDevServer, type DevServer } from '../src/local/dev-server';
import { layoutOf, loadOrCreateSecrets, localEnvironment, type LocalPorts } from '../src/local/local-env';
import { startTsService, type Service } from '../src/local/processes';
import { workerProcessEnv } from '../src/local/worker-memory';
import { createDataConverter } from '../src/temporal/data-converter';
import { loadTemporalConfig } from '../src/config';
import { startTestPostgres, type TestPostgres } from '../test/support/postgres';

export type ProcessName = 'api' | 'worker' | 'temporal' | 'sandbox';

export interface BenchStack {
  apiUrl: string;
  control: SandboxControl;
  env: Record<string, string>;
  /** A client with the service's data converter, on the stack's namespace. */
  client: Client;
  connection: Connection;
  temporalAddress: string;
  /** The dev server's Prometheus endpoint, when it printed one. */
  temporalMetricsUrl: string | undefined;
  pids: Record<ProcessName, number>;
  close(): Promise<void>;
}

const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs / 1000} s`);
};

/**
 * Starts the four processes; `env` overrides any setting (e.g. WORKFLOW_CACHE_SIZE for the worker).
 * `record`: with the onboarding record, on a PostgreSQL server of its own (the reads phase).
 */
export async function startBenchStack(env: Record<string, string> = {}, { record = false }: { record?: boolean } = {}): Promise<BenchStack> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'onboarding-bench-'));
  const layout = layoutOf(dataDir);
  const services: Service[] = [];
  let devServer: DevServer | undefined;
  let connection: Connection | undefined;
  let postgres: TestPostgres | undefined;
  const quiet = (name: string) => (line: string) => {
    // Errors only: the bench's own output stays readable.
    if (/error|fatal|panic|unhandled/i.test(line) && !/"level":[34]0|level.?.?warn/i.test(line)) process.stderr.write(`[${name}] ${line}\n`);
  };
  const close = async () => {
    await connection?.close().catch(() => undefined);
    await Promise.all([...services].reverse().map((s) => s.stop(5_000)));
    await devServer?.stop();
    await postgres?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const ports: LocalPorts = {
      PORT: await findFreePort(),
      SANDBOX_PORT: await findFreePort(),
      SANDBOX_AUTH_PORT: await findFreePort(),
      TEMPORAL_PORT: await findFreePort(),
      TEMPORAL_UI_PORT: await findFreePort(),
      // No PostgreSQL yet: the bench's stack runs without the record.
      POSTGRES_PORT: await findFreePort(),
    };
    let temporalMetricsUrl: string | undefined;
    const temporalOutput = quiet('temporal');
    devServer = await startDevServer({
      dataDir: layout.temporalDir,
      port: ports.TEMPORAL_PORT,
      headless: true,
      onOutput: (line) => {
        temporalMetricsUrl ??= /Temporal Metrics:\s+(\S+)/.exec(line)?.[1];
        temporalOutput(line);
      },
    });
    const { secrets } = loadOrCreateSecrets(layout.dataDir);
    const certs = await ensureCertificates(layout.certDir);
    const base: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      // The sandbox answers at once: the figures are the service's, not the providers'.
      SANDBOX_STATUS_DELAY_MS: '0',
      START_RATE_LIMIT_PER_MINUTE: '1000000',
      IDENTIFICATION_POLL_INTERVAL: '500ms',
      WORKER_METRICS_ADDRESS: '',
      // Memory settings of the processes themselves, when the bench is run with them.
      ...(process.env.MALLOC_ARENA_MAX ? { MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX } : {}),
      ...(process.env.NODE_OPTIONS ? { NODE_OPTIONS: process.env.NODE_OPTIONS } : {}),
      ...env,
    };
    if (record) postgres = await startTestPostgres();
    const full = localEnvironment({
      env: base,
      ports,
      layout,
      secrets,
      certs,
      temporalAddress: devServer.address,
      ...(postgres ? { databaseUrl: postgres.url } : {}),
    });
    delete full.WORKER_METRICS_ADDRESS;
    const launch = (name: 'sandbox' | 'worker' | 'api', script: string) => {
      // The worker runs with the memory settings `npm start` gives it (src/local/worker-memory.ts).
      const service = startTsService(name, script, name === 'worker' ? workerProcessEnv(full) : full, quiet(name));
      services.push(service);
      return service;
    };
    const sandbox = launch('sandbox', 'src/sandbox/main.ts');
    const sandboxUrl = `http://127.0.0.1:${ports.SANDBOX_PORT}`;
    await until('the sandbox', async () => (await fetch(`${sandboxUrl}${PREFIXES.control}/health`)).ok);
    const worker = launch('worker', 'src/worker/main.ts');
    const api = launch('api', 'src/api/main.ts');
    const apiUrl = `http://127.0.0.1:${ports.PORT}`;
    await until('the API', async () => (await fetch(`${apiUrl}/healthz`)).ok);
    connection = await Connection.connect({ address: devServer.address });
    const temporalConfig = loadTemporalConfig(full);
    const client = new Client({ connection, namespace: temporalConfig.TEMPORAL_NAMESPACE, dataConverter: createDataConverter(temporalConfig) });
    return {
      apiUrl,
      control: new SandboxControl(`${sandboxUrl}${PREFIXES.control}`),
      env: full,
      client,
      connection,
      temporalAddress: devServer.address,
      temporalMetricsUrl,
      pids: { api: api.child.pid!, worker: worker.child.pid!, sandbox: sandbox.child.pid!, temporal: devServer.pid },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
