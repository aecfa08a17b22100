// Switches and the control API: faults per endpoint and per user, exactly-once counters under
// lost responses, the identification that never progresses, and the sandbox as its own process.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SandboxControl, SandboxControlError } from './control-client';
import type { Sandbox } from './index';
import { call, getToken, startTestSandbox, TEST_CERT_DIR } from './testkit';

let sandbox: Sandbox;
let control: SandboxControl;
let token: string;
let seq = 0;

beforeAll(async () => {
  sandbox = await startTestSandbox({ statusDelayMs: 50 });
  control = new SandboxControl(sandbox.controlUrl);
  token = await getToken(sandbox);
});
afterAll(async () => {
  await sandbox?.close();
});
beforeEach(async () => {
  await control.clearSwitches();
});

const api = (method: 'GET' | 'POST', p: string, body?: unknown) => call(method, `${sandbox.tennpayBaseUrl}${p}`, { token, body });
const newEmail = () => `sw${++seq}-${Date.now()}@example.test`;

async function readyForIdentification(email: string): Promise<number> {
  const id = (await api('POST', '/User', { merchantId: 1, email })).json.id as number;
  await api('POST', '/User/email/confirm', { id, token: await control.latestEmailCode(email) });
  const phone = `+3597${String(Date.now()).slice(-7)}${seq}`;
  await api('POST', '/User/phone-number/send-code', { id, phoneNumber: phone });
  await api('POST', '/User/phone-number/verify', { id, code: await control.latestSmsCode(phone) });
  return id;
}

