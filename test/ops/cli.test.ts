// The ops CLI as ops run it: `npx tsx src/ops/cli.ts …` in a subprocess, with the environment
// pointing at a real Temporal dev server where the real workflow runs with provider stand-ins.
// list finds a stuck onboarding, retry finishes it once healed, show describes it, reset goes back
// to after the last non-idempotent call and re-applies a later signal, replay-check fails (exit 1)
// on a non-deterministic workflow change.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../src/domain/onboarding';
import { boricaRedirectReceived } from '../../src/workflows/messages';
import { type Harness, createHarness, temporalConfig } from '../api/harness';
import { FakeProviders } from '../support/fake-providers';
import { removeWorkflowVariants, startOnboarding, startWorker, viewOf, waitForStage, waitForView, workflowVariant } from './support';

const ROOT = path.resolve(__dirname, '..', '..');
let h: Harness;
const down = new FakeProviders();
const stops: Array<() => Promise<void>> = [];

beforeAll(async () => {
  h = await createHarness();
  stops.push(await startWorker(h.env, 'cli-down', down));
});

afterAll(async () => {
  removeWorkflowVariants();
  for (const stop of stops) await stop().catch(() => undefined);
  await h?.teardown();
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function ops(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['tsx', 'src/ops/cli.ts', ...args],
      {
        cwd: ROOT,
        timeout: 90_000,
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: h.env.address,
          TEMPORAL_NAMESPACE: 'default',
          PAYLOAD_ENCRYPTION_KEY: temporalConfig.PAYLOAD_ENCRYPTION_KEY,
          PAYLOAD_ENCRYPTION_OLD_KEYS: '',
          USER: 'cli-test',
        },
      },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function listUntil(args: string[], ok: (r: Run) => boolean, what: string): Promise<Run> {
  for (const deadline = Date.now() + 40_000; ; ) {
    const r = await ops('list', ...args);
    if (ok(r)) return r;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${r.stdout} ${r.stderr}`);
    await new Promise((res) => setTimeout(res, 500));
  }
}

describe('npm run ops', () => {
  it('list finds the stuck onboarding, show explains it, retry re-drives it once healed', async () => {
    down.failures.createUser = Array<string>(100_000).fill('ProviderUnavailable');
    const stuck = await startOnboarding(h.client, 'cli-down', { stepAttentionAfter: '2s', stepSlowRetryInterval: '1h' });

    const table = await listUntil(['--needs-attention'], (r) => r.stdout.includes(stuck.onboardingId), 'the stuck one in the table');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/ONBOARDING\s+STAGE\s+WAITING\s+ATTENTION/);
    expect(table.stdout).toMatch(new RegExp(`${stuck.onboardingId}\\s+CREATING_USER\\s+\\S+\\s+YES`));

    const json = await ops('list', '--stage', 'CREATING_USER', '--waiting', 'PT1S', '--needs-attention', '--json');
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { items: Array<{ onboardingId: string; needsAttention: boolean }> };
    expect(parsed.items.find((i) => i.onboardingId === stuck.onboardingId)).toMatchObject({ needsAttention: true });

    const shown = await ops('show', stuck.onboardingId);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('NEEDS ATTENTION');
    expect(shown.stdout).toMatch(/last error\s+\S+ at createUser/);
    expect(shown.stdout).not.toContain(stuck.email);

    down.failures.createUser = [];
    const retried = await ops('retry', stuck.onboardingId);
    expect(retried).toMatchObject({ code: 0 });
    expect(retried.stdout).toContain(`retry: accepted by onboarding ${stuck.onboardingId}`);
    await waitForView(h.client, stuck.onboardingId, (v) => v.stage === 'AWAITING_EMAIL_CODE' && !v.needsAttention, 'retried', 15_000);
    expect((await viewOf(h.client, stuck.onboardingId)).timeline.map((t) => t.step)).toContain('userCreated');
  });

  it('explains mistakes: usage, unknown onboarding, wrong stage, no Temporal', async () => {
    expect((await ops('list', '--waiting', '15m')).code).toBe(2);
    expect((await ops('cancel', '00000000-0000-4000-8000-000000000000')).stderr).toContain('--reason');
    const unknown = await ops('retry', '00000000-0000-4000-8000-000000000000');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no such onboarding');
    const healthy = await startOnboarding(h.client, 'cli-down');
    await waitForStage(h.client, healthy.onboardingId, 'AWAITING_EMAIL_CODE');
    const wrong = await ops('restart-identification', healthy.onboardingId);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('refused by the onboarding: WrongStage');
    const noServer = await new Promise<Run>((resolve) =>
      execFile('npx', ['tsx', 'src/ops/cli.ts', 'list'], { cwd: ROOT, env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1', PAYLOAD_ENCRYPTION_KEY: temporalConfig.PAYLOAD_ENCRYPTION_KEY } }, (err, stdout, stderr) =>
        resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
      ),
    );
    expect(noServer.code).toBe(1);
    expect(noServer.stderr).toContain('cannot reach Temporal at 127.0.0.1:1');
  });

  it('reset goes back to just after the user was created, never re-creating it, and re-applies later signals', async () => {
    const o = await startOnboarding(h.client, 'cli-down');
    await waitForStage(h.client, o.onboardingId, 'AWAITING_EMAIL_CODE');
    const handle = h.client.workflow.getHandle(workflowIdFor(o.onboardingId));
    const before = await handle.describe();
    // A signal after the reset point: a Borica redirect (ignored at this stage, but on the timeline).
    await handle.signal(boricaRedirectReceived, { outcome: 'success', query: {} });
    await waitForView(h.client, o.onboardingId, (v) => v.timeline.some((t) => t.step === 'redirect:success:ignored'), 'the signal handled');
    const createUserCalls = down.calls.createUser;

    const dry = await ops('reset', o.onboardingId, '--dry-run', '--json');
    expect(dry.code).toBe(0);
    const plan = JSON.parse(dry.stdout) as { eventId: number; barrier: { activityType: string; eventId: number }; signalsAfter: number };
    expect(plan.barrier.activityType).toBe('createUser');
    expect(plan.eventId).toBeGreaterThan(plan.barrier.eventId);
    expect(plan.signalsAfter).toBe(1);

    const reset = await ops('reset', o.onboardingId, '--reason', 'bug 123 fixed');
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain('after createUser');
    const after = await handle.describe();
    expect(after.runId).not.toBe(before.runId);
    const view = await waitForView(h.client, o.onboardingId, (v) => v.stage === 'AWAITING_EMAIL_CODE' && v.timeline.some((t) => t.step === 'redirect:success:ignored'), 'the reset run with the signal re-applied');
    expect(view.timeline.filter((t) => t.step === 'userCreated')).toHaveLength(1);
    expect(down.calls.createUser).toBe(createUserCalls);

    const early = await ops('reset', o.onboardingId, '--to', '4');
    expect(early.code).toBe(1);
    expect(early.stderr).toContain('refusing to reset');
  });

  it('replay-check passes on the fixtures and exits 1 on a non-deterministic change', async () => {
    const ok = await ops('replay-check', '--files', 'test/fixtures/histories');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('12 histories replay on this code');
    const variant = workflowVariant('cli-extra-timer', (s) => s.replace("this.progress.done('userCreated');", "this.progress.done('userCreated');\n      await sleep('1 second');"));
    const bad = await ops('replay-check', '--files', 'test/fixtures/histories', '--workflows', variant);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('NON-DETERMINISTIC');
    expect(bad.stdout).toContain('do not deploy');
    const running = await ops('replay-check', '--running');
    expect(running.code).toBe(0);
    expect(running.stdout).toMatch(/\d+ histories replay on this code/);
  });
});
