// Helpers of the ops tests: workers with their own provider stand-ins on their own task queues (so
// one test can break "the provider" of its onboardings without touching the others), onboardings
// started straight on Temporal with the settings a scenario needs, and waits on their stage.
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { OnboardingInput, OnboardingSettings, OnboardingView, Stage } from '../../src/domain/onboarding';
import { workflowIdFor } from '../../src/domain/onboarding';
import { createDataConverter } from '../../src/temporal/data-converter';
import { onboardingView, submitEmailCode, submitSmsCode } from '../../src/workflows/messages';
import { eventually, temporalConfig } from '../api/harness';
import type { FakeProviders } from '../support/fake-providers';
import { testOnboardingInput, testSettings } from '../support/fixtures';

export const WORKFLOWS_INDEX = path.join(__dirname, '..', '..', 'src', 'workflows', 'index.ts');

export async function startWorker(env: TestWorkflowEnvironment, taskQueue: string, providers: FakeProviders): Promise<() => Promise<void>> {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    workflowsPath: WORKFLOWS_INDEX,
    activities: providers.activities(),
    dataConverter: createDataConverter(temporalConfig),
    shutdownGraceTime: '1s',
  });
  const running = worker.run();
  return async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  };
}

/** Starts an onboarding as the API does, with the settings a scenario needs. */
export async function startOnboarding(
  client: Client,
  taskQueue: string,
  settings: Partial<OnboardingSettings> = {},
  input: Partial<OnboardingInput> = {},
): Promise<OnboardingInput> {
  const full = testOnboardingInput({ settings: testSettings(settings), ...input });
  await client.workflow.start('onboardingWorkflow', { workflowId: workflowIdFor(full.onboardingId), taskQueue, args: [full] });
  return full;
}

export async function viewOf(client: Client, onboardingId: string): Promise<OnboardingView> {
  return client.workflow.getHandle(workflowIdFor(onboardingId)).query(onboardingView);
}

export async function waitForView(
  client: Client,
  onboardingId: string,
  ok: (v: OnboardingView) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<OnboardingView> {
  return eventually(
    async () => {
      const v = await viewOf(client, onboardingId).catch(() => undefined);
      return v && ok(v) ? v : undefined;
    },
    timeoutMs,
    what,
  );
}

export const waitForStage = (client: Client, id: string, stage: Stage, timeoutMs?: number) =>
  waitForView(client, id, (v) => v.stage === stage, `stage ${stage}`, timeoutMs);

/** Email and SMS codes of the fake providers: to AWAITING_KYC_DATA, or further with a profile. */
export async function confirmCodes(client: Client, onboardingId: string): Promise<void> {
  const handle = client.workflow.getHandle(workflowIdFor(onboardingId));
  await waitForStage(client, onboardingId, 'AWAITING_EMAIL_CODE');
  await handle.executeUpdate(submitEmailCode, { args: [{ code: '111111' }] });
  await waitForView(client, onboardingId, (v) => v.nextAction.type === 'ENTER_SMS_CODE', 'the SMS code to be sent');
  await handle.executeUpdate(submitSmsCode, { args: [{ code: '222222' }] });
}

/** Polls an ops list (visibility is eventually consistent) until `ok` holds for its items. */
export async function pollList<T extends { items: Array<{ onboardingId: string }> }>(
  fetchPage: () => Promise<T>,
  ok: (page: T) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  return eventually(
    async () => {
      const page = await fetchPage();
      return ok(page) ? page : undefined;
    },
    timeoutMs,
    what,
  );
}

export const ids = (page: { items: Array<{ onboardingId: string }> }) => page.items.map((i) => i.onboardingId);

const ROOT = path.resolve(__dirname, '..', '..');
const VARIANTS_DIR = path.join(__dirname, '.variants');

/**
 * A copy of src/workflows with onboarding.ts edited, inside the repository (so that packages
 * resolve) with its `../` imports pointing at the real sources.
 */
export function workflowVariant(name: string, edit: (source: string) => string): string {
  const dir = path.join(VARIANTS_DIR, `${name}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const src = path.join(ROOT, 'src', 'workflows');
  for (const f of readdirSync(src).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    let text = readFileSync(path.join(src, f), 'utf8').replace(/from '\.\.\/([^']+)'/g, (_m, p: string) => `from '${path.join(ROOT, 'src', p)}'`);
    if (f === 'onboarding.ts') {
      const edited = edit(text);
      if (edited === text) throw new Error(`the ${name} edit changed nothing`);
      text = edited;
    }
    writeFileSync(path.join(dir, f), text);
  }
  return path.join(dir, 'index.ts');
}


export function removeWorkflowVariants(): void {
  rmSync(VARIANTS_DIR, { recursive: true, force: true });
}