describe('HTTP faults', () => {
  it('serverError: N× 5xx with an empty body on one endpoint, then normal', async () => {
    await control.setSwitch({ name: 'serverError', endpoint: 'tennpay.lookup', times: 2, status: 503 });
    const first = await api('GET', '/User/source-of-funds');
    expect(first).toMatchObject({ status: 503, text: '' });
    expect((await api('GET', '/User/main-activity')).status).toBe(503);
    expect((await api('GET', '/User/main-activity')).status).toBe(200);
    expect(await control.switches()).toEqual([]); // used up
  });

  it('rateLimit: 429 with Retry-After', async () => {
    await control.setSwitch({ name: 'rateLimit', endpoint: 'tennpay.*', retryAfterSec: 7, times: 1 });
    const res = await api('GET', '/User/account-purpose');
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
  });

  it('slow: delays the answer', async () => {
    await control.setSwitch({ name: 'slow', endpoint: 'tennpay.lookup', delayMs: 300, times: 1 });
    const t0 = Date.now();
    expect((await api('GET', '/User/account-purpose')).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
  });

  it('malformed: the body is not valid JSON', async () => {
    await control.setSwitch({ name: 'malformed', endpoint: 'tennpay.lookup', times: 1 });
    const res = await api('GET', '/User/account-purpose');
    expect(res.status).toBe(200);
    expect(() => JSON.parse(res.text)).toThrow();
  });

  it('responseLost after POST /User: the user exists, the client sees a dead socket, a retry meets "Email already registered"', async () => {
    const email = newEmail();
    await control.setSwitch({ name: 'responseLost', endpoint: 'tennpay.createUser', email, times: 1 });
    await expect(api('POST', '/User', { merchantId: 1, email })).rejects.toThrow();
    const retry = await api('POST', '/User', { merchantId: 1, email });
    expect(retry.status).toBe(400);
    expect(retry.json.errors.Email).toEqual(['Email already registered']);
    expect((await control.counters({ email })).usersCreated).toBe(1);
    expect(await control.latestEmailCode(email)).toMatch(/^\d{6}$/);
  });

  it('per-user scope: a switch for one e-mail leaves other users alone', async () => {
    const a = newEmail();
    const b = newEmail();
    const idA = (await api('POST', '/User', { merchantId: 1, email: a })).json.id as number;
    const idB = (await api('POST', '/User', { merchantId: 1, email: b })).json.id as number;
    await control.setSwitch({ name: 'serverError', email: a });
    expect((await api('GET', `/User/${idA}/status`)).status).toBe(500);
    expect((await api('GET', `/User/${idB}/status`)).status).toBe(200);
    await control.setSwitch({ name: 'serverError', userId: idB, endpoint: 'tennpay.userStatus', times: 1 });
    expect((await api('GET', `/User/${idB}/status`)).status).toBe(500);
  });
});

describe('10nPay behaviour switches', () => {
  it('finalizeRejectAfterSuccess: 400 N times although finalized once; then the same ids', async () => {
    const email = newEmail();
    const id = await readyForIdentification(email);
    const init = await api('POST', '/Enrollment/initiate-external-identification', { userId: id, isRestartIdentification: false });
    await control.pressBorica(init.json.videoIdentificationUrl, 'success');
    await new Promise((r) => setTimeout(r, 80));
    const phaseA = await api('GET', `/Enrollment/${id}/0/true/get-identification-process-status`);
    await control.pressBorica(phaseA.json.videoIdentificationUrl, 'success');
    await new Promise((r) => setTimeout(r, 80));
    await control.setSwitch({ name: 'finalizeRejectAfterSuccess', email, times: 2 });
    const body = { userId: id, bTrustAppCallBackId: null, correlationType: 0 };
    expect((await api('POST', '/Enrollment/finalize-external-identification', body)).status).toBe(400);
    expect((await api('POST', '/Enrollment/finalize-external-identification', body)).status).toBe(400);
    const ok = await api('POST', '/Enrollment/finalize-external-identification', body);
    expect(ok.status).toBe(200);
    expect(await control.counters({ email })).toMatchObject({ finalizeCalls: 3, finalizeSuccesses: 1 });
  });

  it('identificationStuck and statusDelay', async () => {
    const stuckEmail = newEmail();
    const stuck = await readyForIdentification(stuckEmail);
    await control.setSwitch({ name: 'identificationStuck', email: stuckEmail });
    const init = await api('POST', '/Enrollment/initiate-external-identification', { userId: stuck, isRestartIdentification: false });
    await control.pressBorica(init.json.videoIdentificationUrl, 'success');
    await new Promise((r) => setTimeout(r, 200));
    expect((await api('GET', `/Enrollment/${stuck}/0/true/get-identification-process-status`)).json.videoIdentificationStatus).toBe('PROCESSING');

    const slowEmail = newEmail();
    const slow = await readyForIdentification(slowEmail);
    await control.setSwitch({ name: 'statusDelay', email: slowEmail, delayMs: 400 });
    const init2 = await api('POST', '/Enrollment/initiate-external-identification', { userId: slow, isRestartIdentification: false });
    await control.pressBorica(init2.json.videoIdentificationUrl, 'success');
    await new Promise((r) => setTimeout(r, 200));
    expect((await api('GET', `/Enrollment/${slow}/0/true/get-identification-process-status`)).json.videoIdentificationStatus).toBe('PROCESSING');
    await new Promise((r) => setTimeout(r, 300));
    expect((await api('GET', `/Enrollment/${slow}/0/true/get-identification-process-status`)).json.videoIdentificationStatus).toBe(
      'SIGN_SESSION_ID_SUCCESSFULLY_CREATED',
    );
  });
});

describe('control API', () => {
  it('refuses an unknown switch, lists names and endpoints, and resets', async () => {
    await expect(control.setSwitch({ name: 'nonsense' } as never)).rejects.toBeInstanceOf(SandboxControlError);
    await expect(control.setSwitch({ name: 'partnerError' })).rejects.toThrow(/code/);
    const listing = await call('GET', `${sandbox.controlUrl}/switches`);
    expect(listing.json.names).toContain('responseLost');
    expect(listing.json.endpoints).toContain('tennpay.finalize');

    const email = newEmail();
    await api('POST', '/User', { merchantId: 1, email });
    expect(await control.codes('email', email)).toHaveLength(1);
    await expect(control.latestSmsCode('+359000000000', { waitMs: 50 })).rejects.toThrow();
    await control.reset();
    expect(await control.codes('email', email)).toEqual([]);
    expect((await control.counters({ email })).usersCreated).toBe(0);
    expect((await api('GET', '/User/account-purpose')).status).toBe(401); // tokens are gone too
    token = await getToken(sandbox);
  });
});

describe('npm run sandbox (src/sandbox/main.ts)', () => {
  it('prints its URLs and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [path.join('node_modules', 'tsx', 'dist', 'cli.mjs'), 'src/sandbox/main.ts'], {
      env: { ...process.env, SANDBOX_PORT: '0', SANDBOX_AUTH_PORT: '0', SANDBOX_CERT_DIR: TEST_CERT_DIR },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 30_000;
      while (!out.includes('control API') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const controlUrl = /control API:\s+(\S+)/.exec(out)?.[1];
      expect(controlUrl).toBeDefined();
      expect(await new SandboxControl(controlUrl!).health()).toMatchObject({ ok: true });
      expect(out).toMatch(/TENNPAY_AUTH_URL=https:\/\/127\.0\.0\.1:\d+/);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL'); // never leave the child behind
    }
  });
});
