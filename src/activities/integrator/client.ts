// The one HTTP client of the integrator's webhook receiver (INTEGRATOR_WEBHOOK_URL): an undici Pool
// to its origin, each delivery signed per Standard Webhooks with the `standardwebhooks` library
// (webhook-id, webhook-timestamp of the attempt, webhook-signature v1 over "id.timestamp.body").
import { Pool, type Dispatcher } from 'undici';
import { Webhook } from 'standardwebhooks';
import { webhookBodyOf, webhookIdFor, type IntegratorEvent } from './event';

export interface IntegratorWebhookClientOptions {
  url: string;
  /** INTEGRATOR_WEBHOOK_SECRET: `whsec_` then base64. */
  secret: string;
  timeoutMs?: number;
  /** Tests inject one; otherwise a Pool to the URL's origin. */
  dispatcher?: Dispatcher;
}

/** What one attempt got: the receiver's status, or a transport failure (no status). */
export interface DeliveryAttempt {
  webhookId: string;
  status?: number;
  error?: string;
}

export class IntegratorWebhookClient {
  private readonly url: URL;
  private readonly signer: Webhook;
  private readonly pool: Dispatcher;
  private readonly ownsPool: boolean;
  private readonly timeoutMs: number;

  constructor(options: IntegratorWebhookClientOptions) {
    this.url = new URL(options.url);
    this.signer = new Webhook(options.secret);
    this.ownsPool = !options.dispatcher;
    this.pool = options.dispatcher ?? new Pool(this.url.origin, { connections: 8, keepAliveTimeout: 10_000 });
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Sends one event once; never throws for the receiver's answer or its absence. */
  async send(event: IntegratorEvent, signal?: AbortSignal, now: Date = new Date()): Promise<DeliveryAttempt> {
    const webhookId = webhookIdFor(event.onboardingId, event.seq);
    const payload = JSON.stringify(webhookBodyOf(event));
    const headers = {
      'content-type': 'application/json',
      'webhook-id': webhookId,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': this.signer.sign(webhookId, now, payload),
    };
    try {
      const res = await this.pool.request({
        origin: this.url.origin,
        path: `${this.url.pathname}${this.url.search}`,
        method: 'POST',
        headers,
        body: payload,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        ...(signal ? { signal } : {}),
      });
      // The answer's body means nothing here; reading it frees the connection.
      await res.body.dump();
      return { webhookId, status: res.statusCode };
    } catch (err) {
      return { webhookId, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
    }
  }

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.close();
  }
}
