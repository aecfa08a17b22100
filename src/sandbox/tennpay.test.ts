// The 10nPay face and its token server against CONTRACT parts 1-2: success and error shapes of
// every call, the mTLS refusals, and the Borica pages driving the identification status.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxControl } from './control-client';
import type { Sandbox } from './index';
import { call, getToken, type JsonAnswer, goodTokenForm, mtlsAgent, startTestSandbox, tokenRequest } from './testkit';

const SUCCESS_URL = 'https://frontend.example/borica/success';
const FAIL_URL = 'https://frontend.example/borica/fail';

let sandbox: Sandbox;
let control: SandboxControl;
let token: string;
let seq = 0;

beforeAll(async () => {
  sandbox = await startTestSandbox({ boricaSuccessUrl: SUCCESS_URL, boricaFailUrl: FAIL_URL, smsResendCooldownMs: 300, smsMaxAttempts: 3 });
  control = new SandboxControl(sandbox.controlUrl);
  token = await getToken(sandbox);
});
afterAll(async () => {
  await sandbox?.close();
});

const api = (method: 'GET' | 'POST', path: string, body?: unknown) => call(method, `${sandbox.tennpayBaseUrl}${path}`, { token, body });

function expectProblem(res: JsonAnswer, status: number, field?: string, message?: string) {
  expect(res.status).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/application\/problem\+json/);
  expect(res.json).toMatchObject({ type: expect.any(String), title: expect.any(String), status, traceId: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/) });
  if (field) expect(res.json.errors[field]).toEqual(message ? [message] : expect.any(Array));
}

/** A user created with a verified e-mail and phone, ready for identification. */
async function verifiedUser(): Promise<{ id: number; email: string; phone: string }> {
  seq++;
  const email = `user${seq}-${Date.now()}@example.test`;
  const phone = `+35988${String(Date.now() % 100000).padStart(5, '0')}${seq}`.slice(0, 14);
  const created = await api('POST', '/User', { merchantId: 7, email });
  expect(created.status).toBe(201);
  const id = created.json.id as number;
  expect((await api('POST', '/User/email/confirm', { id, token: await control.latestEmailCode(email) })).status).toBe(200);
  expect((await api('POST', '/User/phone-number/send-code', { id, phoneNumber: phone })).status).toBe(204);
  expect((await api('POST', '/User/phone-number/verify', { id, code: await control.latestSmsCode(phone) })).status).toBe(200);
  return { id, email, phone };
}

const waitForStatus = async (id: number, want: string, timeoutMs = 3000) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await api('GET', `/Enrollment/${id}/0/true/get-identification-process-status`);
    if (res.json?.videoIdentificationStatus === want || Date.now() > deadline) return res;
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe('token endpoint (mutual TLS)', () => {
  it('issues a Bearer token for the registered certificate and matching thumbprint', async () => {
    const res = await tokenRequest(sandbox, goodTokenForm(sandbox));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      access_token: expect.any(String),
      expires_in: 3600,
      token_type: 'Bearer',
      scope: 'Tenn.CRM IdentityServerApi Tenn.RiskService Tenn.FileStorage',
    });
  });

  it('refuses a TLS client without a certificate at the handshake', async () => {
    await expect(tokenRequest(sandbox, goodTokenForm(sandbox), mtlsAgent(sandbox, false))).rejects.toThrow();
  });

  it('answers invalid_client for a wrong thumbprint or client id, invalid_scope for an unknown scope', async () => {
    const wrongThumb = await tokenRequest(sandbox, { ...goodTokenForm(sandbox), 'IdentityServer:MTLS:X509Certificate': 'A'.repeat(40) });
    expect(wrongThumb).toMatchObject({ status: 400, body: { error: 'invalid_client' } });
    const wrongClient = await tokenRequest(sandbox, { ...goodTokenForm(sandbox), client_id: 'someone-else' });
    expect(wrongClient).toMatchObject({ status: 400, body: { error: 'invalid_client' } });
    const scope = await tokenRequest(sandbox, { ...goodTokenForm(sandbox), scope: 'Tenn.CRM Tenn.Everything' });
    expect(scope).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    const grant = await tokenRequest(sandbox, { ...goodTokenForm(sandbox), grant_type: 'password' });
    expect(grant).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });
  });
});

