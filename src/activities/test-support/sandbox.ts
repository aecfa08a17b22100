// Activities wired to an in-process sandbox exactly as the worker wires them: the environment is
// built with the contract's variable names, read by the one configuration loader, and turned into
// clients by createActivityDependencies.
import { ApplicationFailure } from '@temporalio/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { loadWorkerConfig } from '../../config';
import type { FailureType } from '../../domain/failures';
import { SandboxControl } from '../../sandbox/control-client';
import type { Sandbox } from '../../sandbox/index';
import { startTestSandbox } from '../../sandbox/testkit';
import { createActivities, createActivityDependencies } from '../index';
import type { ProviderFailureDetails } from '../provider-failures';

export interface Harness {
  sandbox: Sandbox;
  control: SandboxControl;
  env: Record<string, string>;
  deps: ReturnType<typeof createActivityDependencies>;
  activities: ReturnType<typeof createActivities>;
  fileStoreDir: string;
  close(): Promise<void>;
}

export function sandboxEnv(sandbox: Sandbox, fileStoreDir: string): Record<string, string> {
  return {
    PAYLOAD_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    TENNPAY_BASE_URL: sandbox.tennpayBaseUrl,
    TENNPAY_AUTH_URL: sandbox.authUrl,
    TENNPAY_CLIENT_ID: 'sandbox-client',
    TENNPAY_MERCHANT_ID: '42',
    TENNPAY_CLIENT_CERT: sandbox.certs.clientCertPath,
    TENNPAY_CLIENT_KEY: sandbox.certs.clientKeyPath,
    TENNPAY_CA_CERT: sandbox.certs.caCertPath,
    PARTNER_BASE_URL: sandbox.partnerBaseUrl,
    PROVIDER_ALLOW_HTTP: 'true',
    PARTNER_API_KEY: 'sandbox-partner-key',
    PARTNER_WEBHOOK_TOKEN: 'sandbox-webhook-token-0123456789',
    PARTNER_DEFAULT_RISK_LEVEL: 'LOW',
    TRUSTED_URL_HOSTS: new URL(sandbox.boricaBaseUrl).host,
    FILE_STORE_DIR: fileStoreDir,
  };
}

export async function startHarness(options: Parameters<typeof startTestSandbox>[0] = {}): Promise<Harness> {
  const sandbox = await startTestSandbox({ smsResendCooldownMs: 300, ...options });
  const fileStoreDir = mkdtempSync(path.join(tmpdir(), 'activities-files-'));
  const env = sandboxEnv(sandbox, fileStoreDir);
  const config = loadWorkerConfig(env);
  const deps = createActivityDependencies(config, config.fileStoreDir);
  return {
    sandbox,
    control: new SandboxControl(sandbox.controlUrl),
    env,
    deps,
    activities: createActivities(deps),
    fileStoreDir,
    async close() {
      await deps.close();
      await sandbox.close();
      rmSync(fileStoreDir, { recursive: true, force: true });
    },
  };
}

let counter = 0;
/** A fresh e-mail and phone number per test, so tests share one sandbox without meeting. */
export function freshUser(): { email: string; phone: string; externalUserId: string } {
  counter += 1;
  const n = `${Date.now() % 1_000_000}${counter}`.padStart(8, '0').slice(-8);
  return { email: `user${n}.${counter}@example.com`, phone: `+3598${n}`, externalUserId: randomUUID() };
}

/** Awaits `p`, expecting an ApplicationFailure of `type`; returns it for more checks. */
export async function expectFailure(
  p: Promise<unknown>,
  type: FailureType,
  nonRetryable: boolean,
): Promise<ApplicationFailure & { providerDetails: ProviderFailureDetails | undefined }> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected a ${type} failure`).toBeInstanceOf(ApplicationFailure);
  const f = caught as ApplicationFailure;
  expect({ type: f.type, nonRetryable: f.nonRetryable }).toEqual({ type, nonRetryable });
  return Object.assign(f, { providerDetails: f.details?.[0] as ProviderFailureDetails | undefined });
}

/** Retries `fn` while it throws a retryable IdentificationPending, like the activity retry policy. */
export async function pollUntil<T>(fn: () => Promise<T>, timeoutMs = 10_000, intervalMs = 50): Promise<{ value: T; pendings: number }> {
  const deadline = Date.now() + timeoutMs;
  let pendings = 0;
  for (;;) {
    try {
      return { value: await fn(), pendings };
    } catch (err) {
      if (!(err instanceof ApplicationFailure) || err.type !== 'IdentificationPending' || Date.now() > deadline) throw err;
      pendings += 1;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}
