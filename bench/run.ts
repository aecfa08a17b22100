// `npm run bench`: the figures the service is judged by (issue 15), printed, not asserted.
//   memory    N onboardings left waiting for their e-mail code: the worker's RSS, and the latency
//             of a query and an update to onboardings the workflow cache evicted;
//   journeys  whole onboardings through the HTTP API at concurrency 20, the sandbox answering at
//             once: latency of each user action, onboardings/s, history length and events per
//             type, CPU seconds per onboarding per process, Temporal calls per user action;
//   codec     encrypt + decrypt round trips of a KYC payload;
//   reads     (issue 12) GET /onboardings/{id} from the record at a fixed rate over N live
//             onboardings (p50/p99), and M streams open at once (API memory and CPU, first event,
//             a change pushed); its own stack, with the record on its own PostgreSQL server;
//   delivery  (issue 12) outbound events: N onboardings through start, e-mail code and SMS code,
//             INTEGRATOR_WEBHOOK_URL at a receiver in the bench process that verifies signatures:
//             lag p50/p99/max from each stage change to its arrival; its own stack, with the record;
//   bare      a bare workflow with the same activities, updates and signals, no work in them, on
//             the same server in the same run: workflows/s, and the onboardings' ratio to it.
// Everything runs as `npm start` runs it (one process each for Temporal, sandbox, worker, API).
// Options: --quick (smaller counts, under 3 minutes); --waiting N, --cache C, --evicted-sample S,
// --onboardings N, --concurrency C, --codec-rounds R; --live N, --rate R, --read-seconds S,
// --streams M; --delivery-onboardings N; --only codec,memory,journeys,bare,reads,delivery.
import os from 'node:os';
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadWorkerCacheConfig } from '../src/config';
import { runBare } from './bare/driver';
import { planOf } from './bare/plan';
import { runJourneys } from './journeys';
import { benchCodec } from './codec';
import { benchMemory } from './memory';
import { benchDelivery, printDelivery, startDeliveryReceiver } from './delivery';
import { benchReads, printReads } from './reads';
import { startBenchStack } from './stack';
import { mb, summary, percentile } from './stats';
import { callsBetween, readCalls, type CallCounts } from './temporal-calls';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
function option(name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}
const onlyArg = args.indexOf('--only');
const only = onlyArg >= 0 ? new Set((args[onlyArg + 1] ?? '').split(',')) : undefined;
const runs = (phase: string) => !only || only.has(phase);

const GOAL_ACTION_P99_MS = 250;
const EVENT_TYPE = temporal.api.enums.v1.EventType;