describe('Bearer tokens', () => {
  it('answers 401 with an empty body without a token, with an unknown one, and after revocation', async () => {
    const none = await call('GET', `${sandbox.tennpayBaseUrl}/User/source-of-funds`);
    expect(none.status).toBe(401);
    expect(none.text).toBe('');
    expect((await call('GET', `${sandbox.tennpayBaseUrl}/User/source-of-funds`, { token: 'nope' })).status).toBe(401);
    const own = await getToken(sandbox);
    expect((await call('GET', `${sandbox.tennpayBaseUrl}/User/source-of-funds`, { token: own })).status).toBe(200);
    await control.revokeTokens();
    expect((await call('GET', `${sandbox.tennpayBaseUrl}/User/source-of-funds`, { token: own })).status).toBe(401);
    token = await getToken(sandbox);
  });

  it('expires tokens (tokenExpiresEarly switch: expires_in still says the full life)', async () => {
    await control.setSwitch({ name: 'tokenExpiresEarly', afterMs: 50, times: 1 });
    const res = await tokenRequest(sandbox, goodTokenForm(sandbox));
    expect(res.body.expires_in).toBe(3600);
    const short = res.body.access_token as string;
    expect((await call('GET', `${sandbox.tennpayBaseUrl}/User/account-purpose`, { token: short })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 80));
    const expired = await call('GET', `${sandbox.tennpayBaseUrl}/User/account-purpose`, { token: short });
    expect(expired.status).toBe(401);
    expect(String(expired.headers['www-authenticate'])).toContain('invalid_token');
  });
});

