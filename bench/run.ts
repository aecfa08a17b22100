// `npm run bench`: the figures the service is judged by (issue 15), printed, not asserted.
// Options: --quick (smaller counts, under 3 minutes), --waiting N, --only memory,latency,...
import os from 'node:os';
import { benchMemory } from './memory';
import { startBenchStack } from './stack';
import { mb } from './stats';

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

async function main(): Promise<void> {
  console.log(`onboarding bench ${new Date().toISOString()}: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}` +
    ' (the machine may be shared: figures are of this run on this load)');
  if (runs('memory')) {
    const waiting = option('waiting', quick ? 200 : 1000);
    const cacheSize = option('cache', quick ? 100 : 500);
    const stack = await startBenchStack({ WORKFLOW_CACHE_SIZE: String(cacheSize) });
    try {
      const m = await benchMemory(stack, waiting, cacheSize, option('evicted-sample', quick ? 50 : 200));
      console.log(`memory: ${m.waiting} onboardings waiting for their e-mail code (started in ${m.startSeconds.toFixed(0)} s), workflow cache ${cacheSize}:`);
      console.log(`  worker RSS ${mb(m.workerRss)} (idle before: ${mb(m.workerRssBefore)}, peak ${mb(m.workerPeak)}); ` +
        `${((m.workerRss - m.workerRssBefore) / 1024 / Math.min(waiting, cacheSize)).toFixed(0)} kB per cached onboarding above idle`);
      if (m.evictedQuery) {
        console.log(`  evicted onboarding, GET /onboardings/{id} (query): ${m.evictedQuery}`);
        console.log(`  evicted onboarding, POST email-confirmation (update): ${m.evictedUpdate}`);
      }
    } finally {
      await stack.close();
    }
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
