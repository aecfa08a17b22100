// `npx tsx --expose-gc bench/workflow-weight.ts [N]`: what one cached onboarding weighs in the
// worker's workflow context, for each way of bundling the workflow code. The workflows run on the
// worker's main thread here (debugMode), so the V8 heap measured is theirs; the dev server and
// provider stand-ins make each onboarding wait for its e-mail code, as the memory bench does.
import { randomUUID } from 'node:crypto';
import { writeHeapSnapshot } from 'node:v8';
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode, type BundleOptions } from '@temporalio/worker';
import { FakeProviders } from '../test/support/fake-providers';
import { testOnboardingInput, testKycRecord } from '../test/support/fixtures';
import { createDevServerEnv } from '../test/support/temporal';
import { kycRecordSchema } from '../src/domain/kyc-record';
import { onboardingView } from '../src/workflows/messages';
import { WORKFLOW_BUNDLE_OPTIONS } from '../src/worker/worker';
import { inLanes, mb } from './stats';

const gc = (globalThis as { gc?: () => void }).gc;
const heap = async (): Promise<number> => {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 100));
  }
  return process.memoryUsage().heapUsed;
};

const VARIANTS: Record<string, Partial<BundleOptions>> = {
  ...(process.env.WEIGHT_ONLY_WORKER ? {} : { 'nothing preloaded': { preloadModules: [] } }),
  'zod and the domain schemas preloaded (the worker\'s bundle)': {},
};

async function main(): Promise<void> {
  if (!gc) throw new Error('run with --expose-gc: npx tsx --expose-gc bench/workflow-weight.ts');
  const total = Number(process.argv[2] ?? 100);
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const env = await createDevServerEnv();
  try {
    for (const [name, variant] of Object.entries(VARIANTS)) {
      const { code } = await bundleWorkflowCode({ ...WORKFLOW_BUNDLE_OPTIONS, ...variant, logger: new DefaultLogger('ERROR') });
      const taskQueue = `weight-${randomUUID()}`;
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle: { code },
        activities: new FakeProviders().activities(),
        debugMode: !process.env.WEIGHT_THREADED,
        maxCachedWorkflows: total + 10,
      });
      const running = worker.run();
      const before = await heap();
      const rssBefore = process.memoryUsage().rss;
      await inLanes(total, 10, async (i) => {
        const input = testOnboardingInput({ onboardingId: randomUUID(), profile: kycRecordSchema.parse(testKycRecord(`W${i}`)) });
        const handle = await env.client.workflow.start('onboardingWorkflow', { taskQueue, workflowId: `weight-${input.onboardingId}`, args: [input] });
        for (;;) {
          const v = await handle.query(onboardingView);
          if (v.stage === 'AWAITING_EMAIL_CODE') break;
          await new Promise((r) => setTimeout(r, 100));
        }
      });
      const after = await heap();
      if (process.env.WEIGHT_SNAPSHOT) console.log(`heap snapshot: ${writeHeapSnapshot(`/tmp/weight-${Object.keys(VARIANTS).indexOf(name)}.heapsnapshot`)}`);
      console.log(`${name}: ${total} cached onboardings, heap ${mb(before)} → ${mb(after)}, ${((after - before) / 1024 / total).toFixed(0)} kB each; RSS ${mb(rssBefore)} → ${mb(process.memoryUsage().rss)}; bundle ${(code.length / 1024).toFixed(0)} kB`);
      worker.shutdown();
      await running;
    }
  } finally {
    await env.teardown();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
