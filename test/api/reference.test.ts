// GET /reference/kyc-options and the check of KYC codes against it, with 10nPay's lists read from
// the provider sandbox through the service's 10nPay client (mTLS token). The sandbox's lists use
// numbers (source of funds, financing method) and words (account purpose, main activity), so both
// forms are accepted when listed and refused when not; the onboardings run on a real Temporal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TennpayClient } from '../../src/activities/tennpay/client';
import { loadTennpayConfig } from '../../src/config';
import { INCOME_SOURCES } from '../../src/domain/kyc-record';
import { KycOptionsCache } from '../../src/api/kyc-options';
import { SandboxControl } from '../../src/sandbox/control-client';
import type { Sandbox } from '../../src/sandbox/index';
import { startTestSandbox } from '../../src/sandbox/testkit';
import { sandboxEnv } from '../../src/activities/test-support/sandbox';
import { testApplicant, testKycRecord } from '../support/fixtures';
import { type Answer, type Harness, type RunningApi, call, createHarness, listen } from './harness';

let h: Harness;
let sandbox: Sandbox;
let control: SandboxControl;
let tennpay: TennpayClient;
let api: RunningApi;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  control = new SandboxControl(sandbox.controlUrl);
  tennpay = TennpayClient.fromConfig(loadTennpayConfig(sandboxEnv(sandbox, '')));
  h = await createHarness();
  await h.startWorker();
  api = await listen(h.deps({ kycOptions: new KycOptionsCache(tennpay) }));
});

afterAll(async () => {
  await api?.close();
  await h?.teardown();
  await tennpay?.close();
  await sandbox?.close();
});

function expectProblem(answer: Answer, status: number): void {
  expect(answer.status).toBe(status);
  expect(answer.contentType).toContain('application/problem+json');
}

const pathsOf = (answer: Answer) => (answer.body.errors as Array<{ path: string; message: string }>).map((e) => e.path).sort();

async function startOne(profile?: unknown): Promise<Answer> {
  const a = testApplicant();
  return call(api.url, 'POST', '/onboardings', {
    body: { email: a.email, phoneNumber: a.phoneNumber, userType: 'INDIVIDUAL', ...(profile ? { profile } : {}) },
  });
}

describe('GET /reference/kyc-options', () => {
  it('serves 10nPay’s lists as 10nPay gives them (numbers and words) and P100’s enumerations from the domain', async () => {
    const res = await call(api.url, 'GET', '/reference/kyc-options');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
    expect(res.body.sourceOfFunds).toContainEqual({ value: '8', label: 'Other' });
    expect(res.body.accountPurposes).toContainEqual({ value: 'DAILY_PAYMENTS', label: 'Daily payments' });
    expect(res.body.mainActivities).toContainEqual({ value: 'EMPLOYED', label: 'Employed' });
    expect(res.body.financingMethods).toContainEqual({ value: '1', label: 'Own funds' });
    expect((res.body.incomeSources as Array<{ value: string }>).map((o) => o.value)).toEqual([...INCOME_SOURCES]);
    for (const list of ['openAccountReasons', 'documentTypes', 'occupations']) {
      expect(res.body[list].length).toBeGreaterThan(0);
      for (const item of res.body[list]) expect(item).toEqual({ value: expect.any(String), label: expect.any(String) });
    }
  });

  it('with 10nPay down keeps answering with the last good lists; never read: 503 problem with Retry-After, for the lists and for KYC data', async () => {
    const staleCache = new KycOptionsCache(tennpay, { ttlMs: 0 });
    const fresh = new KycOptionsCache(tennpay);
    const withStale = await listen(h.deps({ kycOptions: staleCache }));
    const withNone = await listen(h.deps({ kycOptions: fresh }));
    try {
      expect((await call(withStale.url, 'GET', '/reference/kyc-options')).status).toBe(200);
      await control.setSwitch({ name: 'serverError', endpoint: 'tennpay.lookup', times: 100, status: 503 });
      const stale = await call(withStale.url, 'GET', '/reference/kyc-options');
      expect(stale.status).toBe(200);
      expect(stale.body.accountPurposes).toContainEqual({ value: 'DAILY_PAYMENTS', label: 'Daily payments' });

      const none = await call(withNone.url, 'GET', '/reference/kyc-options');
      expectProblem(none, 503);
      expect(Number(none.headers.get('retry-after'))).toBeGreaterThan(0);

      // KYC data cannot be checked without the lists: 503, and the onboarding has not received it.
      const started = await call(withNone.url, 'POST', '/onboardings', { body: { email: testApplicant().email, phoneNumber: testApplicant().phoneNumber, userType: 'INDIVIDUAL' } });
      expect(started.status).toBe(201);
      const { onboardingId, accessToken } = started.body as { onboardingId: string; accessToken: string };
      const kyc = await call(withNone.url, 'POST', `/onboardings/${onboardingId}/kyc-data`, { token: accessToken, body: testKycRecord() });
      expectProblem(kyc, 503);
      expect(Number(kyc.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await call(withNone.url, 'GET', `/onboardings/${onboardingId}`, { token: accessToken })).body.kycDataReceived).toBe(false);
    } finally {
      await control.clearSwitches();
      await withStale.close();
      await withNone.close();
    }
  });
});

describe('KYC codes checked against the lists', () => {
  it('accepts listed codes in both forms, words and numbers (given as JSON numbers too)', async () => {
    const started = await startOne();
    expect(started.status).toBe(201);
    const { onboardingId, accessToken } = started.body as { onboardingId: string; accessToken: string };
    const record = testKycRecord();
    const words = { ...record, finances: { ...record.finances, accountPurposeCode: 'SAVINGS', mainActivityCode: 'STUDENT', sourceOfFundId: 4, financingMethodCode: '2' } };
    const res = await call(api.url, 'POST', `/onboardings/${onboardingId}/kyc-data`, { token: accessToken, body: words });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ accepted: true });
    const view = await call(api.url, 'GET', `/onboardings/${onboardingId}`, { token: accessToken });
    expect(view.body.kycDataReceived).toBe(true);
  });

  it('a code not in its list: 400 naming each field and pointing at GET /reference/kyc-options; nothing changes', async () => {
    const started = await startOne();
    const { onboardingId, accessToken } = started.body as { onboardingId: string; accessToken: string };
    const record = testKycRecord();
    const bad = { ...record, finances: { ...record.finances, accountPurposeCode: 'DAILY', sourceOfFundId: '99', financingMethodCode: 'LOAN' } };
    const res = await call(api.url, 'POST', `/onboardings/${onboardingId}/kyc-data`, { token: accessToken, body: bad });
    expectProblem(res, 400);
    expect(pathsOf(res)).toEqual(['finances.accountPurposeCode', 'finances.financingMethodCode', 'finances.sourceOfFundId']);
    expect(res.body.options).toBe('/reference/kyc-options');
    expect(res.body.detail).toContain('/reference/kyc-options');
    expect(JSON.stringify(res.body)).not.toContain('DAILY"');
    const view = await call(api.url, 'GET', `/onboardings/${onboardingId}`, { token: accessToken });
    expect(view.body.kycDataReceived).toBe(false);
  });

  it('a profile at start with a code not in its list: 400 naming profile.finances.mainActivityCode, no onboarding started', async () => {
    const record = testKycRecord();
    const res = await startOne({ ...record, finances: { ...record.finances, mainActivityCode: '1' } });
    expectProblem(res, 400);
    expect(pathsOf(res)).toEqual(['profile.finances.mainActivityCode']);
    const ok = await startOne(record);
    expect(ok.status).toBe(201);
  });
});
