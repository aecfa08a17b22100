// What every face of the sandbox shares: resolved options, the state, the switches, the webhook
// sender and the public URLs (known only once the servers listen, hence read at request time).
import type { Switches } from './faults';
import type { SandboxState } from './state';
import type { WebhookSender } from './webhooks';

export interface SandboxOptions {
  /** Interface to listen on; the URLs use it too. Default 127.0.0.1 (loopback only). */
  host?: string;
  /** Port of the HTTP server for 10nPay, Borica, P100 and control. 0 (default): ephemeral. */
  port?: number;
  /** Port of the mTLS token server. 0 (default): ephemeral. */
  authPort?: number;
  /** Where the development certificates are kept (generated on first use). Default `.data/certs`. */
  certDir?: string;
  /** Tenant-level Borica redirect targets; default: the sandbox's own small landing pages. */
  boricaSuccessUrl?: string;
  boricaFailUrl?: string;
  /** Webhooks go to `${base}/{user-status|kyc-verification-status|kyc-file-added|poa-verification-status}`. */
  partnerWebhookBaseUrl?: string;
  partnerWebhookToken?: string;
  /** Delays between webhook attempts; P100 retries about 8, 16, 32, 64 s later (5 attempts). */
  webhookRetryDelaysMs?: number[];
  tennpayClientId?: string;
  partnerApiKey?: string;
  /** Lifetime of 10nPay access tokens, seconds. Default 3600. */
  tokenLifetimeSec?: number;
  /** How long each Borica step stays before the next status shows. Default 1000 ms. */
  statusDelayMs?: number;
  /** How long e-mail and SMS codes stay valid. Default 10 minutes. */
  codeLifetimeMs?: number;
  /** Resend of the SMS code is refused (400) when asked sooner than this. Default 30 s. */
  smsResendCooldownMs?: number;
  /** Wrong SMS codes before the code is blocked (a new code unblocks). Default 5. */
  smsMaxAttempts?: number;
  /** Delay before P100's asynchronous webhooks (file added, user ACTIVE). Default 200 ms. */
  partnerAsyncDelayMs?: number;
  /** The integrator's receiver (/integrator/events) verifies signatures with this INTEGRATOR_WEBHOOK_SECRET. */
  integratorWebhookSecret?: string;
}

export type ResolvedOptions = Required<Omit<SandboxOptions, 'boricaSuccessUrl' | 'boricaFailUrl' | 'partnerWebhookBaseUrl'>> &
  Pick<SandboxOptions, 'boricaSuccessUrl' | 'boricaFailUrl' | 'partnerWebhookBaseUrl'>;

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 0,
  authPort: 0,
  certDir: '.data/certs',
  partnerWebhookToken: 'sandbox-webhook-token-0123456789',
  webhookRetryDelaysMs: [8000, 16000, 32000, 64000],
  tennpayClientId: 'sandbox-client',
  partnerApiKey: 'sandbox-partner-key',
  tokenLifetimeSec: 3600,
  statusDelayMs: 1000,
  codeLifetimeMs: 10 * 60_000,
  smsResendCooldownMs: 30_000,
  smsMaxAttempts: 5,
  partnerAsyncDelayMs: 200,
  integratorWebhookSecret: 'whsec_c2FuZGJveC1pbnRlZ3JhdG9yLXdlYmhvb2stc2VjcmV0',
} satisfies ResolvedOptions;

export interface SandboxUrls {
  tennpayBaseUrl: string;
  authUrl: string;
  partnerBaseUrl: string;
  boricaBaseUrl: string;
  controlUrl: string;
  /** The integrator's back office: POST events here; GET shows what arrived. */
  integratorWebhookUrl: string;
}

export interface SandboxContext {
  opts: ResolvedOptions;
  state: SandboxState;
  switches: Switches;
  webhooks: WebhookSender;
  urls: SandboxUrls;
}
