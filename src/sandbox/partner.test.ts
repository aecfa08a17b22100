// The P100 face against CONTRACT part 2: every call's success and error bodies, the hosted KYC
// page, and webhook delivery (token in Authorization, retries) to a local receiver.
import { FormData, request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SandboxControl } from './control-client';
import type { Sandbox } from './index';
import { call, startTestSandbox, startWebhookReceiver } from './testkit';

const API_KEY = 'test-partner-key';
const WEBHOOK_TOKEN = 'test-webhook-token-0123456789';

let sandbox: Sandbox;
let control: SandboxControl;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let seq = 0;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  sandbox = await startTestSandbox({
    partnerApiKey: API_KEY,
    partnerWebhookBaseUrl: receiver.baseUrl,
    partnerWebhookToken: WEBHOOK_TOKEN,
    webhookRetryDelaysMs: [20, 40, 60, 80],
  });
  control = new SandboxControl(sandbox.controlUrl);
});
afterAll(async () => {
  await sandbox?.close();
  await receiver?.close();
});
beforeEach(async () => {
  await control.clearSwitches();
});

const p100 = (method: 'GET' | 'POST', path: string, body?: unknown, key: string | null = API_KEY) =>
  call(method, `${sandbox.partnerBaseUrl}${path}`, { body, headers: key === null ? {} : { 'x-api-key': key } });

const newExternalId = () => `ext-${Date.now()}-${++seq}`;

const account = (externalUserId: string) => ({
  externalUserId,
  email: `${externalUserId}@example.test`,
  phone: '+359888123456',
  firstName: 'Ivana',
  lastName: 'Petrova',
  street: 'Vitosha',
  number: '1',
  city: 'Sofia',
  postCode: '1000',
  country: 'BG',
  citizenship: 'BG',
  nationality: 'BG',
  birthCountry: 'BG',
  birthDate: '1990-01-31',
  userIdentificationNumber: '9001310000',
  hasAcceptedP100Tc: true,
});

const verification = (externalUserId: string, documentNumber = `DOC${Date.now()}${seq}`) => ({
  externalUserId,
  documentType: 'ID_CARD',
  documentNumber,
  documentExpirationDate: '2030-06-11',
  openAccountReason: 'DAILY_USE',
  incomeSource: 'SALARY',
  occupation: 'IT',
  riskLvl: 'LOW',
});

const kycBody = (externalUserId: string) => ({
  externalUserId,
  documentType: 'ID_CARD',
  country: 'BG',
  incomeSource: 'SALARY',
  openAccountReason: 'DAILY_USE',
  occupation: 'IT',
});

async function upload(path: string, files: { name: string; type: string; size: number }[]) {
  const form = new FormData();
  for (const f of files) form.append('files', new Blob([Buffer.alloc(f.size, 1)], { type: f.type }), f.name);
  const res = await request(`${sandbox.partnerBaseUrl}${path}`, { method: 'POST', headers: { 'x-api-key': API_KEY }, body: form });
  const text = await res.body.text();
  return { status: res.statusCode, json: text ? JSON.parse(text) : undefined };
}

const error = (code: string, name?: string) => ({ errorCode: code, ...(name ? { errorName: name } : {}), errorMessage: expect.any(String) });

