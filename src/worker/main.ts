// `npm run worker`: the onboarding worker process, configured only by the environment.
// More workers on the same task queue are how the service scales past one machine.
import { NativeConnection } from '@temporalio/worker';
import { existsSync } from 'node:fs';
import { createActivities, createActivityDependencies } from '../activities';
import { loadWorkerConfig } from '../config';
import { DEFAULT_BUNDLE_PATH } from './build-workflow-bundle';
import { createOnboardingWorker } from './worker';

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const connection = await NativeConnection.connect({ address: config.temporal.TEMPORAL_ADDRESS });
  const bundlePath = process.env.WORKFLOW_BUNDLE_PATH ?? (existsSync(DEFAULT_BUNDLE_PATH) ? DEFAULT_BUNDLE_PATH : undefined);
  const worker = await createOnboardingWorker({
    temporal: config.temporal,
    connection,
    activities: createActivities(createActivityDependencies(config, config.fileStoreDir)),
    ...(bundlePath ? { workflowBundlePath: bundlePath } : {}),
  });
  // The worker installs its own SIGINT/SIGTERM handlers: it stops polling, lets running tasks
  // finish within the grace time and hands the rest back to the server.
  process.stdout.write(
    `Worker polling task queue "${config.temporal.TASK_QUEUE}" on ${config.temporal.TEMPORAL_ADDRESS} (${bundlePath ? 'pre-built bundle' : 'bundled at start-up'})\n`,
  );
  await worker.run();
  await connection.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`Worker stopped: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
