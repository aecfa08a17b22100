// Builds the onboarding worker: the workflow code (a pre-built bundle in production, the sources
// in development and tests), the activities over the provider clients, the encrypted data converter.
import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions, type WorkflowBundleOption } from '@temporalio/worker';
import type { OnboardingActivities } from '../activities/types';
import type { TemporalConfig } from '../config';
import { createDataConverter } from '../temporal/data-converter';

export interface OnboardingWorkerOptions {
  temporal: TemporalConfig;
  activities: OnboardingActivities;
  connection: NativeConnection;
  /** The workflow code, built ahead (`npm run build:workflow-bundle`); the sources are bundled otherwise. */
  workflowBundle?: WorkflowBundleOption;
  /** Extra worker options (tests shorten the shutdown grace time, for instance). */
  overrides?: Partial<WorkerOptions>;
}

/** The folder: the bundler resolves its index to the .ts sources in development, .js once compiled. */
export const WORKFLOWS_PATH = path.resolve(__dirname, '..', 'workflows');

export async function createOnboardingWorker(options: OnboardingWorkerOptions): Promise<Worker> {
  const { temporal, activities, connection, workflowBundle, overrides } = options;
  return Worker.create({
    connection,
    namespace: temporal.TEMPORAL_NAMESPACE,
    taskQueue: temporal.TASK_QUEUE,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities,
    dataConverter: createDataConverter(temporal),
    // On SIGTERM running activities get this long to finish before their tasks are handed back.
    shutdownGraceTime: '20s',
    ...overrides,
  });
}