describe('users, e-mail and phone', () => {
  it('creates a user (201 {id}), sends a 6-digit e-mail code and refuses the same e-mail again', async () => {
    const email = `create-${Date.now()}@example.test`;
    const res = await api('POST', '/User', { merchantId: 1, email });
    expect(res.status).toBe(201);
    expect(res.json).toEqual({ id: expect.any(Number) });
    expect(await control.latestEmailCode(email)).toMatch(/^\d{6}$/);
    expectProblem(await api('POST', '/User', { merchantId: 1, email: email.toUpperCase() }), 400, 'Email', 'Email already registered');
    expect((await control.counters({ email })).usersCreated).toBe(1);
  });

  it('validates POST /User: e-mail missing, empty or malformed; body not JSON', async () => {
    expectProblem(await api('POST', '/User', { merchantId: 1 }), 400, 'Email');
    expectProblem(await api('POST', '/User', { merchantId: 1, email: '' }), 400, 'Email');
    expectProblem(await api('POST', '/User', { merchantId: 1, email: 'not-an-email' }), 400, 'Email');
    const res = await call('POST', `${sandbox.tennpayBaseUrl}/User`, { token, headers: { 'content-type': 'application/json' }, body: undefined });
    expect(res.status).toBe(400);
  });

  it('confirms the e-mail with the latest code only; send-confirmation is 204 and silent once verified', async () => {
    const email = `confirm-${Date.now()}@example.test`;
    const { json } = await api('POST', '/User', { merchantId: 1, email });
    const id = json.id as number;
    const first = await control.latestEmailCode(email);
    expect((await api('POST', '/User/email/send-confirmation', { id, email })).status).toBe(204);
    const second = await control.latestEmailCode(email, { after: 1 });
    if (first !== second) expectProblem(await api('POST', '/User/email/confirm', { id, token: first }), 400, 'Token');
    expectProblem(await api('POST', '/User/email/confirm', { id, token: 'abc' }), 400, 'Token');
    const ok = await api('POST', '/User/email/confirm', { id, token: second, correlationType: 0 });
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({ success: true, message: '', code: 200 });
    expect((await api('POST', '/User/email/send-confirmation', { id, email })).status).toBe(204);
    expect((await control.counters({ email })).emailCodesSent).toBe(2);
    expectProblem(await api('POST', '/User/email/confirm', { id: 999999999, token: second }), 404);
    expectProblem(await api('POST', '/User/email/send-confirmation', { id: 999999999, email }), 404);
  });

  it('sends, throttles, resends and verifies SMS codes; blocks after repeated failures', async () => {
    const email = `sms-${Date.now()}@example.test`;
    const phone = '+359887000111';
    const { json } = await api('POST', '/User', { merchantId: 1, email });
    const id = json.id as number;
    expectProblem(await api('POST', '/User/phone-number/send-code', { id, phoneNumber: phone }), 400, 'Error'); // e-mail first
    await api('POST', '/User/email/confirm', { id, token: await control.latestEmailCode(email) });
    expectProblem(await api('POST', '/User/phone-number/send-code', { id, phoneNumber: '0887' }), 400, 'PhoneNumber');
    expect((await api('POST', '/User/phone-number/send-code', { id, phoneNumber: phone })).status).toBe(204);
    expectProblem(await api('POST', `/User/${id}/phone-number/resend-code`), 400, 'Error'); // too soon
    await new Promise((r) => setTimeout(r, 350));
    const resend = await call('POST', `${sandbox.tennpayBaseUrl}/User/${id}/phone-number/resend-code`, { token });
    expect(resend.status).toBe(204);
    const codes = await control.codes('sms', phone);
    expect(codes).toHaveLength(2);
    const latest = codes[1]!.code;
    const wrong = latest === '000000' ? '111111' : '000000';
    expectProblem(await api('POST', '/User/phone-number/verify', { id, code: wrong }), 400, 'Error', 'Invalid code.');
    expectProblem(await api('POST', '/User/phone-number/verify', { id, code: wrong }), 400, 'Error', 'Invalid code.');
    expectProblem(await api('POST', '/User/phone-number/verify', { id, code: wrong }), 400, 'Error', 'Invalid code.');
    const blocked = await api('POST', '/User/phone-number/verify', { id, code: latest });
    expectProblem(blocked, 400, 'Error');
    expect(blocked.json.errors.Error[0]).toMatch(/blocked/);
    // A new code unblocks.
    await new Promise((r) => setTimeout(r, 350));
    await api('POST', `/User/${id}/phone-number/resend-code`);
    const fresh = await control.latestSmsCode(phone, { after: 2 });
    const ok = await api('POST', '/User/phone-number/verify', { id, code: fresh });
    expect(ok.status).toBe(200);
    // The phone is taken now.
    const other = await api('POST', '/User', { merchantId: 1, email: `other-${email}` });
    await api('POST', '/User/email/confirm', { id: other.json.id, token: await control.latestEmailCode(`other-${email}`) });
    expectProblem(await api('POST', '/User/phone-number/send-code', { id: other.json.id, phoneNumber: phone }), 400, 'Error', 'Phone already registered');
    expectProblem(await api('POST', `/User/${id}/phone-number/resend-code`), 400, 'Error'); // not pending any more
  });

  it('answers the user status, and a 404 with every member null for an unknown user', async () => {
    const u = await verifiedUser();
    const res = await api('GET', `/User/${u.id}/status`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      isEmailVerified: true,
      isPhoneNumberVerified: true,
      isScaVerified: false,
      isAdditionalData: false,
      isOptionalKyc: false,
      status: 150,
    });
    // A new user: nothing verified, Registered (50).
    const fresh = await api('POST', '/User', { merchantId: 1, email: `status-${Date.now()}@example.test` });
    expect((await api('GET', `/User/${fresh.json.id}/status`)).json).toMatchObject({ isEmailVerified: false, isPhoneNumberVerified: false, status: 50 });
    // send-confirmation for an e-mail that is not the user's is refused.
    expectProblem(await api('POST', '/User/email/send-confirmation', { id: fresh.json.id, email: 'someone-else@example.test' }), 400, 'Email');
    const missing = await api('GET', '/User/2000000000/status');
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ type: null, title: null, status: null, errors: null, traceId: null });
  });
});

