// The whole service in one process, for end-to-end tests: a Temporal dev server, the provider
// sandbox, a real worker (real activities over undici, talking to the sandbox over HTTP and mTLS)
// and the HTTP API on an ephemeral port. Everything is configured the way the processes configure
// themselves: one environment object with the contract's variable names, read by src/config.ts.
//
// Order matters: the API's port must be known before the sandbox starts (the sandbox delivers
// P100's webhooks to it), and the sandbox's URLs before the worker and the API are configured.
// So the API's HTTP server listens first, with the Express app plugged in once it is built.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import pino from 'pino';
import { createActivities, createActivityDependencies } from '../../src/activities';
import { TennpayClient } from '../../src/activities/tennpay/client';
import { createApp } from '../../src/api/app';
import { KycOptionsCache } from '../../src/api/kyc-options';
import { createPartnerKycPageFetcher } from '../../src/api/partner-kyc-page';
import {
  loadApiConfig,
  loadOnboardingSettings,
  loadPartnerConfig,
  loadTemporalConfig,
  loadTennpayConfig,
  loadWorkerConfig,
} from '../../src/config';
import type { OnboardingSettings } from '../../src/domain/onboarding';
import { FileStore } from '../../src/files/file-store';
import { createMetrics } from '../../src/observability/metrics';
import { SandboxControl } from '../../src/sandbox/control-client';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index';
import { TEST_CERT_DIR } from '../../src/sandbox/testkit';
import { openRecord } from '../../src/record/open';
import { createDataConverter } from '../../src/temporal/data-converter';
import { connectTemporalClient, connectTemporalWorker } from '../../src/temporal/connection';
import { createOnboardingWorker } from '../../src/worker/worker';
import { startMtlsProxy, type MtlsProxy } from '../support/mtls-proxy';
import { createDevServerEnv } from '../support/temporal';
import { sandboxOptionsFor, sandboxServiceEnv } from '../support/service-env';

export const OPS_API_KEY = 'e2e-ops-key-0123456789abcdef';
export const PARTNER_WEBHOOK_TOKEN = 'e2e-partner-webhook-token-0123456789';
export const PARTNER_API_KEY = 'e2e-partner-api-key';
export const TENNPAY_CLIENT_ID = 'e2e-client';

export interface StackOptions {
  sandbox?: SandboxOptions;
  /** Extra environment variables (e.g. PARTNER_KYC_METHOD). */
  env?: Record<string, string>;
  /**
   * Reach Temporal only through a front that requires mutual TLS (test/support/mtls-proxy.ts):
   * the worker and the API connect from the environment's TEMPORAL_TLS_* settings.
   */
  temporalMtls?: boolean;
  /** DATABASE_URL of the onboarding record (test/support/postgres.ts); without it, no record. */
  databaseUrl?: string;
}

