// `npm run sandbox`: the provider sandbox as its own process, configured by the environment.
// Prints its URLs (and the service settings that point at them); SIGTERM/SIGINT close it cleanly.
import { startSandbox } from './index';

const num = (v: string | undefined, fallback: number): number => (v && /^\d+$/.test(v) ? Number(v) : fallback);

async function main(): Promise<void> {
  const env = process.env;
  const sandbox = await startSandbox({
    host: env.SANDBOX_HOST || undefined,
    port: num(env.SANDBOX_PORT, 4010),
    authPort: num(env.SANDBOX_AUTH_PORT, 4011),
    certDir: env.SANDBOX_CERT_DIR || undefined,
    boricaSuccessUrl: env.BORICA_SUCCESS_URL || undefined,
    boricaFailUrl: env.BORICA_FAIL_URL || undefined,
    partnerWebhookBaseUrl: env.PARTNER_WEBHOOK_URL || undefined,
    partnerWebhookToken: env.PARTNER_WEBHOOK_TOKEN || undefined,
    partnerApiKey: env.PARTNER_API_KEY || undefined,
    tennpayClientId: env.TENNPAY_CLIENT_ID || undefined,
    integratorWebhookSecret: env.INTEGRATOR_WEBHOOK_SECRET || undefined,
    statusDelayMs: env.SANDBOX_STATUS_DELAY_MS ? num(env.SANDBOX_STATUS_DELAY_MS, 1000) : undefined,
  });
  // URLs and file paths only: no keys, tokens or personal data on the console.
  console.log(
    [
      'sandbox ready',
      `  TENNPAY_BASE_URL=${sandbox.tennpayBaseUrl}`,
      `  TENNPAY_AUTH_URL=${sandbox.authUrl}`,
      `  TENNPAY_CLIENT_CERT=${sandbox.certs.clientCertPath}`,
      `  TENNPAY_CLIENT_KEY=${sandbox.certs.clientKeyPath}`,
      `  TENNPAY_CA_CERT=${sandbox.certs.caCertPath}`,
      `  PARTNER_BASE_URL=${sandbox.partnerBaseUrl}`,
      '  PROVIDER_ALLOW_HTTP=true',
      `  borica pages:  ${sandbox.boricaBaseUrl}`,
      `  control API:   ${sandbox.controlUrl}`,
      `  INTEGRATOR_WEBHOOK_URL=${sandbox.integratorWebhookUrl} (the back office's page: ${sandbox.integratorWebhookUrl.replace(/events$/, '')})`,
      `  webhooks to:   ${env.PARTNER_WEBHOOK_URL || '(none configured; recorded only)'}`,
    ].join('\n'),
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`sandbox: ${signal}, closing`);
    sandbox.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('sandbox: close failed', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error('sandbox: failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
