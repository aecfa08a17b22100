// Builds the onboarding worker: the workflow code (a pre-built bundle in production, the sources
// in development and tests), the activities over the provider clients, the encrypted data converter.
import path from 'node:path';
import { NativeConnection, Worker, type BundleOptions, type WorkerOptions, type WorkflowBundleOption } from '@temporalio/worker';
import { attemptStamping } from '../activities/attempt-interceptor';
import type { OnboardingActivities } from '../activities/types';
import type { TemporalConfig, WorkerCacheConfig } from '../config';
import { FAILURE_CONVERTER_PATH, createDataConverter } from '../temporal/data-converter';

export interface OnboardingWorkerOptions {
  temporal: TemporalConfig;
  /** The workflow cache's bound (WORKFLOW_CACHE_SIZE); the SDK's default, sized from the heap, when absent. */
  cache?: WorkerCacheConfig;
  activities: OnboardingActivities;
  connection: NativeConnection;
  /** The workflow code, built ahead (`npm run build:workflow-bundle`); the sources are bundled otherwise. */
  workflowBundle?: WorkflowBundleOption;
  /** Extra worker options (tests shorten the shutdown grace time, for instance). */
  overrides?: Partial<WorkerOptions>;
}

/** The folder: the bundler resolves its index to the .ts sources in development, .js once compiled. */
export const WORKFLOWS_PATH = path.resolve(__dirname, '..', 'workflows');

/**
 * Modules evaluated once in the worker's shared V8 context rather than once per cached workflow.
 * With `reuseV8Context` (the SDK's default since 1.x) every module the workflows import is evaluated
 * again for each workflow the cache holds, except these; only libraries without per-workflow state
 * belong here (the SDK deep-freezes them).
 */
export const PRELOADED_WORKFLOW_MODULES = [path.resolve(__dirname, 'workflow-preload')];

/** zod's modules whose pattern checks reset `lastIndex` (see zod-frozen-regex-loader.cjs). */
const ZOD_PATTERN_CHECKS = /[\\/]zod[\\/]v4[\\/]core[\\/](checks|schemas)\.js$/;

type WebpackConfig = Parameters<NonNullable<BundleOptions['webpackConfigHook']>>[0];

/** Shared, hence frozen, regular expressions must not be written to: see zod-frozen-regex-loader.cjs. */
function frozenRegexSafeZod(config: WebpackConfig): WebpackConfig {
  const loader = path.resolve(__dirname, 'zod-frozen-regex-loader.cjs');
  return { ...config, module: { ...config.module, rules: [...(config.module?.rules ?? []), { test: ZOD_PATTERN_CHECKS, use: [{ loader }] }] } };
}

/** What a development worker passes to the SDK's bundler, and the pre-built bundle is built with. */
const BUNDLER_OPTIONS = { preloadModules: PRELOADED_WORKFLOW_MODULES, webpackConfigHook: frozenRegexSafeZod };

/** How the workflow code is bundled: the same for the pre-built bundle and a development worker. */
export const WORKFLOW_BUNDLE_OPTIONS = {
  workflowsPath: WORKFLOWS_PATH,
  failureConverterPath: FAILURE_CONVERTER_PATH,
  ...BUNDLER_OPTIONS,
} satisfies BundleOptions;

export async function createOnboardingWorker(options: OnboardingWorkerOptions): Promise<Worker> {
  const { temporal, cache, activities, connection, workflowBundle, overrides } = options;
  return Worker.create({
    connection,
    namespace: temporal.TEMPORAL_NAMESPACE,
    taskQueue: temporal.TASK_QUEUE,
    ...(workflowBundle
      ? { workflowBundle }
      : { workflowsPath: WORKFLOWS_PATH, bundlerOptions: BUNDLER_OPTIONS }),
    // Bounded so that a worker's memory does not grow with the number of waiting onboardings: an
    // evicted onboarding is replayed from its (short) history when a message comes for it.
    ...(cache?.WORKFLOW_CACHE_SIZE !== undefined ? { maxCachedWorkflows: cache.WORKFLOW_CACHE_SIZE } : {}),
    activities,
    interceptors: { activity: [attemptStamping] },
    dataConverter: createDataConverter(temporal),
    // On SIGTERM running activities get this long to finish before their tasks are handed back.
    shutdownGraceTime: '20s',
    ...overrides,
  });
}
