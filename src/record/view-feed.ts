// The record's views as they are written, for the API's streams (GET /onboardings/{id}/stream): one
// PostgreSQL connection per process LISTENs on the views channel (pg_notify from the writing
// transaction, src/record/repository.ts) and hands each notification to the subscribers of its
// onboarding. No polling and no queue of our own: PostgreSQL delivers notifications in commit order;
// when the listening connection is lost, it is opened again and every subscriber is told to catch
// up from the record (`resync`), since notifications sent meanwhile are gone.
import { Client } from 'pg';
import type { RecordedView } from './changes';
import { VIEWS_CHANNEL, type OnboardingRecord, type ViewNotice } from './repository';

/** What a subscriber receives: a recorded view, or word that it may have missed some. */
export type ViewFeedItem = { kind: 'view'; seq: number; view?: RecordedView['view'] } | { kind: 'resync' };
export type ViewListener = (item: ViewFeedItem) => void;

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 15_000;

export class ViewFeed {
  private readonly listeners = new Map<string, Set<ViewListener>>();
  private client: Client | undefined;
  private connecting: Promise<void> | undefined;
  private closed = false;
  private reconnectDelay = RECONNECT_MIN_MS;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly databaseUrl: string,
    readonly record: OnboardingRecord,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** Streams open on this process (every subscriber of every onboarding). */
  get subscriberCount(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }

  /**
   * Subscribes to an onboarding's views; resolves once the process is listening, so that a view
   * read from the record after this cannot be missed. Returns the unsubscribe function.
   */
  async subscribe(onboardingId: string, listener: ViewListener): Promise<() => void> {
    if (this.closed) throw new Error('the view feed is closed');
    let set = this.listeners.get(onboardingId);
    if (!set) this.listeners.set(onboardingId, (set = new Set()));
    set.add(listener);
    const unsubscribe = () => {
      const s = this.listeners.get(onboardingId);
      if (!s) return;
      s.delete(listener);
      if (s.size === 0) this.listeners.delete(onboardingId);
    };
    try {
      await this.listening();
    } catch (err) {
      unsubscribe();
      throw err;
    }
    return unsubscribe;
  }

  /** Stops listening; subscribers get nothing more. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.listeners.clear();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private listening(): Promise<void> {
    if (this.client) return Promise.resolve();
    return (this.connecting ??= this.connect().finally(() => (this.connecting = undefined)));
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.databaseUrl, connectionTimeoutMillis: 5_000, keepAlive: true });
    client.on('notification', (msg) => {
      if (msg.channel !== VIEWS_CHANNEL || !msg.payload) return;
      this.dispatch(msg.payload);
    });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${VIEWS_CHANNEL}`);
    } catch (err) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.reconnectDelay = RECONNECT_MIN_MS;
  }

  private dispatch(payload: string): void {
    let notice: ViewNotice;
    try {
      notice = JSON.parse(payload) as ViewNotice;
    } catch {
      return;
    }
    const set = this.listeners.get(notice.onboardingId);
    if (!set) return;
    const item: ViewFeedItem = { kind: 'view', seq: notice.seq, ...(notice.view ? { view: notice.view } : {}) };
    for (const listener of [...set]) listener(item);
  }

  /** The listening connection is gone: listen again, then have every subscriber catch up. */
  private lost(client: Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    if (this.closed) return;
    this.log('the record view feed lost its connection; listening again');
    const retry = () => {
      this.reconnectTimer = undefined;
      if (this.closed || this.listeners.size === 0) return;
      this.listening().then(
        () => {
          for (const set of this.listeners.values()) for (const listener of [...set]) listener({ kind: 'resync' });
        },
        () => {
          this.reconnectDelay = Math.min(this.reconnectDelay * 2, RECONNECT_MAX_MS);
          this.reconnectTimer = setTimeout(retry, this.reconnectDelay);
        },
      );
    };
    this.reconnectTimer = setTimeout(retry, this.reconnectDelay);
  }
}
