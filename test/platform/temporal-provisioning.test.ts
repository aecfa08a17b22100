// The Temporal servers the service and its tests run on are provisioned for it: the onboarding
// search attributes are registered, workflows run, long timers pass in virtual time on the
// time-skipping server, and the dev-server runner keeps its data across restarts and leaves no
// process behind.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection, WorkflowIdReusePolicy } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import {
  ONBOARDING_SEARCH_ATTRIBUTES,
  OnboardingStage,
  TennpayUserId,
} from '../../src/temporal/search-attributes';
import { createDevServerEnv, createTimeSkippingEnv, startTestDevServer } from '../support/temporal';
import { phaseQuery, provisioningWorkflow, wakeSignal } from './workflows/provisioning';

const DAY_MS = 24 * 60 * 60 * 1000;

let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  workflowBundle = await bundleWorkflowCode({
    workflowsPath: path.join(__dirname, 'workflows', 'provisioning.ts'),
    logger: { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: console.warn, error: console.error },
  });
});

async function workerFor(env: TestWorkflowEnvironment, taskQueue: string): Promise<Worker> {
  return Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle,
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('time-skipping test server (createTimeSkippingEnv)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('runs a workflow whose 1-day timer passes in virtual time, in well under a second of real time', async () => {
    const taskQueue = `tq-${randomUUID()}`;
    const worker = await workerFor(env, taskQueue);
    const virtualStart = await env.currentTimeMs();
    const { result, realMs } = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(provisioningWorkflow, {
        taskQueue,
        workflowId: `provisioning-${randomUUID()}`,
        args: [{ timer: '1 day' }],
        typedSearchAttributes: [{ key: OnboardingStage, value: 'CREATING_USER' }],
      });
      const started = performance.now();
      const result = await handle.result();
      return { result, realMs: performance.now() - started };
    });
    const virtualMs = (await env.currentTimeMs()) - virtualStart;

    expect(result).toBe('slept');
    expect(virtualMs).toBeGreaterThanOrEqual(DAY_MS);
    // Typically 400–600 ms here (workflow task round trips, not the timer); the bound leaves room
    // for a busy 2-core machine running other suites at the same time.
    expect(realMs).toBeLessThan(2_000);
    console.info(`time-skipping: ${Math.round(virtualMs / 3_600_000)} h of workflow time in ${Math.round(realMs)} ms`);
  });

  it('refuses a search attribute that was not registered, so the registration is what makes ours work', async () => {
    const Unregistered = defineSearchAttributeKey('NotRegisteredAnywhere', SearchAttributeType.KEYWORD);
    const error = await env.client.workflow
      .start(provisioningWorkflow, {
        taskQueue: `tq-${randomUUID()}`,
        workflowId: `provisioning-${randomUUID()}`,
        args: [{ timer: '1 day' }],
        typedSearchAttributes: [{ key: Unregistered, value: 'x' }],
      })
      .then(
        () => undefined,
        (err: Error) => err,
      );
    expect(error).toBeInstanceOf(Error);
    // The client wraps the server's INVALID_ARGUMENT in "Failed to start Workflow"; the cause names the attribute.
    expect(String((error as Error & { cause?: Error }).cause?.message)).toMatch(/NotRegisteredAnywhere/);
  });
});

describe('dev server (createDevServerEnv)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createDevServerEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('runs a workflow that sets the onboarding search attributes, answers a query and a signal, and is found by a visibility query', async () => {
    const taskQueue = `tq-${randomUUID()}`;
    const workflowId = `provisioning-${randomUUID()}`;
    const worker = await workerFor(env, taskQueue);
    const result = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(provisioningWorkflow, {
        taskQueue,
        workflowId,
        args: [{ timer: '100ms', waitForSignal: true }],
      });
      await expect.poll(() => handle.query(phaseQuery), { timeout: 10_000 }).toBe('waiting');

      const described = await handle.describe();
      expect(described.typedSearchAttributes.get(OnboardingStage)).toBe('CREATING_USER');
      expect(described.typedSearchAttributes.get(TennpayUserId)).toBe(42);

      // Visibility is eventually consistent: poll until the list query sees it.
      await expect
        .poll(
          async () => {
            const ids: string[] = [];
            for await (const wf of env.client.workflow.list({
              query: `OnboardingStage = 'CREATING_USER' AND WorkflowId = '${workflowId}'`,
            })) {
              ids.push(wf.workflowId);
            }
            return ids;
          },
          { timeout: 10_000 },
        )
        .toEqual([workflowId]);

      await handle.signal(wakeSignal);
      return handle.result();
    });
    expect(result).toBe('slept');
  });
});

describe('dev-server runner (startDevServer)', () => {
  it('registers every onboarding search attribute, keeps workflows across a restart on the same data folder, and stops with no process left', async () => {
    const first = await startTestDevServer({ namespace: 'onboarding-test' });
    const dataDir = first.dataDir;
    const workflowId = `provisioning-${randomUUID()}`;
    try {
      const connection = await Connection.connect({ address: first.address });
      try {
        const listed = await connection.operatorService.listSearchAttributes({ namespace: 'onboarding-test' });
        for (const key of ONBOARDING_SEARCH_ATTRIBUTES) {
          expect(Object.keys(listed.customAttributes ?? {})).toContain(key.name);
        }
        const client = new Client({ connection, namespace: 'onboarding-test' });
        await client.workflow.start(provisioningWorkflow, {
          taskQueue: 'nobody-polls-this',
          workflowId,
          args: [{ timer: '1 day' }],
          typedSearchAttributes: [{ key: OnboardingStage, value: 'AWAITING_EMAIL_CODE' }],
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        });
      } finally {
        await connection.close();
      }
    } finally {
      await first.stop();
    }
    expect(isAlive(first.pid)).toBe(false);

    const second = await startTestDevServer({ namespace: 'onboarding-test', dataDir });
    try {
      const connection = await Connection.connect({ address: second.address });
      try {
        const client = new Client({ connection, namespace: 'onboarding-test' });
        const described = await client.workflow.getHandle(workflowId).describe();
        expect(described.status.name).toBe('RUNNING');
        expect(described.typedSearchAttributes.get(OnboardingStage)).toBe('AWAITING_EMAIL_CODE');
      } finally {
        await connection.close();
      }
    } finally {
      await second.cleanup();
      // first.cleanup() would stop an already stopped server; the folder is shared, so remove it once.
      await first.cleanup();
    }
    expect(isAlive(second.pid)).toBe(false);
  });
});