async function main(): Promise<void> {
  const benchStarted = Date.now();
  // The bare workflow's worker runs in this process: its errors only.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  console.log(`onboarding bench ${new Date().toISOString()}${quick ? ' (--quick)' : ''}: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ` +
    `load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at start — the machine may be shared with other work: the figures are of this run, under this load`);
  if (runs('codec')) console.log(`\n${await benchCodec(option('codec-rounds', quick ? 500 : 2000))}`);
  const waiting = option('waiting', quick ? 200 : 1000);
  // The worker's own default in the full run; smaller with --quick, so that some of its 200 are evicted.
  const cacheSize = option('cache', quick ? 100 : loadWorkerCacheConfig({}).WORKFLOW_CACHE_SIZE);
  const total = option('onboardings', quick ? 20 : 100);
  const concurrency = option('concurrency', 20);
  // One stack for every phase: P100 method A, so that a journey has an upload among its actions.
  const stack = await startBenchStack({ WORKFLOW_CACHE_SIZE: String(cacheSize), PARTNER_KYC_METHOD: 'A' });
  // Interrupted, the bench still stops the processes it started.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stack.close().finally(() => process.exit(130)));
  try {
    if (runs('memory')) {
      const settle = quick ? 10 : 30;
      const m = await benchMemory(stack, waiting, cacheSize, option('evicted-sample', quick ? 30 : 200), settle);
      console.log(`\nmemory: ${m.waiting} onboardings waiting for their e-mail code (started in ${m.startSeconds.toFixed(0)} s), WORKFLOW_CACHE_SIZE=${cacheSize}`);
      console.log(`  worker RSS (goal ≤ 400 MB at 1,000 waiting): ${mb(m.workerRss)} 3 s after the last start, ${mb(m.workerRssIdle)} after ${settle} s more; ` +
        `${mb(m.workerRssBefore)} before any onboarding, peak ${mb(m.workerPeak)}`);
      if (m.evictedQuery) {
        console.log(`  a message to an evicted onboarding (goal p99 ≤ 300 ms), one at a time, ${m.sampled} onboardings:`);
        console.log(`    query  GET /onboardings/{id}: ${m.evictedQuery}`);
        console.log(`    update POST email-confirmation: ${m.evictedUpdate}`);
      } else {
        console.log('  no onboarding evicted (fewer waiting than the cache holds)');
      }
    }
    let plan: ReturnType<typeof planOf> | undefined;
    let onboardingsPerSecond: number | undefined;
    if (runs('journeys')) {
      const callsBefore: CallCounts | undefined = stack.temporalMetricsUrl ? await readCalls(stack.temporalMetricsUrl) : undefined;
      const j = await runJourneys(stack, total, concurrency);
      const calls = callsBefore && stack.temporalMetricsUrl ? callsBetween(callsBefore, await readCalls(stack.temporalMetricsUrl)) : undefined;
      onboardingsPerSecond = j.completed / j.seconds;
      console.log(`\njourneys: ${j.completed}/${total} onboardings COMPLETED at concurrency ${concurrency} in ${j.seconds.toFixed(1)} s = ${onboardingsPerSecond.toFixed(2)} onboardings/s ` +
        '(each journey polls GET every 200 ms while it waits, as a frontend would)');
      if (j.failures.length) console.log(`  failures: ${j.failures.length}\n    ${j.failures.slice(0, 3).join('\n    ')}`);
      console.log(`  latency from request to answer, per user action (goal p99 ≤ ${GOAL_ACTION_P99_MS} ms):`);
      for (const [action, values] of j.latencies) {
        const p99 = percentile(values, 99);
        console.log(`    ${action.padEnd(32)} ${summary(values)}${action.startsWith('status') ? '' : p99 <= GOAL_ACTION_P99_MS ? '' : '  ← above goal'}`);
      }
      const histories = await Promise.all(j.workflowIds.slice(0, 5).map((id) => stack.client.workflow.getHandle(id).fetchHistory()));
      if (histories[0]) {
        const lengths = histories.map((h) => h.events?.length ?? 0);
        const byType = new Map<string, number>();
        for (const e of histories[0].events ?? []) {
          const name = (EVENT_TYPE[e.eventType ?? 0] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, '');
          byType.set(name, (byType.get(name) ?? 0) + 1);
        }
        console.log(`  history events per completed onboarding (goal ≤ 110): ${lengths.join(', ')}; the first by event type:`);
        for (const [name, n] of [...byType].sort((a, b) => b[1] - a[1])) console.log(`    ${String(n).padStart(4)}  ${name}`);
        plan = planOf(histories[0]);
      }
      if (j.completed) {
        console.log(`  CPU seconds per completed onboarding: ${Object.entries(j.cpu).map(([p, s]) => `${p} ${(s / j.completed).toFixed(3)}`).join(', ')}`);
        if (calls) {
          const userActions = [...j.latencies].filter(([a]) => !a.startsWith('status')).reduce((n, [, v]) => n + v.length, 0);
          const all = [...calls.values()].reduce((a, b) => a + b, 0);
          console.log(`  Temporal front-end calls: ${(all / j.completed).toFixed(1)} per onboarding, ${(all / userActions).toFixed(1)} per user action ` +
            `(${userActions} actions; status polls and the worker's polls included); per onboarding by operation:`);
          console.log(`    ${[...calls].map(([op, n]) => `${op} ${(n / j.completed).toFixed(1)}`).join(', ')}`);
        } else {
          console.log('  Temporal calls: not measured (the dev server printed no metrics address)');
        }
      }
    }
    if (runs('bare') && plan) {
      const counts = plan.reduce((c, s) => ({ ...c, [Object.keys(s)[0]!]: (c[Object.keys(s)[0]!] ?? 0) + 1 }), {} as Record<string, number>);
      const bare = await runBare(new Client({ connection: stack.connection, namespace: stack.env.TEMPORAL_NAMESPACE }), stack.temporalAddress, plan, total, concurrency);
      const bareRate = bare.completed / bare.seconds;
      console.log(`\nbare workflow (${Object.entries(counts).map(([k, n]) => `${n} ${k === 'activity' ? 'activities' : k === 'localActivity' ? 'local activities' : `${k}s`}`).join(', ')}, as the first onboarding; no-op activities, its own worker in the bench process):`);
      console.log(`  ${bare.completed}/${total} at concurrency ${concurrency} in ${bare.seconds.toFixed(1)} s = ${bareRate.toFixed(2)} workflows/s`);
      if (onboardingsPerSecond !== undefined) console.log(`  onboardings / bare = ${(onboardingsPerSecond / bareRate).toFixed(2)} (goal ≥ 0.8)`);
    }
  } finally {
    await stack.close();
  }
  if (runs('reads')) {
    const withRecord = await startBenchStack({ WORKFLOW_CACHE_SIZE: String(cacheSize) }, { record: true });
    try {
      printReads(
        await benchReads(
          withRecord,
          option('live', quick ? 200 : 1000),
          option('rate', 300),
          option('read-seconds', quick ? 10 : 30),
          option('streams', quick ? 200 : 1000),
        ),
      );
    } finally {
      await withRecord.close();
    }
  }
  if (runs('delivery')) {
    const receiver = await startDeliveryReceiver();
    const withReceiver = await startBenchStack(
      { WORKFLOW_CACHE_SIZE: String(cacheSize), INTEGRATOR_WEBHOOK_URL: receiver.url, INTEGRATOR_WEBHOOK_SECRET: receiver.secret },
      { record: true },
    );
    try {
      printDelivery(await benchDelivery(withReceiver, receiver, option('delivery-onboardings', quick ? 10 : 100), concurrency));
    } finally {
      await withReceiver.close();
      await receiver.close();
    }
  }
  console.log(`\nbench done in ${((Date.now() - benchStarted) / 1000).toFixed(0)} s; load average now ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
