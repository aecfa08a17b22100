// `npm start` as a new user meets it: everything comes up and answers, a stop leaves no process
// behind, a second start finds the onboardings of the first, and a missing Temporal binary or a
// busy port stops it at once with a message that says what to do.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../src/local/dev-server';

const ROOT = path.resolve(__dirname, '..', '..');
const START_ALL = path.join(ROOT, 'src', 'local', 'start-all.ts');

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startAll(env: Record<string, string>, args: string[] = []): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', START_ALL, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor(run: Run, text: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!run.output().includes(text)) {
    if (run.child.exitCode !== null) throw new Error(`start-all exited (${run.child.exitCode}):\n${run.output()}`);
    if (Date.now() > deadline) throw new Error(`no "${text}" within ${timeoutMs} ms:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every process whose environment carries this run's data folder: start-all and all it started. */
function processesOf(dataDir: string): number[] {
  const marker = `LOCAL_DATA_DIR=${dataDir}`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0');
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      if (environ.includes(marker) && !/\) Z /.test(stat)) pids.push(Number(entry));
    } catch {
      /* gone meanwhile, or not ours to read */
    }
  }
  return pids;
}

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'onboarding-start-all-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) {
    for (const pid of processesOf(d)) process.kill(pid, 'SIGKILL');
    rmSync(d, { recursive: true, force: true });
  }
});

async function freePorts() {
  return {
    PORT: String(await findFreePort()),
    SANDBOX_PORT: String(await findFreePort()),
    SANDBOX_AUTH_PORT: String(await findFreePort()),
    TEMPORAL_PORT: String(await findFreePort()),
    TEMPORAL_UI_PORT: String(await findFreePort()),
    POSTGRES_PORT: String(await findFreePort()),
  };
}

describe('npm start (src/local/start-all.ts)', () => {
  it(
    'brings up PostgreSQL, Temporal, the sandbox, the worker and the API, stops them all with no process left, and keeps its data for the next start',
    async () => {
      const dataDir = tempDir();
      const ports = await freePorts();
      const env = { ...ports, LOCAL_DATA_DIR: dataDir };
      const api = `http://127.0.0.1:${ports.PORT}`;

      const first = startAll(env);
      await waitFor(first, 'Press Ctrl-C to stop everything.', 90_000);
      expect(first.output()).toContain(`API               http://localhost:${ports.PORT}`);
      expect(first.output()).toContain(`Temporal UI       http://localhost:${ports.TEMPORAL_UI_PORT}`);
      expect(first.output()).toContain(`PostgreSQL        127.0.0.1:${ports.POSTGRES_PORT}`);
      expect((await fetch(`${api}/healthz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${ports.TEMPORAL_UI_PORT}`)).status).toBe(200);
      const secrets = readFileSync(path.join(dataDir, 'local.env'), 'utf8');
      expect(processesOf(dataDir).length).toBeGreaterThanOrEqual(5); // start-all, temporal, sandbox, worker, api

      const started = await fetch(`${api}/onboardings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'start-all@example.com', phoneNumber: '+359888000111', userType: 'INDIVIDUAL' }),
      });
      expect(started.status).toBe(201);
      const { onboardingId, accessToken } = (await started.json()) as { onboardingId: string; accessToken: string };

      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      expect(first.output()).toContain('stopped.');
      expect(processesOf(dataDir)).toEqual([]);

      const second = startAll(env);
      try {
        await waitFor(second, 'Press Ctrl-C to stop everything.', 90_000);
        expect(second.output()).not.toContain('generated local secrets');
        expect(readFileSync(path.join(dataDir, 'local.env'), 'utf8')).toBe(secrets);
        const again = await fetch(`${api}/onboardings/${onboardingId}`, { headers: { authorization: `Bearer ${accessToken}` } });
        expect(again.status).toBe(200);
        expect(((await again.json()) as { onboardingId: string }).onboardingId).toBe(onboardingId);
        // The record in PostgreSQL: the onboarding's first changes reach it once it waits for its
        // e-mail code (written with the next stage where it waits).
        const opsKey = /^OPS_API_KEY=(.*)$/m.exec(secrets)![1]!;
        // (The start itself writes the onboarding's row, so the trail may answer 200 and empty first.)
        const events = async () => {
          const res = await fetch(`${api}/ops/onboardings/${onboardingId}/events`, { headers: { authorization: `Bearer ${opsKey}` } });
          return { status: res.status, items: res.status === 200 ? ((await res.json()) as { items: { seq: number; type: string }[] }).items : [] };
        };
        let trail = await events();
        for (let i = 0; i < 100 && (trail.status === 404 || trail.items.length === 0); i++) {
          await new Promise((r) => setTimeout(r, 300));
          trail = await events();
        }
        expect(trail.status).toBe(200);
        expect(trail.items[0]).toMatchObject({ seq: 1, type: 'STAGE_CHANGED' });
      } finally {
        second.child.kill('SIGINT');
        expect(await second.exited).toBe(0);
      }
      expect(processesOf(dataDir)).toEqual([]);
    },
    240_000,
  );

  it('stops at once with a message naming the problem when the Temporal CLI cannot be run', async () => {
    const dataDir = tempDir();
    const run = startAll({ ...(await freePorts()), LOCAL_DATA_DIR: dataDir, TEMPORAL_CLI_PATH: path.join(dataDir, 'no-such-temporal') });
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/no-such-temporal does not run/);
    expect(processesOf(dataDir)).toEqual([]);
  });

  it('refuses a port that is already taken, naming the variable that moves it', async () => {
    const dataDir = tempDir();
    const ports = await freePorts();
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(Number(ports.PORT), '127.0.0.1', resolve));
    try {
      const run = startAll({ ...ports, LOCAL_DATA_DIR: dataDir });
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(`port ${ports.PORT} (PORT) already in use`);
    } finally {
      blocker.close();
    }
  });
});
