// The weight of waiting onboardings: N onboardings started through the API and left waiting for
// their e-mail code, then the worker's resident memory, and how fast a message to one of the
// onboardings evicted from the worker's cache is answered (the worker replays its history first).
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { call } from '../test/support/http';
import { newPerson } from '../test/e2e/journey';
import type { BenchStack } from './stack';
import { rssOf } from './procfs';
import { inLanes, summary } from './stats';

export interface WaitingOnboarding {
  onboardingId: string;
  accessToken: string;
  email: string;
}

export interface MemoryFigures {
  waiting: number;
  workerRssBefore: number;
  workerRss: number;
  /** After `settleSeconds` with nothing to do (V8's memory reducer runs on idle isolates). */
  workerRssIdle: number;
  workerPeak: number;
  startSeconds: number;
  evictedQuery?: string;
  evictedUpdate?: string;
  sampled: number;
}

async function startWaiting(stack: BenchStack, total: number, concurrency: number): Promise<WaitingOnboarding[]> {
  const out: WaitingOnboarding[] = new Array<WaitingOnboarding>(total);
  await inLanes(total, concurrency, async (i) => {
    const person = newPerson();
    const res = await call(stack.apiUrl, 'POST', '/onboardings', {
      body: { email: person.email, phoneNumber: person.phoneNumber, userType: 'INDIVIDUAL', profile: person.record },
      headers: { 'idempotency-key': `bench-${randomUUID()}` },
    });
    if (res.status !== 201) throw new Error(`POST /onboardings answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
    out[i] = { onboardingId: res.body.onboardingId, accessToken: res.body.accessToken, email: person.email };
  });
  return out;
}

/** GET until the onboarding waits for its e-mail code (in start order, so the cache's LRU order stays the start order). */
async function untilWaiting(stack: BenchStack, o: WaitingOnboarding): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const res = await call(stack.apiUrl, 'GET', `/onboardings/${o.onboardingId}`, { token: o.accessToken });
    if (res.status === 200 && res.body.stage === 'AWAITING_EMAIL_CODE') return;
    if (Date.now() > deadline) throw new Error(`onboarding not waiting for its e-mail code after 120 s: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function benchMemory(stack: BenchStack, total: number, cacheSize: number, sample: number, settleSeconds: number): Promise<MemoryFigures> {
  const before = rssOf(stack.pids.worker).rss;
  const t0 = performance.now();
  const waiting = await startWaiting(stack, total, 20);
  for (const o of waiting) await untilWaiting(stack, o);
  const startSeconds = (performance.now() - t0) / 1000;
  // Let the worker settle (GC) before reading its memory.
  await new Promise((r) => setTimeout(r, 3_000));
  const { rss } = rssOf(stack.pids.worker);
  await new Promise((r) => setTimeout(r, settleSeconds * 1000));
  const { rss: idle, peak } = rssOf(stack.pids.worker);
  const figures: MemoryFigures = { waiting: total, workerRssBefore: before, workerRss: rss, workerRssIdle: idle, workerPeak: peak, startSeconds, sampled: 0 };
  // The oldest onboardings are the ones the cache evicted (least recently used first).
  const evicted = waiting.slice(0, Math.max(0, Math.min(sample, total - cacheSize)));
  if (evicted.length === 0) return figures;
  const queries: number[] = [];
  for (const o of evicted) {
    const q0 = performance.now();
    const res = await call(stack.apiUrl, 'GET', `/onboardings/${o.onboardingId}`, { token: o.accessToken });
    queries.push(performance.now() - q0);
    if (res.status !== 200) throw new Error(`GET of an evicted onboarding answered ${res.status}`);
  }
  // Touching them above put them back in the cache: evict them again by reading the others.
  for (const o of waiting.slice(evicted.length)) await call(stack.apiUrl, 'GET', `/onboardings/${o.onboardingId}`, { token: o.accessToken });
  const updates: number[] = [];
  for (const o of evicted) {
    const code = await stack.control.latestEmailCode(o.email, { waitMs: 10_000 });
    const u0 = performance.now();
    const res = await call(stack.apiUrl, 'POST', `/onboardings/${o.onboardingId}/email-confirmation`, { token: o.accessToken, body: { code } });
    updates.push(performance.now() - u0);
    if (res.status !== 200) throw new Error(`POST email-confirmation to an evicted onboarding answered ${res.status}: ${JSON.stringify(res.body).slice(0, 200)}`);
  }
  figures.evictedQuery = summary(queries);
  figures.evictedUpdate = summary(updates);
  figures.sampled = evicted.length;
  return figures;
}