async function waitFor<T>(fn: () => T | undefined, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('API key', () => {
  it('answers 401 Access Denied. xo1 without a key and xo2 with a wrong one', async () => {
    const none = await p100('GET', '/v1/kyc/status/x', undefined, null);
    expect(none).toMatchObject({ status: 401, text: 'Access Denied. xo1' });
    const wrong = await p100('GET', '/v1/kyc/status/x', undefined, 'nope');
    expect(wrong).toMatchObject({ status: 401, text: 'Access Denied. xo2' });
  });
});

describe('Create User Account', () => {
  it('answers 201 {userId, poaRequiredForExtended}; P410 for a reused externalUserId; P403 without errorName', async () => {
    const ext = newExternalId();
    const res = await p100('POST', '/v1/user/balances/crypto-and-fiat', account(ext));
    expect(res.status).toBe(201);
    expect(res.json).toEqual({ userId: expect.any(String), poaRequiredForExtended: false });
    const again = await p100('POST', '/v1/user/balances/crypto-and-fiat', account(ext));
    expect(again).toMatchObject({ status: 400, json: error('P410', 'user-already-exists') });
    const invalid = await p100('POST', '/v1/user/balances/crypto-and-fiat', { ...account(newExternalId()), country: 'Bulgaria', hasAcceptedP100Tc: false });
    expect(invalid.status).toBe(400);
    expect(invalid.json).toEqual({ errorCode: 'P403', errorMessage: expect.stringContaining('country') });
    expect((await control.counters({ externalUserId: ext })).partnerAccounts).toBe(1);
  });

  it('answers poaRequiredForExtended: true under the poaRequired switch', async () => {
    const ext = newExternalId();
    await control.setSwitch({ name: 'poaRequired', externalUserId: ext });
    const res = await p100('POST', '/v1/user/balances/crypto-and-fiat', account(ext));
    expect(res.json.poaRequiredForExtended).toBe(true);
  });
});

describe('method B: KYC verification', () => {
  it('creates a verification, serves the page whose approve button sets APPROVED and sends the webhook', async () => {
    const ext = newExternalId();
    await p100('POST', '/v1/user/balances/crypto-and-fiat', account(ext));
    const missing = await p100('GET', `/v1/kyc/status/${ext}`);
    expect(missing).toMatchObject({ status: 404, json: error('P445', 'kyc-not-found') });
    const created = await p100('POST', '/v1/kyc', kycBody(ext));
    expect(created.status).toBe(201);
    expect(created.json).toEqual({ verificationId: expect.any(String) });
    const vid = created.json.verificationId as string;
    expect((await p100('GET', `/v1/kyc/status/${ext}`)).json).toEqual({ status: 'PENDING' });

    // The verification page, fetched server-side with the key as the service does.
    const page = await p100('GET', `/v1/kyc/verification/${ext}/${vid}`);
    expect(page.status).toBe(200);
    expect(String(page.headers['content-type'])).toContain('text/html');
    const pressed = await control.pressPartnerKyc(page.text, 'approve');
    expect(pressed.status).toBe(200);
    expect((await p100('GET', `/v1/kyc/status/${ext}`)).json).toEqual({ status: 'APPROVED' });
    const hook = await waitFor(() => receiver.received.find((w) => w.body.externalUserId === ext && w.type === 'kyc-verification-status'));
    expect(hook.authorization).toBe(WEBHOOK_TOKEN);
    expect(hook.body).toEqual({ externalUserId: ext, verificationId: vid, status: 'APPROVED' });
    expect((await control.counters({ externalUserId: ext })).kycVerificationsCreated).toBe(1);
    // A second press changes nothing.
    expect((await control.pressPartnerKyc(page.text, 'reject')).status).toBe(409);
  });

  it('rejects through the page fetched by URL; validates the request; P412 for an unknown user', async () => {
    const ext = newExternalId();
    await p100('POST', '/v1/user/balances/crypto-and-fiat', account(ext));
    const { json } = await p100('POST', '/v1/kyc', kycBody(ext));
    const url = `${sandbox.partnerBaseUrl}/v1/kyc/verification/${ext}/${json.verificationId}`;
    expect((await control.pressPartnerKyc(url, 'reject', { headers: { 'x-api-key': API_KEY } })).status).toBe(200);
    expect((await p100('GET', `/v1/kyc/status/${ext}`)).json).toEqual({ status: 'REJECTED', reason: expect.any(String) });

    const noOccupation = await p100('POST', '/v1/kyc', { ...kycBody(ext), occupation: undefined });
    expect(noOccupation).toMatchObject({ status: 400, json: { errorCode: 'P403' } });
    const noTaxId = await p100('POST', '/v1/kyc', { ...kycBody(ext), incomeSource: 'BUSINESS_ACTIVITY' });
    expect(noTaxId.json.errorCode).toBe('P403');
    expect((await p100('POST', '/v1/kyc', kycBody('nobody'))).json).toEqual(error('P412', 'invalid-user'));
    expect((await p100('GET', '/v1/kyc/status/nobody')).json).toEqual(error('P412', 'invalid-user'));
    expect((await p100('GET', `/v1/kyc/verification/nobody/x`)).json).toEqual(error('P412', 'invalid-user'));
    expect((await p100('GET', `/v1/kyc/verification/${ext}/unknown`)).status).toBe(404);
  });
});

describe('Add User Verification', () => {
  it('needs KYC first (P446 for B not approved), then 201 and the user-status ACTIVE webhook; P442 after', async () => {
    const ext = newExternalId();
    await p100('POST', '/v1/user/balances/crypto-and-fiat', account(ext));
    const noKyc = await p100('POST', '/v1/user/verification', verification(ext));
    expect(noKyc).toMatchObject({ status: 404, json: error('P427', 'missing-kyc-files') });
    await p100('POST', '/v1/kyc', kycBody(ext));
    const pending = await p100('POST', '/v1/user/verification', verification(ext));
    expect(pending).toMatchObject({ status: 400, json: error('P446', 'kyc-not-valid') });
    await control.decidePartnerKyc(ext, 'approve');
    const doc = `DOC-${ext}`;
    const ok = await p100('POST', '/v1/user/verification', verification(ext, doc));
    expect(ok.status).toBe(201);
    expect(ok.json).toEqual({ message: 'Verification documents to user added successfully' });
    const active = await waitFor(() => receiver.received.find((w) => w.body.externalUserId === ext && w.type === 'user-status'));
    expect(active.body).toEqual({ externalUserId: ext, status: 'ACTIVE' });
    expect((await p100('POST', '/v1/user/verification', verification(ext, doc))).json).toEqual(error('P442', 'user-already-verified'));

    // The same document number for somebody else.
    const other = newExternalId();
    await p100('POST', '/v1/user/balances/crypto-and-fiat', account(other));
    await p100('POST', '/v1/kyc', kycBody(other));
    await control.decidePartnerKyc(other, 'approve');
    expect((await p100('POST', '/v1/user/verification', verification(other, doc))).json).toEqual(error('P466', 'document-number-used'));
    const counters = await control.counters({ externalUserId: ext });
    expect(counters.userVerificationsAccepted).toBe(1);
  });

  it('P473 for missing parameters, P403 for invalid ones, P412 for an unknown user', async () => {
    const ext = newExternalId();
    await p100('POST', '/v1/user/balances/crypto-and-fiat', account(ext));
    const missing = await p100('POST', '/v1/user/verification', { externalUserId: ext, documentType: 'ID_CARD' });
    expect(missing.json).toEqual(error('P473', 'missing-parameters'));
    const invalid = await p100('POST', '/v1/user/verification', { ...verification(ext), riskLvl: 'EXTREME' });
    expect(invalid.json).toEqual({ errorCode: 'P403', errorMessage: expect.stringContaining('riskLvl') });
    expect((await p100('POST', '/v1/user/verification', verification('nobody'))).json).toEqual(error('P412', 'invalid-user'));
  });
});

describe('method A files and proof of address', () => {
  it('adds KYC files (201 and kyc-file-added ADDED), refuses wrong types and large files', async () => {
    const ext = newExternalId();
    await p100('POST', '/v1/user/balances/crypto-and-fiat', account(ext));
    const ok = await upload(`/v1/user/kyc-files/${ext}`, [
      { name: 'front.jpg', type: 'image/jpeg', size: 1000 },
      { name: 'back.png', type: 'image/png', size: 1000 },
      { name: 'selfie.pdf', type: 'application/pdf', size: 1000 },
    ]);
    expect(ok.status).toBe(201);
    const added = await waitFor(() => receiver.received.find((w) => w.body.externalUserId === ext && w.type === 'kyc-file-added'));
    expect(added.body).toEqual({ externalUserId: ext, status: 'ADDED' });
    expect((await upload(`/v1/user/kyc-files/${ext}`, [{ name: 'a.gif', type: 'image/gif', size: 10 }])).json).toEqual(error('P426', 'invalid-file-type'));
    expect((await upload(`/v1/user/kyc-files/${ext}`, [{ name: 'a.jpg', type: 'image/jpeg', size: 5 * 1024 * 1024 + 1 }])).json).toEqual(error('P440', 'file-too-large'));
    expect((await upload('/v1/user/kyc-files/nobody', [{ name: 'a.jpg', type: 'image/jpeg', size: 10 }])).json).toEqual(error('P412', 'invalid-user'));
    // Method A: files suffice for Add User Verification.
    expect((await p100('POST', '/v1/user/verification', verification(ext))).status).toBe(201);
    expect((await control.counters({ externalUserId: ext })).kycFilesAdded).toBe(3);
  });

  it('adds POA files only when required (404 P460 otherwise); WAITING then APPROVED webhooks', async () => {
    const ext = newExternalId();
    await p100('POST', '/v1/user/balances/crypto-and-fiat', account(ext));
    const notRequired = await upload(`/v1/user/poa-files/${ext}`, [{ name: 'bill.pdf', type: 'application/pdf', size: 100 }]);
    expect(notRequired).toMatchObject({ status: 404, json: error('P460', 'poa-not-required') });

    const ext2 = newExternalId();
    await control.setSwitch({ name: 'poaRequired', externalUserId: ext2 });
    await p100('POST', '/v1/user/balances/crypto-and-fiat', account(ext2));
    const four = Array.from({ length: 4 }, (_, i) => ({ name: `p${i}.pdf`, type: 'application/pdf', size: 10 }));
    expect((await upload(`/v1/user/poa-files/${ext2}`, four)).json.errorCode).toBe('P403');
    expect((await upload(`/v1/user/poa-files/${ext2}`, [{ name: 'bill.pdf', type: 'application/pdf', size: 100 }])).status).toBe(201);
    await waitFor(() => receiver.received.find((w) => w.body.externalUserId === ext2 && w.body.status === 'APPROVED'));
    const statuses = receiver.received.filter((w) => w.body.externalUserId === ext2).map((w) => w.body.status);
    expect(statuses).toEqual(['WAITING', 'APPROVED']);
    expect((await upload(`/v1/user/poa-files/${ext2}`, [{ name: 'bill.pdf', type: 'application/pdf', size: 100 }])).json).toEqual(error('P447', 'poa-already-verified'));
  });
});

describe('webhook delivery and switches', () => {
  it('retries a failed delivery at the configured delays, then delivers', async () => {
    const ext = newExternalId();
    await p100('POST', '/v1/user/balances/crypto-and-fiat', account(ext));
    await p100('POST', '/v1/kyc', kycBody(ext));
    receiver.failNext(3);
    await control.decidePartnerKyc(ext, 'approve');
    await control.webhooksIdle();
    const log = await control.webhooks(ext);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ type: 'kyc-verification-status', attempts: 4, delivered: true, lastStatus: 200 });
    expect(await control.counters({ externalUserId: ext })).toMatchObject({ webhooksDelivered: 1, webhookAttempts: 4 });
  });

  it('gives up after 5 attempts', async () => {
    const ext = newExternalId();
    await p100('POST', '/v1/user/balances/crypto-and-fiat', account(ext));
    await p100('POST', '/v1/kyc', kycBody(ext));
    receiver.failNext(10);
    await control.decidePartnerKyc(ext, 'reject');
    await control.webhooksIdle();
    receiver.failNext(0);
    const log = await control.webhooks(ext);
    expect(log[0]).toMatchObject({ attempts: 5, delivered: false, lastStatus: 503 });
  });

  it('duplicates webhooks and sends a stale status after the real one', async () => {
    const ext = newExternalId();
    await p100('POST', '/v1/user/balances/crypto-and-fiat', account(ext));
    await p100('POST', '/v1/kyc', kycBody(ext));
    await control.setSwitch({ name: 'webhookDuplicate', externalUserId: ext, copies: 2, times: 1 });
    await control.setSwitch({ name: 'webhookOutOfOrder', externalUserId: ext, times: 1 });
    await control.decidePartnerKyc(ext, 'approve');
    await control.webhooksIdle();
    await new Promise((r) => setTimeout(r, 50));
    await control.webhooksIdle();
    const statuses = receiver.received.filter((w) => w.body.externalUserId === ext).map((w) => w.body.status);
    expect(statuses).toEqual(['APPROVED', 'APPROVED', 'PENDING']);
  });

  it('forces a P100 error code N times without applying the call', async () => {
    const ext = newExternalId();
    await p100('POST', '/v1/user/balances/crypto-and-fiat', account(ext));
    await p100('POST', '/v1/kyc', kycBody(ext));
    await control.decidePartnerKyc(ext, 'approve');
    await control.setSwitch({ name: 'partnerError', endpoint: 'p100.userVerification', code: 'P430', times: 2, externalUserId: ext });
    expect((await p100('POST', '/v1/user/verification', verification(ext))).json).toEqual(error('P430', 'too-many-verifications'));
    expect((await p100('POST', '/v1/user/verification', verification(ext))).json.errorCode).toBe('P430');
    expect((await p100('POST', '/v1/user/verification', verification(ext))).status).toBe(201);
    expect((await control.counters({ externalUserId: ext })).userVerificationsAccepted).toBe(1);
    await control.setSwitch({ name: 'partnerError', endpoint: 'p100.kycStatus', code: 'P501', times: 1 });
    expect((await p100('GET', `/v1/kyc/status/${ext}`)).json).toEqual(error('P501', 'service-unavailable'));
    expect((await p100('GET', `/v1/kyc/status/${ext}`)).json).toEqual({ status: 'APPROVED' });
  });
});
