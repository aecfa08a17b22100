// `npm run api`: the HTTP API against an existing Temporal server, configured by the environment.
// SIGTERM/SIGINT: stop accepting connections, let in-flight requests finish (bounded), then close
// the Temporal connection and exit.
import type { Server } from 'node:http';
import { TennpayClient } from '../activities/tennpay/client';
import { loadApiConfig, loadOnboardingSettings, loadPartnerConfig, loadTemporalConfig, loadTennpayConfig } from '../config';
import { FileStore } from '../files/file-store';
import { createLogger } from '../observability/logger';
import { createMetrics } from '../observability/metrics';
import { openRecord } from '../record/open';
import { createTemporalClient } from '../temporal/client';
import { createApp } from './app';
import { KycOptionsCache } from './kyc-options';
import { createPartnerKycPageFetcher } from './partner-kyc-page';

const SHUTDOWN_GRACE_MS = 15_000;

export async function main(env = process.env): Promise<{ server: Server; shutdown: () => Promise<void> }> {
  const logger = createLogger();
  const api = loadApiConfig(env);
  const temporal = loadTemporalConfig(env);
  const partner = loadPartnerConfig(env);
  loadOnboardingSettings(env); // fail at start-up on a malformed setting, not on the first request
  // The onboarding record: migrated at start-up; the API reads it (ops detail, trail, search, stats).
  const opened = await openRecord(env, (line) => logger.info(line));
  if (!opened) logger.warn('DATABASE_URL is not set: the record routes answer 503');
  const client = await createTemporalClient(temporal);
  // 10nPay's lookup lists, read with the service's own mTLS token; asked for once now so that the
  // first KYC form does not wait for them.
  const tennpay = TennpayClient.fromConfig(loadTennpayConfig(env));
  const kycOptions = new KycOptionsCache(tennpay, {}, (err) =>
    logger.warn({ err: err instanceof Error ? err.name : 'unknown error' }, '10nPay lookup lists could not be read'),
  );
  kycOptions.get().catch(() => undefined);
  const app = createApp({
    client,
    api,
    temporal,
    partner,
    settings: () => loadOnboardingSettings(env),
    fileStore: new FileStore(api.FILE_STORE_DIR, { current: temporal.PAYLOAD_ENCRYPTION_KEY, old: temporal.PAYLOAD_ENCRYPTION_OLD_KEYS }),
    partnerKycPage: createPartnerKycPageFetcher(partner),
    kycOptions,
    logger,
    metrics: createMetrics(),
    ...(opened ? { record: opened.record, viewFeed: opened.views } : {}),
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(api.PORT, () => resolve(s));
  });
  const address = server.address();
  logger.info({ port: typeof address === 'object' && address ? address.port : api.PORT }, 'API listening');

  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> =>
    (stopping ??= (async () => {
      logger.info('API shutting down: finishing in-flight requests');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      await closed;
      clearTimeout(timer);
      await client.connection.close();
      await opened?.close();
      await tennpay.close();
      logger.info('API stopped');
    })());
  return { server, shutdown };
}

if (require.main === module) {
  main()
    .then(({ shutdown }) => {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        process.once(signal, () => {
          shutdown().then(
            () => process.exit(0),
            () => process.exit(1),
          );
        });
      }
    })
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
