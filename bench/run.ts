// `npm run bench`: the figures the service is judged by, printed, not asserted.
//   1. the payload codec: encrypt + decrypt throughput for a typical onboarding payload;
//   2. whole onboardings through the HTTP API (dev server, sandbox, worker, API in one process):
//      time from POST /onboardings to COMPLETED at a given concurrency, onboardings per minute,
//      history events per onboarding, and the process's memory.
// Options: --onboardings N (default 20), --concurrency C (default 10), --codec-rounds R (default 2000).
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { EncryptionCodec } from '../src/temporal/encryption-codec';
import { kycRecordSchema } from '../src/domain/kyc-record';
import { testKycRecord } from '../test/support/fixtures';
import { Journey, newPerson } from '../test/e2e/journey';
import { startStack } from '../test/e2e/stack';
import { workflowIdFor } from '../src/domain/onboarding';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

async function benchCodec(rounds: number): Promise<void> {
  const codec = new EncryptionCodec(randomBytes(32).toString('base64'));
  const payload = defaultPayloadConverter.toPayload({ profile: kycRecordSchema.parse(testKycRecord()), email: 'bench@example.test' });
  const size = payload.data?.length ?? 0;
  const started = performance.now();
  for (let i = 0; i < rounds; i++) await codec.decode(await codec.encode([payload]));
  const seconds = (performance.now() - started) / 1000;
  console.log(`payload codec: ${rounds} encrypt+decrypt round trips of a ${size}-byte KYC payload in ${seconds.toFixed(2)} s ` +
    `= ${(rounds / seconds).toFixed(0)} round trips/s (${((rounds * size) / seconds / 1024 / 1024).toFixed(1)} MB/s each way)`);
}

async function benchOnboardings(total: number, concurrency: number): Promise<void> {
  const stack = await startStack({ sandbox: { statusDelayMs: 200, webhookRetryDelaysMs: [200, 400, 800, 1600] } });
  try {
    const durations: number[] = [];
    const failures: string[] = [];
    let next = 0;
    const started = performance.now();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 200);
    const ids: string[] = [];
    const lane = async () => {
      while (next < total) {
        next++;
        const journey = new Journey(stack.apiUrl, stack.control, newPerson());
        const t0 = performance.now();
        try {
          await journey.run();
          durations.push(performance.now() - t0);
          ids.push(journey.onboardingId);
        } catch (err) {
          failures.push(err instanceof Error ? err.message.slice(0, 200) : String(err));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, total) }, lane));
    clearInterval(sampler);
    const wall = (performance.now() - started) / 1000;
    const sorted = [...durations].sort((a, b) => a - b);
    const events: number[] = [];
    for (const id of ids.slice(0, 5)) {
      const history = await stack.client.workflow.getHandle(workflowIdFor(id)).fetchHistory();
      events.push(history.events?.length ?? 0);
    }
    console.log(`onboardings: ${durations.length}/${total} COMPLETED at concurrency ${concurrency} in ${wall.toFixed(1)} s ` +
      `= ${((durations.length / wall) * 60).toFixed(1)} onboardings/min`);
    if (sorted.length) {
      console.log(`  POST /onboardings → COMPLETED: p50 ${(percentile(sorted, 50) / 1000).toFixed(2)} s, ` +
        `p95 ${(percentile(sorted, 95) / 1000).toFixed(2)} s, max ${(sorted[sorted.length - 1]! / 1000).toFixed(2)} s ` +
        '(includes the sandbox\'s 200 ms Borica step delays and the journey\'s 200 ms status polling)');
    }
    console.log(`  history events per completed onboarding: ${events.join(', ')}`);
    console.log(`  memory of this process (sandbox, worker and API; the Temporal dev server runs apart): ` +
      `RSS ${mb(rssBefore)} before, ${mb(rssPeak)} at peak`);
    if (failures.length) console.log(`  failures: ${failures.length}\n    ${failures.slice(0, 5).join('\n    ')}`);
  } finally {
    await stack.close();
  }
}

async function main(): Promise<void> {
  await benchCodec(option('codec-rounds', 2000));
  await benchOnboardings(option('onboardings', 20), option('concurrency', 10));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
