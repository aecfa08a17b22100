// The service as production runs it, for fault tests: the Temporal dev server, the worker and the
// API each in their OWN PROCESS (own process group, `node --import tsx src/…/main.ts`, configured
// only by the environment, like src/local/local-env.ts builds it), so a test can SIGKILL a worker,
// stop the Temporal server and start it again on the same SQLite file, or restart the API while
// clients call it. The provider sandbox runs in this process (it is not under test): its counters
// and inbox survive every restart of the others, so exactly-once checks cover the whole run.
//
// With `postgres`, a PostgreSQL server for the onboarding record runs beside them (test/support/
// postgres.ts), stopped and started again on its data by the record's fault tests.
//
// Ports: free ones picked at start (findFreePort) and kept across restarts: the sandbox delivers
// P100's webhooks to the API's port, and the worker and the API reconnect to Temporal's.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, type WriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal as temporalProto } from '@temporalio/proto';
import { startDevServer, findFreePort, type DevServer } from '../../src/local/dev-server';
import { PROJECT_ROOT } from '../../src/local/local-env';
import { startTsService, type Service } from '../../src/local/processes';
import { SandboxControl } from '../../src/sandbox/control-client';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index';
import { createDataConverter } from '../../src/temporal/data-converter';
import { startTestPostgres, type TestPostgres } from '../support/postgres';
import { sandboxOptionsFor, sandboxServiceEnv } from '../support/service-env';

export const OPS_API_KEY = 'faults-ops-key-0123456789abcdef';
export const PARTNER_WEBHOOK_TOKEN = 'faults-partner-webhook-token-0123456789';
export const PARTNER_API_KEY = 'faults-partner-api-key';
export const TENNPAY_CLIENT_ID = 'faults-client';

/**
 * Short timings so that faults resolve within seconds: a provider step retries fast for
 * STEP_ATTENTION_AFTER, then is flagged and retried every STEP_SLOW_RETRY_INTERVAL.
 */
export const FAST_SETTINGS: Record<string, string> = {
  IDENTIFICATION_POLL_INTERVAL: '500ms',
  IDENTIFICATION_POLL_CAP: '2m',
  IDENTIFICATION_BACKGROUND_POLL_INTERVAL: '3s',
  CODE_RESEND_COOLDOWN: '2s',
  STEP_ATTENTION_AFTER: '15s',
  STEP_SLOW_RETRY_INTERVAL: '2s',
  PARTNER_WEBHOOK_FALLBACK_AFTER: '10s',
  PARTNER_TOO_MANY_VERIFICATIONS_WAIT: '5s',
};

export interface ClusterOptions {
  /** Extra environment for the worker and the API (contract names; wins over the defaults). */
  env?: Record<string, string>;
  sandbox?: SandboxOptions;
  /** Keep the temporary folder (logs, SQLite file) after stop(), for a post-mortem. */
  keepData?: boolean;
  /** Run a PostgreSQL server for the onboarding record (DATABASE_URL of the worker and the API). */
  postgres?: boolean;
}