describe('lookups and additional data', () => {
  it('serves the four lookups as [{label, value}] with string values: digits in two lists, words in the others', async () => {
    const form: Record<string, RegExp> = {
      'source-of-funds': /^\d+$/,
      'account-purpose': /^[A-Z_]+$/,
      'main-activity': /^[A-Z_]+$/,
      'financing-method': /^\d+$/,
    };
    for (const [name, pattern] of Object.entries(form)) {
      const res = await api('GET', `/User/${name}`);
      expect(res.status).toBe(200);
      expect(res.json.length).toBeGreaterThan(0);
      for (const item of res.json) expect(item).toEqual({ label: expect.any(String), value: expect.stringMatching(pattern) });
    }
  });

  it('accepts a valid EnrollAdditionalData and refuses numbers as codes, unknown members and bad formats', async () => {
    const u = await verifiedUser();
    const data = {
      userId: u.id,
      bTrustAppCallBackId: null,
      isCorrespondenceAddressSame: false,
      sourceOfFundId: '8',
      correspondenceAddress: { addressType: 'C', addressLine: 'ul. Vitosha 1', city: 'Sofia', stateProvinceCounty: 'Sofia', zipCode: '1000', countryId: 'BG' },
      secondaryLanguage: 'BUL',
      taxResidences: 'BG',
      gender: 'F',
      accountPurposeCode: 'DAILY_PAYMENTS',
      mainActivityCode: 'EMPLOYED',
      financingMethodCode: '1',
      enrollIP: '192.0.2.1',
      enrollLatitude: 42.7,
      enrollLongitude: 23.3,
      enrollChannel: 'W',
    };
    const ok = await api('POST', '/User/add-additional-data', { id: u.id, additionalData: { type: 'EnrollAdditionalData', data } });
    expect(ok.status).toBe(200);
    expect((await api('GET', `/User/${u.id}/status`)).json.isAdditionalData).toBe(true);

    const asNumber = await api('POST', '/User/add-additional-data', {
      id: u.id,
      additionalData: { type: 'EnrollAdditionalData', data: { ...data, sourceOfFundId: 8 } },
    });
    expectProblem(asNumber, 400, 'AdditionalData.Data.SourceOfFundId');
    const unknown = await api('POST', '/User/add-additional-data', {
      id: u.id,
      additionalData: { type: 'EnrollAdditionalData', data: { ...data, favouriteColour: 'blue' } },
    });
    expect(unknown.status).toBe(400);
    const badCountry = await api('POST', '/User/add-additional-data', {
      id: u.id,
      additionalData: { type: 'EnrollAdditionalData', data: { ...data, taxResidences: 'Bulgaria', gender: 'X' } },
    });
    expectProblem(badCountry, 400, 'AdditionalData.Data.TaxResidences');
    expect(badCountry.json.errors['AdditionalData.Data.Gender']).toBeDefined();
    const noAddress = await api('POST', '/User/add-additional-data', {
      id: u.id,
      additionalData: { type: 'EnrollAdditionalData', data: { ...data, correspondenceAddress: undefined } },
    });
    expectProblem(noAddress, 400, 'AdditionalData.Data.CorrespondenceAddress');
    expectProblem(await api('POST', '/User/add-additional-data', { id: u.id, additionalData: { type: 'Other', data } }), 400);
  });
});

