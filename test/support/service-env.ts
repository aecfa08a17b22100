// The environment the service's processes get when they run against the provider sandbox in tests:
// the contract's variable names, pointed at the sandbox, with a fresh payload key per run.
import { randomBytes } from 'node:crypto';
import type { Sandbox, SandboxOptions } from '../../src/sandbox';

export interface SandboxServiceEnvOptions {
  sandbox: Pick<Sandbox, 'tennpayBaseUrl' | 'authUrl' | 'partnerBaseUrl' | 'certs'>;
  apiUrl: string;
  taskQueue: string;
  fileStoreDir: string;
  secrets: { OPS_API_KEY: string; PARTNER_API_KEY: string; PARTNER_WEBHOOK_TOKEN: string; TENNPAY_CLIENT_ID: string };
}

export function sandboxServiceEnv({ sandbox, apiUrl, taskQueue, fileStoreDir, secrets }: SandboxServiceEnvOptions): Record<string, string> {
  return {
    TEMPORAL_NAMESPACE: 'default',
    TASK_QUEUE: taskQueue,
    PAYLOAD_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    API_SIGNING_KEY: randomBytes(32).toString('base64'),
    TENNPAY_BASE_URL: sandbox.tennpayBaseUrl,
    TENNPAY_AUTH_URL: sandbox.authUrl,
    TENNPAY_CLIENT_ID: secrets.TENNPAY_CLIENT_ID,
    TENNPAY_MERCHANT_ID: '1001',
    TENNPAY_CLIENT_CERT: sandbox.certs.clientCertPath,
    TENNPAY_CLIENT_KEY: sandbox.certs.clientKeyPath,
    TENNPAY_CA_CERT: sandbox.certs.caCertPath,
    PARTNER_BASE_URL: sandbox.partnerBaseUrl,
    // The sandbox serves plain http on loopback.
    PROVIDER_ALLOW_HTTP: 'true',
    PARTNER_API_KEY: secrets.PARTNER_API_KEY,
    PARTNER_WEBHOOK_TOKEN: secrets.PARTNER_WEBHOOK_TOKEN,
    PARTNER_KYC_METHOD: 'B',
    PARTNER_DEFAULT_RISK_LEVEL: 'LOW',
    TRUSTED_URL_HOSTS: '127.0.0.1,localhost',
    FILE_STORE_DIR: fileStoreDir,
    OPS_API_KEY: secrets.OPS_API_KEY,
    PUBLIC_BASE_URL: apiUrl,
    FRONTEND_URL: apiUrl,
  };
}

/**
 * The sandbox's options for a test stack: quick Borica steps and P100 reactions, webhooks to the
 * API under test, the same secrets as the service. Borica sends the browser to the reference
 * frontend's pages (/app/borica/*), which relay the redirect; HTTP-only tests relay it themselves.
 */
export function sandboxOptionsFor(apiUrl: string, secrets: SandboxServiceEnvOptions['secrets']): SandboxOptions {
  return {
    statusDelayMs: 300,
    partnerAsyncDelayMs: 100,
    smsResendCooldownMs: 1000,
    boricaSuccessUrl: `${apiUrl}/app/borica/success`,
    boricaFailUrl: `${apiUrl}/app/borica/fail`,
    partnerWebhookBaseUrl: `${apiUrl}/webhooks/partner`,
    partnerWebhookToken: secrets.PARTNER_WEBHOOK_TOKEN,
    partnerApiKey: secrets.PARTNER_API_KEY,
    tennpayClientId: secrets.TENNPAY_CLIENT_ID,
  };
}
