// P100's webhook delivery: JSON POSTed to the partner's URL with the security token as the whole
// Authorization header, retried on a non-2xx answer or a connection failure at the configured
// delays (P100: about 8, 16, 32 and 64 s, 5 attempts), so the receiver sees duplicates too.
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import type { ResolvedOptions } from './context';
import type { Switches } from './faults';
import { bump, type SandboxState, type WebhookRecord } from './state';

export type WebhookType = 'user-status' | 'kyc-verification-status' | 'kyc-file-added' | 'poa-verification-status';

/** The earlier status a late, out-of-order delivery carries (webhookOutOfOrder). */
const STALE_STATUS: Partial<Record<WebhookType, string>> = {
  'kyc-verification-status': 'PENDING',
  'poa-verification-status': 'WAITING',
};

export class WebhookSender {
  private timers = new Set<NodeJS.Timeout>();
  private inFlight = new Set<Promise<void>>();
  private waiters = new Set<() => void>();
  private readonly abort = new AbortController();
  private closed = false;

  constructor(
    private readonly opts: ResolvedOptions,
    private readonly state: SandboxState,
    private readonly switches: Switches,
  ) {}

  /** Queues an event after `delayMs`; switches may duplicate it or follow it with a stale one. */
  emit(type: WebhookType, payload: Record<string, unknown> & { externalUserId: string }, delayMs = 0): void {
    this.later(delayMs, () => {
      const subject = { externalUserId: payload.externalUserId };
      const copies = this.switches.take('webhookDuplicate', subject)?.copies ?? 1;
      const stale = STALE_STATUS[type] && this.switches.take('webhookOutOfOrder', subject) ? STALE_STATUS[type] : undefined;
      const deliveries: Promise<void>[] = [];
      for (let i = 0; i < Math.max(1, copies); i++) deliveries.push(this.deliver(type, payload));
      if (stale) {
        // Delivered after the real one has landed, as a slow retry of an older event would be.
        void Promise.all(deliveries).then(() => {
          if (!this.closed) void this.deliver(type, { ...payload, status: stale });
        });
      }
    });
  }

  private deliver(type: WebhookType, payload: Record<string, unknown> & { externalUserId: string }): Promise<void> {
    const record: WebhookRecord = {
      id: randomUUID(),
      type,
      payload,
      attempts: 0,
      delivered: false,
      lastStatus: null,
      lastError: null,
      createdAt: new Date().toISOString(),
    };
    this.state.webhooks.push(record);
    const run = this.attempts(record).finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
    return run;
  }

  private async attempts(record: WebhookRecord): Promise<void> {
    const base = this.opts.partnerWebhookBaseUrl;
    if (!base) {
      record.lastError = 'no webhook URL configured';
      return;
    }
    const url = `${base.replace(/\/$/, '')}/${record.type}`;
    const delays = [0, ...this.opts.webhookRetryDelaysMs];
    const state = this.state;
    for (const delay of delays) {
      if (delay > 0) await this.wait(delay);
      if (this.closed) return;
      record.attempts++;
      bump(state.counters.webhookAttempts, String(record.payload.externalUserId));
      try {
        const res = await request(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: this.opts.partnerWebhookToken },
          body: JSON.stringify(record.payload),
          headersTimeout: 10_000,
          bodyTimeout: 10_000,
          signal: this.abort.signal,
        });
        await res.body.dump();
        record.lastStatus = res.statusCode;
        record.lastError = null;
        if (res.statusCode >= 200 && res.statusCode < 300) {
          record.delivered = true;
          bump(state.counters.webhooksDelivered, String(record.payload.externalUserId));
          return;
        }
      } catch (err) {
        record.lastError = (err as Error).message;
      }
    }
  }

  /** A timer the sender can cancel on close (a closed sandbox leaves nothing scheduled). */
  private later(delayMs: number, fn: () => void): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, delayMs);
    this.timers.add(t);
  }

  /** Sleeps, but wakes at once when the sender closes. */
  private wait(delayMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.closed) return resolve();
      const done = () => {
        this.waiters.delete(done);
        resolve();
      };
      this.waiters.add(done);
      this.later(delayMs, done);
    });
  }

  /** Resolves when nothing is queued or in flight (tests wait for retries to finish). */
  async idle(): Promise<void> {
    while (this.timers.size > 0 || this.inFlight.size > 0) await new Promise((r) => setTimeout(r, 10));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const w of [...this.waiters]) w();
    this.abort.abort();
    await Promise.allSettled([...this.inFlight]);
  }
}
