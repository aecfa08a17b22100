// A running API for contract fuzzing (`npm run fuzz`, test/api/fuzz.ts; not part of npm test): the
// test harness (real Temporal dev server, the real workflow, stand-in providers) with the API on a
// port. Run alone, it starts one onboarding and prints one JSON line {url, opsKey, onboardingId,
// accessToken} for fuzzing by hand; SIGINT or SIGTERM stops everything.
//
//   PORT=4555 node_modules/.bin/tsx test/api/fuzz-server.ts
import { writeFileSync } from 'node:fs';
import { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TennpayClient } from '../../src/activities/tennpay/client';
import { createApp } from '../../src/api/app';
import { KycOptionsCache } from '../../src/api/kyc-options';
import { loadTennpayConfig } from '../../src/config';
import { openRecord } from '../../src/record/open';
import { startTestSandbox } from '../../src/sandbox/testkit';
import { startTestPostgres } from '../support/postgres';
import { OPS_API_KEY, WEBHOOK_TOKEN, createHarness, temporalConfig } from './harness';

export interface FuzzServer {
  url: string;
  opsKey: string;
  webhookToken: string;
  /** Starts a fresh onboarding: its id and accessToken. */
  startOnboarding(): Promise<{ onboardingId: string; accessToken: string }>;
  close(): Promise<void>;
}

export async function startFuzzServer(port = 0): Promise<FuzzServer> {
  const h = await createHarness();
  // Every route with what it reads: the record (a local PostgreSQL, written by the worker, so that
  // the trail of an onboarding the fuzzer starts is there) and 10nPay's lookup lists (the sandbox).
  const pg = await startTestPostgres();
  const opened = await openRecord({ DATABASE_URL: pg.url, PAYLOAD_ENCRYPTION_KEY: temporalConfig.PAYLOAD_ENCRYPTION_KEY });
  await h.startWorker(undefined, opened ? { record: opened.record } : {});
  const sandbox = await startTestSandbox();
  const tennpay = TennpayClient.fromConfig(
    loadTennpayConfig({
      TENNPAY_BASE_URL: sandbox.tennpayBaseUrl,
      TENNPAY_AUTH_URL: sandbox.authUrl,
      TENNPAY_CLIENT_ID: 'sandbox-client',
      TENNPAY_MERCHANT_ID: '42',
      TENNPAY_CLIENT_CERT: sandbox.certs.clientCertPath,
      TENNPAY_CLIENT_KEY: sandbox.certs.clientKeyPath,
      TENNPAY_CA_CERT: sandbox.certs.caCertPath,
      PROVIDER_ALLOW_HTTP: 'true',
    }),
  );
  const app = createApp(
    h.deps({
      api: { START_RATE_LIMIT_PER_MINUTE: Number(process.env.START_RATE_LIMIT ?? 100_000) },
      ...(opened ? { record: opened.record } : {}),
      kycOptions: new KycOptionsCache(tennpay),
      // Generous: a fuzzer on a busy machine must not see a slow query as a 503.
      timeouts: { queryMs: 15_000, updateMs: 20_000, rpcMs: 15_000 },
    }),
  );
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let started = 0;
  return {
    url,
    opsKey: OPS_API_KEY,
    webhookToken: WEBHOOK_TOKEN,
    async startOnboarding() {
      // A person of their own each: a second start for one e-mail is the running one's 409.
      const n = ++started;
      const res = await fetch(`${url}/onboardings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: `fuzz-${n}@example.com`, phoneNumber: `+35988812345${n % 10}`, userType: 'INDIVIDUAL' }),
      });
      if (res.status !== 201) throw new Error(`POST /onboardings answered ${res.status}`);
      return (await res.json()) as { onboardingId: string; accessToken: string };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await h.teardown();
      await tennpay.close();
      await sandbox.close();
      await opened?.close();
      await pg.stop();
    },
  };
}

async function main(): Promise<void> {
  const fuzz = await startFuzzServer(Number(process.env.PORT ?? 4555));
  const started = await fuzz.startOnboarding();
  const info = { url: fuzz.url, opsKey: fuzz.opsKey, onboardingId: started.onboardingId, accessToken: started.accessToken };
  if (process.env.INFO_FILE) writeFileSync(process.env.INFO_FILE, JSON.stringify(info));
  process.stdout.write(`${JSON.stringify(info)}\n`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await fuzz.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
