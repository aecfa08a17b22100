// The worker's workflow bundle shares zod and the domain schemas between workflows (preloaded into
// the reused V8 context, where the SDK deep-freezes them): the schemas must still validate there,
// pattern checks included, for every onboarding the worker runs.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FakeProviders } from '../support/fake-providers';
import { testKycRecord, testOnboardingInput } from '../support/fixtures';
import { createTimeSkippingEnv } from '../support/temporal';
import { WORKFLOW_BUNDLE_OPTIONS } from '../../src/worker/worker';
import * as messages from '../../src/workflows/messages';
import { onboardingWorkflow } from '../../src/workflows/onboarding';

const TASK_QUEUE = 'workflow-bundle-test';
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let code: string;

beforeAll(async () => {
  ({ code } = await bundleWorkflowCode({ ...WORKFLOW_BUNDLE_OPTIONS, logger: new DefaultLogger('WARN') }));
  env = await createTimeSkippingEnv();
  worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle: { code }, activities: new FakeProviders().activities() });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

async function startOnboarding() {
  const input = testOnboardingInput();
  return env.client.workflow.start(onboardingWorkflow, { taskQueue: TASK_QUEUE, workflowId: `onboarding-${input.onboardingId}`, args: [input] });
}

describe("the worker's workflow bundle", () => {
  it('loads zod and the domain schemas once, in the shared context, under the ids the workflow code requires', () => {
    const preload = /exports\.preloadModules = function preloadModules\(\) \{([^}]*)\}/.exec(code)?.[1] ?? '';
    expect(preload).toContain('./src/worker/workflow-preload.ts');
    expect(code).toContain('"./src/domain/kyc-record.ts"');
  });

  it('validates KYC data with the shared schemas in several onboardings: pattern checks pass and fail as they should', async () => {
    const handles = [await startOnboarding(), await startOnboarding()];
    for (const handle of handles) {
      const bad = { ...testKycRecord(), person: { ...testKycRecord().person, birthDate: '01.01.1990' } };
      const refused = await handle.executeUpdate(messages.submitKycData, { args: [bad] }).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
      const cause = (refused as WorkflowUpdateFailedError).cause as ApplicationFailure;
      expect(cause.type).toBe('InvalidInput');
      expect(JSON.stringify(cause.details)).toContain('person.birthDate');
      expect(await handle.executeUpdate(messages.submitKycData, { args: [testKycRecord()] })).toMatchObject({ accepted: true });
      expect((await handle.query(messages.onboardingView)).kycDataReceived).toBe(true);
      await handle.terminate('test done');
    }
  });
});

describe('zod-frozen-regex-loader', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the loader is CommonJS, as webpack loads it
  const loader = require('../../src/worker/zod-frozen-regex-loader.cjs') as (this: { resourcePath: string }, source: string) => string;
  const run = (source: string) => loader.call({ resourcePath: 'checks.js' }, source);

  it("keeps zod's lastIndex resets for global or sticky patterns only", () => {
    const zodChecks = readFileSync(path.join(require.resolve('zod'), '..', 'v4', 'core', 'checks.js'), 'utf8');
    const patched = run(zodChecks);
    expect(patched).not.toMatch(/^\s*def\.pattern\.lastIndex = 0;/m);
    expect(patched).toContain('if (def.pattern.global || def.pattern.sticky) def.pattern.lastIndex = 0;');
  });

  it('refuses a source without the reset it patches, so that a zod upgrade is looked at', () => {
    expect(() => run('export const nothing = 1;')).toThrow(/no "lastIndex = 0" reset found/);
  });
});
