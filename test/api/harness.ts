// Test harness for the HTTP API: a real Temporal dev server, the real onboarding workflow run by a
// worker with in-memory provider stand-ins (test/support/fake-providers.ts), and the API on an
// ephemeral port, talked to over HTTP with fetch.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import pino from 'pino';
import { type AppDeps, createApp } from '../../src/api/app';
import type { ApiConfig } from '../../src/config';
import { FileStore } from '../../src/files/file-store';
import { createMetrics } from '../../src/observability/metrics';
import { createDataConverter } from '../../src/temporal/data-converter';
import { FakeProviders } from '../support/fake-providers';
import { testSettings } from '../support/fixtures';
import { createDevServerEnv } from '../support/temporal';
import { call as plainCall, type Answer } from '../support/http';
import { checkAnswer } from './contract';
import { createRecordActivities } from '../../src/record/activity';
import type { RecordChange } from '../../src/record/changes';
import type { OnboardingRecord } from '../../src/record/repository';

export type { Answer };

/** The tests' HTTP client (test/support/http.ts), with every answer checked against the route table. */
export async function call(base: string, method: string, pathname: string, options?: Parameters<typeof plainCall>[3]): Promise<Answer> {
  const answer = await plainCall(base, method, pathname, options);
  checkAnswer(method, pathname, answer);
  return answer;
}

export const OPS_API_KEY = 'ops-key-for-tests-0123456789';
export const WEBHOOK_TOKEN = 'partner-webhook-token-for-tests';
export const PAYLOAD_ENCRYPTION_KEY = randomBytes(32).toString('base64');
export const API_SIGNING_KEY = randomBytes(32).toString('base64');
export const temporalConfig = {
  TEMPORAL_ADDRESS: '',
  TEMPORAL_NAMESPACE: 'default',
  TASK_QUEUE: 'api-test',
  PAYLOAD_ENCRYPTION_KEY,
  PAYLOAD_ENCRYPTION_OLD_KEYS: [] as string[],
};

export function apiConfig(overrides: Partial<ApiConfig> = {}): ApiConfig {
  return {
    PORT: 0,
    OPS_API_KEY,
    FRONTEND_URL: 'http://localhost:3000',
    TRUSTED_URL_HOSTS: ['localhost'],
    FILE_STORE_DIR: '',
    START_RATE_LIMIT_PER_MINUTE: 1000,
    CODEC_CORS_ORIGINS: ['https://temporal-ui.example'],
    API_SIGNING_KEY,
    API_SIGNING_OLD_KEYS: [],
    TRUST_PROXY: false,
    OPS_AUTH_MAX_FAILURES: 1000,
    ...overrides,
  };
}

export interface RunningApi {
  url: string;
  close(): Promise<void>;
}

export async function listen(deps: AppDeps): Promise<RunningApi> {
  const app = createApp(deps);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Harness {
  env: TestWorkflowEnvironment;
  client: Client;
  providers: FakeProviders;
  fileDir: string;
  /** Builds the API's dependencies; overrides for one test's needs. */
  deps(overrides?: Omit<Partial<AppDeps>, 'api'> & { api?: Partial<ApiConfig> }): AppDeps;
  /** A worker on the fake providers; with `record`, it writes the onboarding record too. */
  startWorker(taskQueue?: string, options?: { record?: OnboardingRecord }): Promise<() => Promise<void>>;
  teardown(): Promise<void>;
}

export const silentLogger = pino({ level: 'silent' });

export async function createHarness(): Promise<Harness> {
  const env = await createDevServerEnv();
  const client = new Client({ connection: env.connection, namespace: 'default', dataConverter: createDataConverter(temporalConfig) });
  const providers = new FakeProviders();
  const fileDir = mkdtempSync(path.join(os.tmpdir(), 'api-files-'));
  const workers: Array<() => Promise<void>> = [];
  return {
    env,
    client,
    providers,
    fileDir,
    deps: (overrides = {}) => {
      const { api, ...rest } = overrides;
      return {
        client,
        api: apiConfig({ FILE_STORE_DIR: fileDir, ...api }),
        temporal: temporalConfig,
        partner: { PARTNER_WEBHOOK_TOKEN: WEBHOOK_TOKEN },
        settings: () => testSettings(),
        fileStore: new FileStore(fileDir, { current: temporalConfig.PAYLOAD_ENCRYPTION_KEY }),
        partnerKycPage: async () => ({ status: 200, contentType: 'text/html', location: undefined, body: '<html>partner</html>' }),
        // DEBUG_API_LOG=1: the API's warnings and errors on stdout (when a test or npm run fuzz meets a 5xx).
        logger: process.env.DEBUG_API_LOG ? pino({ level: 'warn' }) : silentLogger,
        metrics: createMetrics({ defaultMetrics: false }),
        ...rest,
      };
    },
    async startWorker(taskQueue = temporalConfig.TASK_QUEUE, options = {}) {
      const fakes = providers.activities();
      const recording = options.record ? createRecordActivities(options.record) : undefined;
      const worker = await Worker.create({
        connection: env.nativeConnection,
        namespace: 'default',
        taskQueue,
        workflowsPath: path.join(__dirname, '..', '..', 'src', 'workflows', 'index.ts'),
        activities: recording
          ? {
              ...fakes,
              recordChanges: async (changes: RecordChange[]) => {
                await recording.recordChanges(changes);
                await fakes.recordChanges(changes);
              },
            }
          : fakes,
        dataConverter: createDataConverter(temporalConfig),
        shutdownGraceTime: '1s',
      });
      const running = worker.run();
      const stop = async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      };
      workers.push(stop);
      return stop;
    },
    async teardown() {
      for (const stop of workers) await stop().catch(() => undefined);
      await env.teardown();
      rmSync(fileDir, { recursive: true, force: true });
    },
  };
}

/** A client whose Temporal server does not exist (a closed port): for "Temporal is down". */
export function unreachableClient(): Client {
  const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 });
  return new Client({ connection, namespace: 'default', dataConverter: createDataConverter(temporalConfig) });
}


export async function eventually<T>(fn: () => Promise<T | undefined>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
