// Reads from the record and the streams (issue 12): N live onboardings waiting for their e-mail
// code, then GET /onboardings/{id} with each one's token over random ids at a fixed arrival rate
// (open loop: a request is sent at its scheduled time whatever the ones before it are doing);
// then M streams (GET /onboardings/{id}/stream) held open at once: the API's resident memory and
// CPU time with them open and idle, the time to each stream's first event, and how long a change
// takes from the caller's answer to its event on the stream.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { call } from '../test/support/http';
import { newPerson } from '../test/e2e/journey';
import type { BenchStack } from './stack';
import { cpuSeconds, rssOf } from './procfs';
import { inLanes, mb, percentile, summary } from './stats';

interface Live {
  onboardingId: string;
  accessToken: string;
}

async function startLive(stack: BenchStack, total: number): Promise<Live[]> {
  const out = new Array<Live>(total);
  await inLanes(total, 20, async (i) => {
    const person = newPerson();
    const res = await call(stack.apiUrl, 'POST', '/onboardings', {
      body: { email: person.email, phoneNumber: person.phoneNumber, userType: 'INDIVIDUAL', profile: person.record },
      headers: { 'idempotency-key': `bench-${randomUUID()}` },
    });
    if (res.status !== 201) throw new Error(`POST /onboardings answered ${res.status}`);
    out[i] = { onboardingId: res.body.onboardingId, accessToken: res.body.accessToken };
  });
  // Every one waiting for its code, as the record shows it.
  await inLanes(total, 20, async (i) => {
    const o = out[i]!;
    const deadline = Date.now() + 180_000;
    for (;;) {
      const res = await call(stack.apiUrl, 'GET', `/onboardings/${o.onboardingId}`, { token: o.accessToken });
      if (res.status === 200 && res.body.nextAction?.type === 'CONFIRM_EMAIL') return;
      if (Date.now() > deadline) throw new Error(`onboarding not waiting for its code after 180 s: ${res.status}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  });
  return out;
}

/** GETs at `rate` per second for `seconds`, each to a random onboarding; latencies in ms. */
async function fixedRate(stack: BenchStack, live: Live[], rate: number, seconds: number): Promise<{ latencies: number[]; errors: number; lateStarts: number }> {
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  let errors = 0;
  let lateStarts = 0;
  const t0 = performance.now() + 100;
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    else if (wait < -10) lateStarts++;
    const o = live[Math.floor(Math.random() * live.length)]!;
    pending.push(
      (async () => {
        // Measured from the scheduled time: a request the bench could not send on time counts its delay.
        try {
          const res = await fetch(`${stack.apiUrl}/onboardings/${o.onboardingId}`, { headers: { authorization: `Bearer ${o.accessToken}` } });
          await res.arrayBuffer();
          if (res.status !== 200) errors++;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - due);
      })(),
    );
  }
  await Promise.all(pending);
  return { latencies, errors, lateStarts };
}

interface OpenStream {
  events: number;
  firstEventMs?: number;
  lastEventAt?: number;
  abort: AbortController;
  done: Promise<void>;
}

function openStream(stack: BenchStack, o: Live): Promise<OpenStream> {
  const abort = new AbortController();
  const t0 = performance.now();
  return fetch(`${stack.apiUrl}/onboardings/${o.onboardingId}/stream`, { headers: { authorization: `Bearer ${o.accessToken}` }, signal: abort.signal }).then((res) => {
    if (res.status !== 200 || !res.body) throw new Error(`stream answered ${res.status}`);
    const s: OpenStream = { events: 0, abort, done: Promise.resolve() };
    const decoder = new TextDecoder();
    const body = res.body;
    s.done = (async () => {
      try {
        for await (const chunk of body) {
          const text = decoder.decode(chunk, { stream: true });
          const n = text.split('event: onboarding').length - 1;
          if (n > 0) {
            s.events += n;
            s.firstEventMs ??= performance.now() - t0;
            s.lastEventAt = performance.now();
          }
        }
      } catch {
        // closed by the bench
      }
    })();
    return s;
  });
}

export interface ReadsFigures {
  live: number;
  rate: number;
  seconds: number;
  get: string;
  getP50: number;
  getP99: number;
  errors: number;
  lateStarts: number;
  streams: number;
  apiRssBefore: number;
  apiRssOpen: number;
  idleSeconds: number;
  apiCpuIdle: number;
  firstEvent: string;
  pushLag: string;
  apiRssAfterClose: number;
}

export async function benchReads(stack: BenchStack, liveCount: number, rate: number, seconds: number, streamCount: number): Promise<ReadsFigures> {
  const live = await startLive(stack, liveCount);
  // Warm-up (connections, JIT), not counted.
  await fixedRate(stack, live, rate, 2);
  const run = await fixedRate(stack, live, rate, seconds);

  const apiRssBefore = rssOf(stack.pids.api).rss;
  // streams[i] follows live[i % live.length].
  const streams = new Array<OpenStream>(streamCount);
  await inLanes(streamCount, 50, async (i) => {
    streams[i] = await openStream(stack, live[i % live.length]!);
  });
  const firstDeadline = Date.now() + 60_000;
  while (streams.some((s) => s.firstEventMs === undefined) && Date.now() < firstDeadline) await new Promise((r) => setTimeout(r, 100));
  const firstEvent = summary(streams.flatMap((s) => (s.firstEventMs === undefined ? [] : [s.firstEventMs])));
  // Idle with every stream open: what they cost while nothing happens (heartbeats only).
  const idleSeconds = 10;
  const cpu0 = cpuSeconds(stack.pids.api);
  await new Promise((r) => setTimeout(r, idleSeconds * 1000));
  const apiCpuIdle = cpuSeconds(stack.pids.api) - cpu0;
  const apiRssOpen = rssOf(stack.pids.api).rss;

  // A change pushed: a wrong code on onboardings with an open stream, from the answer to the event.
  const lags: number[] = [];
  const sample = Math.min(50, streams.length, live.length);
  for (let i = 0; i < sample; i++) {
    const o = live[i]!;
    const s = streams[i]!;
    const before = s.events;
    const sent = performance.now();
    await call(stack.apiUrl, 'POST', `/onboardings/${o.onboardingId}/email-confirmation`, { token: o.accessToken, body: { code: '000001' } });
    const deadline = Date.now() + 10_000;
    while (s.events === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
    if (s.events > before && s.lastEventAt !== undefined) lags.push(s.lastEventAt - sent);
  }

  for (const s of streams) s.abort.abort();
  await Promise.all(streams.map((s) => s.done));
  await new Promise((r) => setTimeout(r, 2_000));
  return {
    live: liveCount,
    rate,
    seconds,
    get: summary(run.latencies),
    getP50: percentile(run.latencies, 50),
    getP99: percentile(run.latencies, 99),
    errors: run.errors,
    lateStarts: run.lateStarts,
    streams: streams.length,
    apiRssBefore,
    apiRssOpen,
    idleSeconds,
    apiCpuIdle,
    firstEvent,
    pushLag: lags.length ? summary(lags) : 'no event arrived',
    apiRssAfterClose: rssOf(stack.pids.api).rss,
  };
}

export function printReads(f: ReadsFigures): void {
  console.log(`\nreads: ${f.live} live onboardings (waiting for their e-mail code), the record on its own PostgreSQL server`);
  console.log(`  GET /onboardings/{id} at ${f.rate} requests/s for ${f.seconds} s, random ids, each with its token (goal p99 ≤ 25 ms): ${f.get}` +
    `${f.errors ? `; ${f.errors} not 200` : ''}${f.lateStarts ? `; ${f.lateStarts} sent late by the bench` : ''}`);
  console.log(`  ${f.streams} streams open at once: API RSS ${mb(f.apiRssBefore)} before, ${mb(f.apiRssOpen)} with them open ` +
    `(${((f.apiRssOpen - f.apiRssBefore) / 1024 / Math.max(1, f.streams)).toFixed(1)} KB per stream), ${mb(f.apiRssAfterClose)} after they closed; ` +
    `API CPU ${f.apiCpuIdle.toFixed(2)} s over ${f.idleSeconds} s idle with them open`);
  console.log(`    first event after opening: ${f.firstEvent}`);
  console.log(`    a change (a wrong code, checked with the sandbox's 10nPay) from the caller's request to its event on the stream: ${f.pushLag}`);
}