describe('identification through the Borica pages, and finalize', () => {
  it('runs the two phases to DOCUMENT_SIGN_SUCCESS, then finalizes idempotently', async () => {
    const u = await verifiedUser();
    const init = await api('POST', '/Enrollment/initiate-external-identification', {
      userId: u.id,
      isRestartIdentification: false,
      localTimezone: 'Europe/Sofia',
      userAgent: 'vitest',
      browserLanguage: 'bg',
      userLanguage: 'bg',
      deviceName: 'test',
      correlationType: 0,
    });
    expect(init.status).toBe(200);
    expect(init.json).toEqual({ videoIdentificationUrl: expect.stringContaining(`${sandbox.boricaBaseUrl}/identification/`), videoIdentificationStatus: 'STARTED', message: '' });
    // A retried start while the user has not acted gets the same page.
    const again = await api('POST', '/Enrollment/initiate-external-identification', { userId: u.id, isRestartIdentification: false });
    expect(again.json.videoIdentificationUrl).toBe(init.json.videoIdentificationUrl);

    expectProblem(await api('POST', '/Enrollment/finalize-external-identification', { userId: u.id, bTrustAppCallBackId: null, correlationType: 0 }), 400, 'Error');

    const landing = await control.pressBorica(init.json.videoIdentificationUrl, 'success');
    const landed = new URL(landing);
    expect(`${landed.origin}${landed.pathname}`).toBe(SUCCESS_URL);
    const callbackId = landed.searchParams.get('bTrustAppCallBackId');
    expect(callbackId).toBeTruthy();

    const processing = await api('GET', `/Enrollment/${u.id}/0/true/get-identification-process-status`);
    expect(processing.json).toEqual({ videoIdentificationUrl: null, videoIdentificationStatus: 'PROCESSING', message: '' });
    const phaseA = await waitForStatus(u.id, 'SIGN_SESSION_ID_SUCCESSFULLY_CREATED');
    expect(phaseA.json.videoIdentificationUrl).toContain(`${sandbox.boricaBaseUrl}/signing/`);

    const signed = await control.pressBorica(phaseA.json.videoIdentificationUrl, 'success');
    expect(signed.startsWith(SUCCESS_URL)).toBe(true);
    const brief = await api('GET', `/Enrollment/${u.id}/1/true/get-identification-process-status`);
    expect(brief.json.videoIdentificationStatus).toBe('SIGN_SESSION_ID_SUCCESSFULLY_CREATED');
    const phaseB = await waitForStatus(u.id, 'DOCUMENT_SIGN_SUCCESS');
    expect(phaseB.json).toEqual({ videoIdentificationUrl: null, videoIdentificationStatus: 'DOCUMENT_SIGN_SUCCESS', message: '' });

    const fin = await api('POST', '/Enrollment/finalize-external-identification', { userId: u.id, bTrustAppCallBackId: callbackId, correlationType: 0 });
    expect(fin.status).toBe(200);
    expect(fin.json).toEqual({ correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/), individualId: expect.any(Number) });
    const repeat = await api('POST', '/Enrollment/finalize-external-identification', { userId: u.id, bTrustAppCallBackId: callbackId, correlationType: 0 });
    expect(repeat.json).toEqual(fin.json);
    const counters = await control.counters({ userId: u.id });
    expect(counters).toMatchObject({ finalizeCalls: 3, finalizeSuccesses: 1, usersCreated: 1 });
    expect((await api('GET', `/User/${u.id}/status`)).json).toMatchObject({ isScaVerified: true, status: 200 });
    // Pages are single-use.
    await expect(control.pressBorica(init.json.videoIdentificationUrl, 'success')).rejects.toThrow(/410/);
    expectProblem(await api('POST', '/Enrollment/initiate-external-identification', { userId: u.id, isRestartIdentification: true }), 400, 'Error');
  });

  it('goes to ERROR on fail (302 to the Fail URL); a restart opens a new session', async () => {
    const u = await verifiedUser();
    const init = await api('POST', '/Enrollment/initiate-external-identification', { userId: u.id, isRestartIdentification: false });
    const landing = await control.pressBorica(init.json.videoIdentificationUrl, 'fail');
    expect(landing.startsWith(`${FAIL_URL}?bTrustAppCallBackId=`)).toBe(true);
    const status = await api('GET', `/Enrollment/${u.id}/0/true/get-identification-process-status`);
    expect(status.json).toEqual({ videoIdentificationUrl: null, videoIdentificationStatus: 'ERROR', message: '' });
    expectProblem(await api('POST', '/Enrollment/initiate-external-identification', { userId: u.id, isRestartIdentification: false }), 400, 'Error');
    const restart = await api('POST', '/Enrollment/initiate-external-identification', { userId: u.id, isRestartIdentification: true });
    expect(restart.status).toBe(200);
    expect(restart.json.videoIdentificationUrl).not.toBe(init.json.videoIdentificationUrl);
    expect((await api('GET', `/Enrollment/${u.id}/0/true/get-identification-process-status`)).json.videoIdentificationStatus).toBe('PROCESSING');
    expect((await control.counters({ email: u.email })).identificationsStarted).toBe(2);
  });

  it('validates the status call path and answers 404s', async () => {
    expectProblem(await api('GET', '/Enrollment/0/0/true/get-identification-process-status'), 400, 'id');
    expectProblem(await api('GET', '/Enrollment/2147483648/0/true/get-identification-process-status'), 400, 'id');
    expectProblem(await api('GET', '/Enrollment/abc/0/true/get-identification-process-status'), 400, 'id');
    expectProblem(await api('GET', '/Enrollment/5/2/true/get-identification-process-status'), 400, 'userType');
    expectProblem(await api('GET', '/Enrollment/5/0/false/get-identification-process-status'), 400, 'isIdentificationCompleted');
    const unknown = await api('GET', '/Enrollment/2147483647/0/true/get-identification-process-status');
    expect(unknown.status).toBe(404);
    const u = await verifiedUser();
    expectProblem(await api('GET', `/Enrollment/${u.id}/0/true/get-identification-process-status`), 404); // never started
    const notEligible = await api('POST', '/User', { merchantId: 1, email: `ne-${Date.now()}@example.test` });
    expectProblem(await api('POST', '/Enrollment/initiate-external-identification', { userId: notEligible.json.id, isRestartIdentification: false }), 400, 'Error');
    expectProblem(await api('POST', '/Enrollment/initiate-external-identification', { userId: 2147483000, isRestartIdentification: false }), 404);
    expectProblem(await api('POST', '/Enrollment/initiate-external-identification', { userId: u.id }), 400, 'IsRestartIdentification');
    const finUnknown = await api('POST', '/Enrollment/finalize-external-identification', { userId: 2147483000, bTrustAppCallBackId: null });
    expect(finUnknown.status).toBe(404);
    expect(finUnknown.json).toEqual({ type: null, title: null, status: null, errors: null, traceId: null });
  });
});
