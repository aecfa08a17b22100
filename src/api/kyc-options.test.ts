// The lookup cache: fresh lists without asking again, stale lists served while one refresh runs,
// the last good lists kept while 10nPay fails, none yet: an error the route turns into a 503.
import { describe, expect, it } from 'vitest';
import type { LookupKind } from '../activities/tennpay/client';
import { KycOptionsCache, LookupsUnavailableError } from './kyc-options';

class FakeLookups {
  reads = 0;
  failing = false;
  version = 1;
  async lookup(kind: LookupKind) {
    this.reads++;
    if (this.failing) throw new Error('10nPay is down');
    return kind === 'account-purpose'
      ? [{ label: 'Daily payments', value: `DAILY_PAYMENTS_V${this.version}` }]
      : [{ label: 'Other', value: String(this.version) }];
  }
}

describe('KycOptionsCache', () => {
  it('reads the four lists once, then serves them from memory until the time to live is over', async () => {
    let now = 0;
    const source = new FakeLookups();
    const cache = new KycOptionsCache(source, { ttlMs: 1000, now: () => now });
    const first = await cache.get();
    expect(first.accountPurposes).toEqual([{ label: 'Daily payments', value: 'DAILY_PAYMENTS_V1' }]);
    expect(first.sourceOfFunds).toEqual([{ label: 'Other', value: '1' }]);
    expect(source.reads).toBe(4);
    now = 999;
    await cache.get();
    expect(source.reads).toBe(4);
    expect(cache.maxAgeSeconds()).toBe(0);

    // Stale: the old lists at once, the new ones after the background refresh.
    now = 1000;
    source.version = 2;
    expect((await cache.get()).sourceOfFunds[0]!.value).toBe('1');
    await new Promise((r) => setImmediate(r));
    expect((await cache.get()).sourceOfFunds[0]!.value).toBe('2');
    expect(source.reads).toBe(8);
  });

  it('keeps the last good lists while 10nPay fails, and asks again only after a rest', async () => {
    let now = 0;
    const source = new FakeLookups();
    const failures: unknown[] = [];
    const cache = new KycOptionsCache(source, { ttlMs: 100, retryAfterFailureMs: 500, now: () => now }, (e) => failures.push(e));
    await cache.get();
    source.failing = true;
    now = 200;
    expect((await cache.get()).sourceOfFunds[0]!.value).toBe('1');
    await new Promise((r) => setImmediate(r));
    expect(failures).toHaveLength(1);
    const readsAfterFailure = source.reads;
    now = 300;
    expect((await cache.get()).sourceOfFunds[0]!.value).toBe('1');
    expect(source.reads).toBe(readsAfterFailure);
    now = 800;
    source.failing = false;
    source.version = 3;
    await cache.get();
    await new Promise((r) => setImmediate(r));
    expect((await cache.get()).sourceOfFunds[0]!.value).toBe('3');
  });

  it('with no lists read yet and 10nPay down: LookupsUnavailableError, with the time to wait', async () => {
    let now = 0;
    const source = new FakeLookups();
    source.failing = true;
    const cache = new KycOptionsCache(source, { retryAfterFailureMs: 30_000, now: () => now });
    await expect(cache.get()).rejects.toBeInstanceOf(LookupsUnavailableError);
    now = 10_000;
    expect(cache.retryAfterSeconds()).toBe(20);
    const reads = source.reads;
    await expect(cache.get()).rejects.toBeInstanceOf(LookupsUnavailableError);
    expect(source.reads).toBe(reads);
  });
});