export interface Cluster {
  apiUrl: string;
  control: SandboxControl;
  sandbox: Sandbox;
  /** A Temporal client (the service's data converter) that follows restarts of the server. */
  client(): Promise<Client>;
  env: Record<string, string>;
  dataDir: string;
  logFile: string;
  apiRunning(): boolean;
  /** Workers running now. */
  workerCount(): number;
  /** Starts one more worker process; resolves once it polls. */
  startWorker(): Promise<void>;
  /** Signals the OLDEST running worker (or all with `all`), resolves once it has exited. */
  killWorker(signal: 'SIGKILL' | 'SIGTERM', opts?: { all?: boolean }): Promise<void>;
  stopTemporal(): Promise<void>;
  startTemporal(): Promise<void>;
  /** With `postgres`: the record's server stopped (fast shutdown, connections cut) and started again on its data. */
  stopPostgres(): Promise<void>;
  startPostgres(): Promise<void>;
  /** Stops the dev server (SIGTERM) and starts it again on the same SQLite file and port. */
  restartTemporal(opts?: { downMs?: number }): Promise<void>;
  /** SIGTERM (or SIGKILL) to the API; resolves once it has exited. */
  stopApi(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  startApi(): Promise<void>;
  restartApi(opts?: { downMs?: number }): Promise<void>;
  /** The last lines of the processes' output (for failure messages). */
  tail(lines?: number): string;
  /** Stops everything; no process is left behind. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Builds the workflow bundle once (as `npm run build:workflow-bundle` does), so workers start fast. */
async function buildBundle(target: string, log: (line: string) => void): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker/build-workflow-bundle.ts', target], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => log(`[bundle] ${d.toString().trim()}`));
  child.stderr.on('data', (d: Buffer) => log(`[bundle] ${d.toString().trim()}`));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`building the workflow bundle failed (exit ${code})`);
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'onboarding-faults-'));
  const logFile = path.join(dataDir, 'cluster.log');
  const log: WriteStream = createWriteStream(logFile, { flags: 'a' });
  const recent: string[] = [];
  const write = (line: string) => {
    const stamped = `${new Date().toISOString()} ${line}`;
    recent.push(stamped);
    if (recent.length > 400) recent.shift();
    log.write(`${stamped}\n`);
  };

  const workers: Service[] = [];
  let api: Service | undefined;
  let temporal: DevServer | undefined;
  let postgres: TestPostgres | undefined;
  let sandbox: Sandbox | undefined;
  let connection: Connection | undefined;
  let client: Client | undefined;
  let workerSeq = 0;
  let apiSeq = 0;

  const stopAll = async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop(5_000)));
    await api?.stop(5_000);
    api = undefined;
    await connection?.close().catch(() => undefined);
    connection = undefined;
    client = undefined;
    await temporal?.stop();
    temporal = undefined;
    await sandbox?.close();
    sandbox = undefined;
    await postgres?.stop().catch(() => undefined);
    postgres = undefined;
    await new Promise<void>((r) => log.end(() => r()));
    if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    const [apiPort, temporalPort] = [await findFreePort(), await findFreePort()];
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const temporalAddress = `127.0.0.1:${temporalPort}`;
    const bundlePath = path.join(dataDir, 'workflow-bundle.js');
    const temporalDir = path.join(dataDir, 'temporal');
    const fileStoreDir = path.join(dataDir, 'files');
    mkdirSync(fileStoreDir, { recursive: true });

    const startTemporal = async () => {
      temporal = await startDevServer({
        dataDir: temporalDir,
        port: temporalPort,
        headless: true,
        onOutput: (line) => write(`[temporal] ${line}`),
        stopGraceMs: 10_000,
      });
      write(`[cluster] temporal up on ${temporalAddress} (pid ${temporal.pid})`);
    };

    // Bundle, dev server (and PostgreSQL) at once: they are the slow parts.
    await Promise.all([
      buildBundle(bundlePath, write),
      startTemporal(),
      options.postgres ? startTestPostgres().then((pg) => (postgres = pg)) : undefined,
    ]);

    sandbox = await startSandbox({
      certDir: path.join(dataDir, 'certs'),
      ...sandboxOptionsFor(apiUrl, { OPS_API_KEY, PARTNER_API_KEY, PARTNER_WEBHOOK_TOKEN, TENNPAY_CLIENT_ID }),
      // P100 delivers a webhook 5 times; spread over ~30 s so a Temporal restart is covered.
      webhookRetryDelaysMs: [1000, 2000, 4000, 8000, 16000],
      ...options.sandbox,
    });

    // The environment of every process, as src/local/local-env.ts builds it for `npm start`.
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? os.tmpdir(),
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.FAULTS_LOG_LEVEL ?? 'warn',
      TEMPORAL_ADDRESS: temporalAddress,
      ...sandboxServiceEnv({
        sandbox,
        apiUrl,
        taskQueue: 'faults-onboarding',
        fileStoreDir,
        secrets: { OPS_API_KEY, PARTNER_API_KEY, PARTNER_WEBHOOK_TOKEN, TENNPAY_CLIENT_ID },
      }),
      PORT: String(apiPort),
      START_RATE_LIMIT_PER_MINUTE: '10000',
      WORKFLOW_BUNDLE_PATH: bundlePath,
      ...(postgres ? { DATABASE_URL: postgres.url } : {}),
      ...FAST_SETTINGS,
      ...options.env,
    };

    /** Starts a service and waits until `ready()` is true; fails early if it exits first. */
    const launch = async (name: string, script: string, ready: (svc: Service) => Promise<boolean>): Promise<Service> => {
      const svc = startTsService(name, script, env, (line) => write(`[${name}] ${line}`));
      write(`[cluster] ${name} started (pid ${svc.child.pid})`);
      const deadline = Date.now() + 90_000;
      for (;;) {
        if (!svc.isRunning()) throw new Error(`${name} exited (${await svc.exited}) before it was ready:\n${recent.slice(-30).join('\n')}`);
        if (await ready(svc).catch(() => false)) return svc;
        if (Date.now() > deadline) {
          await svc.stop(2_000);
          throw new Error(`${name} was not ready within 90 s:\n${recent.slice(-30).join('\n')}`);
        }
        await sleep(100);
      }
    };

    const startWorker = async () => {
      const name = `worker-${++workerSeq}`;
      // Ready once Temporal lists it (its default identity, pid@host) among the task queue's pollers.
      const svc = await launch(name, 'src/worker/main.ts', async (s) => {
        const c = await cluster.client();
        const res = await c.workflowService.describeTaskQueue({
          namespace: 'default',
          taskQueue: { name: env.TASK_QUEUE },
          taskQueueType: temporalProto.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        });
        return (res.pollers ?? []).some((p) => p.identity?.startsWith(`${s.child.pid}@`));
      });
      workers.push(svc);
    };

    const startApi = async () => {
      const name = `api-${++apiSeq}`;
      api = await launch(name, 'src/api/main.ts', async () => {
        const res = await fetch(`${apiUrl}/healthz`, { signal: AbortSignal.timeout(1_000) });
        await res.body?.cancel();
        return res.status === 200;
      });
    };

    const cluster: Cluster = {
      apiUrl,
      control: new SandboxControl(sandbox.controlUrl),
      sandbox,
      env,
      dataDir,
      logFile,
      async client() {
        if (!client) {
          connection = await Connection.connect({ address: temporalAddress });
          client = new Client({ connection, namespace: 'default', dataConverter: createDataConverter({ PAYLOAD_ENCRYPTION_KEY: env.PAYLOAD_ENCRYPTION_KEY!, PAYLOAD_ENCRYPTION_OLD_KEYS: [] }) });
        }
        return client;
      },
      apiRunning: () => api?.isRunning() ?? false,
      workerCount: () => workers.filter((w) => w.isRunning()).length,
      startWorker,
      async killWorker(signal, opts = {}) {
        const targets = opts.all ? workers.splice(0) : workers.splice(0, 1);
        if (targets.length === 0) throw new Error('no worker is running');
        await Promise.all(
          targets.map(async (w) => {
            write(`[cluster] ${signal} to ${w.name} (pid ${w.child.pid})`);
            if (signal === 'SIGKILL') w.kill();
            else if (w.child.pid !== undefined) process.kill(-w.child.pid, 'SIGTERM');
            // SIGTERM: the worker's own grace time (20 s) and then some.
            const timer = setTimeout(() => w.kill(), 45_000);
            const how = await w.exited;
            clearTimeout(timer);
            write(`[cluster] ${w.name} exited (${how})`);
            w.kill(); // anything left in its group
          }),
        );
      },
      async stopTemporal() {
        write('[cluster] stopping temporal');
        await temporal?.stop();
        temporal = undefined;
      },
      startTemporal,
      async stopPostgres() {
        if (!postgres) throw new Error('the cluster runs no PostgreSQL (postgres: true)');
        write('[cluster] stopping postgres');
        await postgres.server.stop();
      },
      async startPostgres() {
        if (!postgres) throw new Error('the cluster runs no PostgreSQL (postgres: true)');
        await postgres.restart();
        write('[cluster] postgres up again');
      },
      async restartTemporal({ downMs = 0 } = {}) {
        await cluster.stopTemporal();
        if (downMs) await sleep(downMs);
        await startTemporal();
      },
      async stopApi(signal = 'SIGTERM') {
        const svc = api;
        api = undefined;
        if (!svc) return;
        write(`[cluster] ${signal} to ${svc.name}`);
        if (signal === 'SIGKILL') svc.kill();
        else await svc.stop(20_000);
        await svc.exited;
        svc.kill();
      },
      startApi,
      async restartApi({ downMs = 0 } = {}) {
        await cluster.stopApi('SIGTERM');
        if (downMs) await sleep(downMs);
        await startApi();
      },
      tail: (lines = 60) => recent.slice(-lines).join('\n'),
      stop: stopAll,
    };
    await startWorker();
    await startApi();
    return cluster;
  } catch (err) {
    await stopAll().catch(() => undefined);
    throw err;
  }
}

/** The whole log of a cluster run (it is removed on stop unless keepData). */
export function readLog(cluster: Pick<Cluster, 'logFile'>): string {
  try {
    return readFileSync(cluster.logFile, 'utf8');
  } catch {
    return '';
  }
}