export interface Stack {
  /** The API's base URL, e.g. http://127.0.0.1:41234 */
  apiUrl: string;
  sandbox: Sandbox;
  control: SandboxControl;
  temporal: TestWorkflowEnvironment;
  /** The mutual-TLS front, when `temporalMtls` was asked for. */
  mtlsProxy?: MtlsProxy;
  /** A Temporal client with the service's data converter (decrypts). */
  client: Client;
  /** The environment every component was configured from (contract variable names). */
  env: Record<string, string>;
  namespace: string;
  /** Settings of the onboardings started from now on (each onboarding keeps the ones it started with). */
  setSettingsOverrides(overrides: Partial<OnboardingSettings>): void;
  /** Stops the worker (the API and Temporal stay up): reads must then come from the record. */
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

const silent = pino({ level: process.env.E2E_LOG_LEVEL ?? 'silent' });

/** Expected activity retries (an identification still PROCESSING) are logged at WARN: show errors only. */
function quietRuntime(): void {
  const level = (process.env.TEMPORAL_TEST_LOG_LEVEL ?? 'ERROR') as 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  try {
    Runtime.install({ logger: new DefaultLogger(level) });
  } catch {
    /* a runtime exists already in this process */
  }
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  quietRuntime();
  const cleanups: Array<() => Promise<void> | void> = [];
  const close = async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch {
        /* keep closing the rest */
      }
    }
  };
  try {
    // 1. The API's server, listening before anything else: its URL goes to the sandbox.
    let handler: http.RequestListener = (_req, res) => {
      res.statusCode = 503;
      res.end();
    };
    const server = http.createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    // 2. Temporal.
    const temporal = await createDevServerEnv();
    cleanups.push(() => temporal.teardown());
    let mtlsProxy: MtlsProxy | undefined;
    if (options.temporalMtls) {
      mtlsProxy = await startMtlsProxy(temporal.address, TEST_CERT_DIR);
      cleanups.push(() => mtlsProxy?.close());
    }

    // 3. The sandbox, delivering webhooks to the API with the API's token.
    const sandbox = await startSandbox({
      certDir: TEST_CERT_DIR,
      ...sandboxOptionsFor(apiUrl, { OPS_API_KEY, PARTNER_API_KEY, PARTNER_WEBHOOK_TOKEN, TENNPAY_CLIENT_ID }),
      webhookRetryDelaysMs: [200, 400, 800, 1600],
      ...options.sandbox,
    });
    cleanups.push(() => sandbox.close());

    // 4. One environment, as `npm start` would give the processes.
    const fileStoreDir = mkdtempSync(path.join(os.tmpdir(), 'e2e-files-'));
    cleanups.push(() => rmSync(fileStoreDir, { recursive: true, force: true }));
    const env: Record<string, string> = {
      ...sandboxServiceEnv({
        sandbox,
        apiUrl,
        taskQueue: 'e2e-onboarding',
        fileStoreDir,
        secrets: { OPS_API_KEY, PARTNER_API_KEY, PARTNER_WEBHOOK_TOKEN, TENNPAY_CLIENT_ID },
      }),
      PORT: '0',
      START_RATE_LIMIT_PER_MINUTE: '1000',
      // Fast but realistic timings: a Success redirect polls every 500 ms for up to a minute.
      IDENTIFICATION_POLL_INTERVAL: '500ms',
      IDENTIFICATION_POLL_CAP: '1m',
      IDENTIFICATION_BACKGROUND_POLL_INTERVAL: '5s',
      CODE_RESEND_COOLDOWN: '2s',
      STEP_ATTENTION_AFTER: '20s',
      STEP_SLOW_RETRY_INTERVAL: '5s',
      PARTNER_WEBHOOK_FALLBACK_AFTER: '30s',
      ...(mtlsProxy
        ? {
            TEMPORAL_ADDRESS: mtlsProxy.address,
            TEMPORAL_TLS_CA: mtlsProxy.certs.caCertPath,
            TEMPORAL_TLS_CERT: mtlsProxy.certs.clientCertPath,
            TEMPORAL_TLS_KEY: mtlsProxy.certs.clientKeyPath,
          }
        : {}),
      ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
      ...options.env,
    };
    const workerConfig = loadWorkerConfig(env);
    const temporalConfig = loadTemporalConfig(env);
    const dataConverter = createDataConverter(temporalConfig);
    const namespace = temporalConfig.TEMPORAL_NAMESPACE;

    // 5. The worker: real activities against the sandbox, the service's encrypted data converter.
    const deps = createActivityDependencies(workerConfig, workerConfig.fileStoreDir);
    cleanups.push(() => deps.close());
    const opened = await openRecord(env);
    if (opened) cleanups.push(() => opened.close());
    // Through the mutual-TLS front, the processes' own connections from the environment.
    const nativeConnection = mtlsProxy ? await connectTemporalWorker(temporalConfig) : temporal.nativeConnection;
    if (mtlsProxy) cleanups.push(() => nativeConnection.close());
    const worker: Worker = await createOnboardingWorker({
      temporal: temporalConfig,
      connection: nativeConnection,
      activities: createActivities({ ...deps, record: opened?.record }),
      overrides: { shutdownGraceTime: '1s' },
    });
    const running = worker.run();
    cleanups.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
    });

    // 6. The API, on the server that already listens.
    const connection = mtlsProxy ? await connectTemporalClient(temporalConfig) : temporal.connection;
    if (mtlsProxy) cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace, dataConverter });
    const apiConfig = loadApiConfig(env);
    const partnerConfig = loadPartnerConfig(env);
    let overrides: Partial<OnboardingSettings> = {};
    loadOnboardingSettings(env);
    // The API reads 10nPay's lookup lists with its own client, as src/api/main.ts does.
    const tennpay = TennpayClient.fromConfig(loadTennpayConfig(env));
    cleanups.push(() => tennpay.close());
    const app = createApp({
      client,
      api: apiConfig,
      temporal: temporalConfig,
      partner: partnerConfig,
      settings: () => ({ ...loadOnboardingSettings(env), ...overrides }),
      fileStore: new FileStore(apiConfig.FILE_STORE_DIR, { current: temporalConfig.PAYLOAD_ENCRYPTION_KEY, old: temporalConfig.PAYLOAD_ENCRYPTION_OLD_KEYS }),
      partnerKycPage: createPartnerKycPageFetcher(partnerConfig),
      kycOptions: new KycOptionsCache(tennpay),
      logger: silent,
      metrics: createMetrics({ defaultMetrics: false }),
      ...(opened ? { record: opened.record, viewFeed: opened.views } : {}),
    });
    handler = app;

    return {
      apiUrl,
      sandbox,
      control: new SandboxControl(sandbox.controlUrl),
      temporal,
      ...(mtlsProxy ? { mtlsProxy } : {}),
      client,
      env,
      namespace,
      setSettingsOverrides(o) {
        overrides = o;
      },
      async stopWorker() {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running.catch(() => undefined);
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
