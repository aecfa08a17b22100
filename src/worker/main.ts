// `npm run worker`: the onboarding worker process, configured only by the environment.
// More workers on the same task queue are how the service scales past one machine.
import { Runtime, bundleWorkflowCode } from '@temporalio/worker';
import { createActivities, createActivityDependencies } from '../activities';
import { createIntegratorActivities, integratorClientOf } from '../activities/integrator';
import { loadWorkerConfig } from '../config';
import { createLogger } from '../observability/logger';
import { temporalLoggerOf } from '../observability/temporal-logger';
import { openRecord } from '../record/open';
import { connectTemporalWorker, describeConnection } from '../temporal/connection';
import { WORKFLOW_BUNDLE_OPTIONS, createOnboardingWorker } from './worker';

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const logger = createLogger({ base: { service: 'onboarding-worker' } });
  // The worker's own metrics (task latencies, slots, polls) and the service's (provider calls,
  // stage durations, onboardings ended) on one Prometheus endpoint, where an address is given
  // (several workers on one host need one each).
  const metricsAddress = process.env.WORKER_METRICS_ADDRESS;
  Runtime.install({
    logger: temporalLoggerOf(logger),
    ...(metricsAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: metricsAddress } } } } : {}),
  });
  // The onboarding record: migrated before the first change is written to it.
  const opened = await openRecord(process.env, (line) => logger.info(line));
  if (!opened) logger.warn('DATABASE_URL is not set: the onboarding record is not written');
  const connection = await connectTemporalWorker(config.temporal);
  // A deploy runs the bundle built into its image (WORKFLOW_BUNDLE_PATH); without one, the current
  // sources are bundled now, so a development worker never runs a stale bundle.
  const bundlePath = process.env.WORKFLOW_BUNDLE_PATH;
  const workflowBundle = bundlePath
    ? { codePath: bundlePath }
    : await bundleWorkflowCode({ ...WORKFLOW_BUNDLE_OPTIONS, logger: temporalLoggerOf(logger.child({}, { level: 'warn' })) });
  const worker = await createOnboardingWorker({
    temporal: config.temporal,
    cache: config.cache,
    connection,
    // deliverIntegratorEvent: the outbound events' delivery workflows run on this task queue too.
    activities: {
      ...createActivities({ ...createActivityDependencies(config, config.fileStoreDir), record: opened?.record }),
      ...createIntegratorActivities(integratorClientOf(config.integrator)),
    },
    workflowBundle,
  });
  // The worker installs its own SIGINT/SIGTERM handlers: it stops polling, lets running tasks
  // finish within the grace time and hands the rest back to the server.
  logger.info(
    { taskQueue: config.temporal.TASK_QUEUE, temporal: describeConnection(config.temporal), bundle: bundlePath ? 'pre-built' : 'bundled at start-up', metrics: metricsAddress ? `http://${metricsAddress}/metrics` : 'off' },
    'Worker polling',
  );
  // Retention: the person is erased from onboardings that ended RECORD_PERSONAL_DATA_RETENTION ago,
  // checked hourly (every worker may run it: the erasure is one idempotent UPDATE).
  const eraseExpired = () =>
    opened?.record.erasePersonalData(new Date(), opened.retentionMs).then(
      (erased) => erased > 0 && logger.info({ erased }, 'Personal data erased from ended onboardings past retention'),
      (err: unknown) => logger.warn({ err: (err as Error).message }, 'Retention pass failed; retried within the hour'),
    );
  void eraseExpired();
  const retention = setInterval(() => void eraseExpired(), 3_600_000);
  retention.unref();
  await worker.run();
  clearInterval(retention);
  await connection.close();
  await opened?.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`Worker stopped: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
