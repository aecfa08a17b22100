// Temporal servers for tests, from the project's own binaries (src/local/temporal-binaries.ts):
// nothing is downloaded at run time, and each environment picks its own free port, so suites of
// different engineers can run side by side.
//
//   const env = await createTimeSkippingEnv();   // virtual time: env.sleep('1 day') is instant
//   const env = await createDevServerEnv();      // the real server (CLI dev server), in memory
//   ... Worker.create({ connection: env.nativeConnection, namespace: env.namespace ?? 'default', ... })
//   await env.teardown();
//
// Both have the onboarding search attributes (ONBOARDING_SEARCH_ATTRIBUTES) registered on the
// "default" namespace before they are returned.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { sqlitePragmaArgs, startDevServer, type DevServer, type DevServerOptions } from '../../src/local/dev-server';
import { temporalBinary } from '../../src/local/temporal-binaries';
import { INDEXED_VALUE_TYPES } from '../../src/temporal/namespace-setup';
import { ONBOARDING_SEARCH_ATTRIBUTES, type SearchAttributeKey } from '../../src/temporal/search-attributes';

export { ONBOARDING_SEARCH_ATTRIBUTES };

/**
 * Installs the SDK runtime with a WARN-level logger, so test output shows problems rather than
 * every worker state change. Set TEMPORAL_TEST_LOG_LEVEL=INFO (or DEBUG) to see everything.
 * Does nothing once a runtime exists (the SDK installs one on first use).
 */
export function quietTemporalRuntime(): void {
  const level = (process.env.TEMPORAL_TEST_LOG_LEVEL ?? 'ERROR') as 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  try {
    Runtime.install({ logger: new DefaultLogger(level) });
  } catch {
    /* already installed in this process */
  }
}

/**
 * Registers search attributes through the operator service. The time-skipping server has no
 * option for them and refuses workflows that use unregistered ones; it implements
 * AddSearchAttributes (but not ListSearchAttributes, so there is nothing to read back there).
 */
export async function registerSearchAttributes(
  connection: Connection,
  namespace = 'default',
  keys: readonly SearchAttributeKey<SearchAttributeType>[] = ONBOARDING_SEARCH_ATTRIBUTES,
): Promise<void> {
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(keys.map((k) => [k.name, INDEXED_VALUE_TYPES[k.type]])),
  });
}

/**
 * The Java time-skipping test server: timers of days pass in milliseconds while the test awaits a
 * workflow result (or calls env.sleep). One environment per test file; not for concurrent tests.
 */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  quietTemporalRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalBinary('testServer') } },
  });
  try {
    await registerSearchAttributes(env.connection);
  } catch (err) {
    await env.teardown();
    throw err;
  }
  return env;
}

/**
 * The real server (`temporal server start-dev`) in memory on a free loopback port, headless, with
 * the search attributes given at launch and the WAL pragmas. Real time: use it to check behaviour
 * the time-skipping server only imitates (visibility queries, updates, search attributes listing).
 */
export async function createDevServerEnv(): Promise<TestWorkflowEnvironment> {
  quietTemporalRuntime();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalBinary('cli') },
      ip: '127.0.0.1',
      searchAttributes: [...ONBOARDING_SEARCH_ATTRIBUTES],
      extraArgs: sqlitePragmaArgs(),
    },
  });
}

/**
 * The project's own dev-server runner (src/local/dev-server.ts) with its data in a fresh temporary
 * folder, for tests about the runner itself or that restart the server on the same data
 * (pass `dataDir` to reuse one). `cleanup()` stops the server and removes the temporary folder.
 */
export async function startTestDevServer(
  options: Partial<DevServerOptions> = {},
): Promise<DevServer & { dataDir: string; cleanup(): Promise<void> }> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'onboarding-temporal-'));
  // The server's output is kept quiet here; a failed start still reports its last lines.
  const server = await startDevServer({ headless: true, onOutput: () => undefined, ...options, dataDir });
  return {
    ...server,
    dataDir,
    async cleanup() {
      await server.stop();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
