// 10nPay's four lookup lists as the API serves them (GET /reference/kyc-options) and checks KYC
// data against: read with the service's mTLS token through the 10nPay client, kept for a time to
// live, refreshed in the background once stale, and the last good lists kept while 10nPay is down.
import type { LookupKind } from '../activities/tennpay/client';

export interface LookupItem {
  value: string;
  label: string;
}

/** The lists under the names of the contract's `GET /reference/kyc-options`. */
export interface TennpayLookups {
  sourceOfFunds: LookupItem[];
  accountPurposes: LookupItem[];
  mainActivities: LookupItem[];
  financingMethods: LookupItem[];
}

export const LOOKUP_KINDS: Record<keyof TennpayLookups, LookupKind> = {
  sourceOfFunds: 'source-of-funds',
  accountPurposes: 'account-purpose',
  mainActivities: 'main-activity',
  financingMethods: 'financing-method',
};

/** What reads one list (the 10nPay client's `lookup`). */
export interface LookupSource {
  lookup(kind: LookupKind): Promise<Array<{ label: string; value: string }>>;
}

export interface KycOptionsCacheOptions {
  /** How long lists are served before they are read again (default 10 minutes). */
  ttlMs?: number;
  /** After a failed read, how long before 10nPay is asked again (default 30 s). */
  retryAfterFailureMs?: number;
  /** For tests: the clock. */
  now?: () => number;
}

/** No lists have ever been read: the caller answers 503. */
export class LookupsUnavailableError extends Error {
  override name = 'LookupsUnavailableError';
}

export class KycOptionsCache {
  private lists: TennpayLookups | undefined;
  private readAt = 0;
  private failedAt: number | undefined;
  private inflight: Promise<TennpayLookups> | undefined;
  private readonly ttlMs: number;
  private readonly retryAfterFailureMs: number;
  private readonly now: () => number;

  constructor(
    private readonly source: LookupSource,
    options: KycOptionsCacheOptions = {},
    private readonly onRefreshFailed: (err: unknown) => void = () => undefined,
  ) {
    this.ttlMs = options.ttlMs ?? 10 * 60_000;
    this.retryAfterFailureMs = options.retryAfterFailureMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * The lists: fresh ones at once; stale ones at once while a refresh runs in the background (its
   * failure keeps them); none yet: the caller waits for one read, and LookupsUnavailableError when
   * it fails.
   */
  async get(): Promise<TennpayLookups> {
    const resting = this.failedAt !== undefined && this.now() - this.failedAt < this.retryAfterFailureMs;
    if (this.lists) {
      if (this.now() - this.readAt >= this.ttlMs && !resting) this.refresh().catch(() => undefined);
      return this.lists;
    }
    if (resting && !this.inflight) throw new LookupsUnavailableError('10nPay lookup lists could not be read recently');
    try {
      return await this.refresh();
    } catch (err) {
      throw new LookupsUnavailableError('10nPay lookup lists could not be read', { cause: err });
    }
  }

  /** Seconds until the next read of 10nPay may succeed (Retry-After of the 503). */
  retryAfterSeconds(): number {
    if (this.failedAt === undefined) return 5;
    return Math.max(1, Math.ceil((this.retryAfterFailureMs - (this.now() - this.failedAt)) / 1000));
  }

  /** Seconds until the lists are read again (for Cache-Control); 0 when stale or absent. */
  maxAgeSeconds(): number {
    if (!this.lists) return 0;
    return Math.max(0, Math.floor((this.ttlMs - (this.now() - this.readAt)) / 1000));
  }

  /** One read of the four lists at a time; all four or none replace what is kept. */
  private refresh(): Promise<TennpayLookups> {
    this.inflight ??= (async () => {
      try {
        const entries = await Promise.all(
          (Object.entries(LOOKUP_KINDS) as Array<[keyof TennpayLookups, LookupKind]>).map(
            async ([name, kind]) => [name, (await this.source.lookup(kind)).map((i) => ({ value: i.value, label: i.label }))] as const,
          ),
        );
        this.lists = Object.fromEntries(entries) as unknown as TennpayLookups;
        this.readAt = this.now();
        this.failedAt = undefined;
        return this.lists;
      } catch (err) {
        this.failedAt = this.now();
        this.onRefreshFailed(err);
        throw err;
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }
}
