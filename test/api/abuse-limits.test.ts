// Abuse limits (CONTRACT part 4) over HTTP: each kind of message from outside is bounded per
// onboarding, refused with 429 problem details (failureType LimitReached) past the bound, with no
// provider call; the first refusal of each kind is written to the record as MESSAGE_REFUSED, and
// later ones leave nothing in the history. P100's webhooks past the bound are acknowledged (200)
// so that P100 stops delivering them. The onboarding goes on, to COMPLETED after a flood.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_KYC_DATA_PER_ONBOARDING,
  MAX_PARTNER_EVENTS_PER_ONBOARDING,
  MAX_REDIRECTS_PER_ONBOARDING,
  MAX_UPLOADS_PER_ONBOARDING,
} from '../../src/domain/message-limits';
import { ApiSecrets } from '../../src/api/secrets';
import { workflowIdFor } from '../../src/domain/onboarding';
import type { RecordEvent } from '../../src/record/changes';
import { boricaRedirectReceived } from '../../src/workflows/messages';
import { startOnboarding } from '../ops/support';
import { testApplicant, testKycRecord, testSettings } from '../support/fixtures';
import { API_SIGNING_KEY, call, createHarness, eventually, type Harness, listen, type RunningApi, WEBHOOK_TOKEN } from './harness';

let h: Harness;
let api: RunningApi;

beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
  api = await listen(
    h.deps({
      // A slow-ish background poll keeps identification moving once the redirects are refused.
      settings: () => ({ ...testSettings(), codeResendCooldown: '1ms', codeMaxResends: 2, identificationBackgroundPollInterval: '1s' }),
    }),
  );
});

afterAll(async () => {
  await api?.close();
  await h?.teardown();
});

async function startAtEmailCode(profile?: ReturnType<typeof testKycRecord>) {
  const a = testApplicant();
  const started = await call(api.url, 'POST', '/onboardings', {
    body: { email: a.email, phoneNumber: a.phoneNumber, userType: 'INDIVIDUAL', ...(profile ? { profile } : {}) },
  });
  expect(started.status).toBe(201);
  const { onboardingId: id, accessToken: token } = started.body as { onboardingId: string; accessToken: string };
  await waitForStage(id, token, 'AWAITING_EMAIL_CODE');
  return { id, token, email: a.email };
}

async function waitForStage(id: string, token: string, stage: string, nextAction?: string) {
  return eventually(async () => {
    const v = await call(api.url, 'GET', `/onboardings/${id}`, { token });
    const body = v.body as { stage: string; nextAction: { type: string } };
    return body.stage === stage && (nextAction === undefined || body.nextAction.type === nextAction) ? body : undefined;
  }, 60_000, `${stage}${nextAction ? ` / ${nextAction}` : ''}`);
}

/** The MESSAGE_REFUSED events the workflow handed to the record (once per seq). */
function refusals(id: string): Extract<RecordEvent, { type: 'MESSAGE_REFUSED' }>[] {
  const seen = new Map<number, RecordEvent>();
  for (const c of h.providers.changes) if (c.onboardingId === id) seen.set(c.seq, c.event);
  return [...seen.values()].filter((e): e is Extract<RecordEvent, { type: 'MESSAGE_REFUSED' }> => e.type === 'MESSAGE_REFUSED');
}

async function historyOf(id: string) {
  return (await h.client.workflow.getHandle(`onboarding-${id}`).fetchHistory()).events ?? [];
}

function expectLimitReached(answer: { status: number; contentType?: string | null; body: unknown }) {
  expect(answer.status).toBe(429);
  expect(answer.contentType).toContain('application/problem+json');
  expect((answer.body as { failureType?: string }).failureType).toBe('LimitReached');
}

describe('abuse limits', () => {
  it('CODE_MAX_RESENDS: the resend after the cap is a 429 LimitReached, 10nPay is not asked, the refusal is recorded once', async () => {
    const { id, token } = await startAtEmailCode();
    for (let i = 0; i < 2; i++) {
      const sent = await call(api.url, 'POST', `/onboardings/${id}/email-confirmation/resend`, { token });
      expect(sent.status).toBe(202);
    }
    const before = h.providers.calls['sendEmailConfirmation'] ?? 0;
    expectLimitReached(await call(api.url, 'POST', `/onboardings/${id}/email-confirmation/resend`, { token }));
    await eventually(async () => (refusals(id).length > 0 ? true : undefined), 20_000, 'the refusal in the record');
    const length = (await historyOf(id)).length;
    for (let i = 0; i < 5; i++) expectLimitReached(await call(api.url, 'POST', `/onboardings/${id}/email-confirmation/resend`, { token }));
    expect(h.providers.calls['sendEmailConfirmation'] ?? 0).toBe(before);
    expect(refusals(id)).toEqual([{ type: 'MESSAGE_REFUSED', message: 'resendEmailCode', reason: 'CODE_MAX_RESENDS' }]);
    // Refusals after the recorded one are the validator's: nothing reaches the history.
    expect((await historyOf(id)).length).toBe(length);
  });

  it('KYC data: the record past the bound is a 429 LimitReached and recorded once; the data taken before stays', async () => {
    const { id, token } = await startAtEmailCode();
    const record = (n: number) => {
      const r = testKycRecord();
      return { ...r, address: { ...r.address, number: String(n + 1) } };
    };
    for (let i = 0; i < MAX_KYC_DATA_PER_ONBOARDING; i++) {
      expect((await call(api.url, 'POST', `/onboardings/${id}/kyc-data`, { token, body: record(i) })).status).toBe(200);
    }
    expectLimitReached(await call(api.url, 'POST', `/onboardings/${id}/kyc-data`, { token, body: record(100) }));
    expectLimitReached(await call(api.url, 'POST', `/onboardings/${id}/kyc-data`, { token, body: record(101) }));
    await eventually(async () => (refusals(id).length > 0 ? true : undefined), 20_000, 'the refusal in the record');
    expect(refusals(id)).toEqual([{ type: 'MESSAGE_REFUSED', message: 'submitKycData', reason: 'MAX_KYC_DATA_PER_ONBOARDING' }]);
    const view = await call(api.url, 'GET', `/onboardings/${id}`, { token });
    expect((view.body as { timeline: { step: string }[] }).timeline.filter((t) => t.step === 'kycDataReceived')).toHaveLength(MAX_KYC_DATA_PER_ONBOARDING);
  });

  it('P100 webhooks past the bound: acknowledged with 200 so that P100 stops, not handed over, the refusal recorded once', async () => {
    const { id } = await startAtEmailCode();
    const statuses: number[] = [];
    for (let i = 0; i < MAX_PARTNER_EVENTS_PER_ONBOARDING + 10; i++) {
      const res = await call(api.url, 'POST', '/webhooks/partner/kyc-file-added', {
        body: { externalUserId: id, status: 'ADDED' },
        headers: { authorization: WEBHOOK_TOKEN },
      });
      statuses.push(res.status);
    }
    expect(statuses.every((s) => s === 200)).toBe(true);
    await eventually(async () => (refusals(id).length > 0 ? true : undefined), 20_000, 'the refusal in the record');
    expect(refusals(id)).toEqual([{ type: 'MESSAGE_REFUSED', message: 'partnerEventReceived', reason: 'MAX_PARTNER_EVENTS_PER_ONBOARDING' }]);
    const signals = (await historyOf(id)).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'partnerEventReceived');
    // The bound, and the one past it whose refusal the workflow recorded.
    expect(signals).toHaveLength(MAX_PARTNER_EVENTS_PER_ONBOARDING + 1);
  });

  it('file uploads past the bound: 429 LimitReached, the refused files not kept, the refusal recorded once', async () => {
    // Method A; P100 refuses every upload (P426), so the onboarding asks for files again each time.
    const methodA = await listen(h.deps({ settings: () => ({ ...testSettings(), partnerKycMethod: 'A', identificationBackgroundPollInterval: '1s' }) }));
    try {
      const a = testApplicant();
      const started = await call(methodA.url, 'POST', '/onboardings', {
        body: { email: a.email, phoneNumber: a.phoneNumber, userType: 'INDIVIDUAL', profile: testKycRecord(a.documentNumber) },
      });
      const { onboardingId: id, accessToken: token } = started.body as { onboardingId: string; accessToken: string };
      await waitForStage(id, token, 'AWAITING_EMAIL_CODE');
      const user = h.providers.byEmail(a.email);
      expect((await call(methodA.url, 'POST', `/onboardings/${id}/email-confirmation`, { token, body: { code: user.emailCode } })).status).toBe(200);
      await waitForStage(id, token, 'AWAITING_SMS_CODE', 'ENTER_SMS_CODE');
      expect((await call(methodA.url, 'POST', `/onboardings/${id}/sms-code`, { token, body: { code: user.smsCode } })).status).toBe(200);
      await waitForStage(id, token, 'AWAITING_IDENTIFICATION');
      h.providers.failNext('uploadKycFiles', ...Array<string>(MAX_UPLOADS_PER_ONBOARDING + 5).fill('PartnerFileRejected'));
      h.providers.setStatus(a.email, 'DOCUMENT_SIGN_SUCCESS');
      const upload = (n: number) => {
        const form = new FormData();
        form.append('purpose', 'KYC');
        form.append('files', new Blob([Buffer.from(`%PDF-1.7 upload ${n}`)]), 'doc.pdf');
        return call(methodA.url, 'POST', `/onboardings/${id}/files`, { token, body: form });
      };
      // Each upload once the onboarding asks again (409 while the one before is being sent).
      const uploadWhenAsked = (n: number) =>
        eventually(async () => {
          const res = await upload(n);
          if (res.status === 409) return undefined;
          return res;
        }, 30_000, `upload ${n} taken or refused`);
      for (let n = 0; n < MAX_UPLOADS_PER_ONBOARDING; n++) expect((await uploadWhenAsked(n)).status).toBe(200);
      expectLimitReached(await uploadWhenAsked(100));
      expectLimitReached(await upload(101));
      await eventually(async () => (refusals(id).length > 0 ? true : undefined), 20_000, 'the refusal in the record');
      expect(refusals(id)).toEqual([{ type: 'MESSAGE_REFUSED', message: 'submitFiles', reason: 'MAX_UPLOADS_PER_ONBOARDING' }]);
      // The refused uploads' files are not kept (the taken ones are deleted by the real upload
      // activity, which these stand-ins do not run).
      expect(readdirSync(path.join(h.fileDir, id))).toHaveLength(MAX_UPLOADS_PER_ONBOARDING);
    } finally {
      await methodA.close();
    }
  });

  it('a flood of 300 failed redirects with 3 KB queries: refused past the bound, the history stays under 400 events, the onboarding completes', async () => {
    const a = testApplicant();
    const { id, token, email } = await startAtEmailCode(testKycRecord(a.documentNumber));
    const query = { bTrustAppCallBackId: 'cb-flood', padding: 'x'.repeat(3000) };
    const statuses: number[] = [];
    for (let i = 0; i < 300; i++) {
      statuses.push((await call(api.url, 'POST', `/onboardings/${id}/redirects`, { token, body: { outcome: 'fail', query } })).status);
    }
    expect(statuses.filter((s) => s === 202)).toHaveLength(MAX_REDIRECTS_PER_ONBOARDING);
    expect(statuses.slice(MAX_REDIRECTS_PER_ONBOARDING).every((s) => s === 429)).toBe(true);
    let history = await historyOf(id);
    expect(history.length).toBeLessThan(400);
    const signals = history.filter((e) => e.workflowExecutionSignaledEventAttributes);
    // The bound, and the first one past it, whose refusal the workflow records; no more.
    expect(signals).toHaveLength(MAX_REDIRECTS_PER_ONBOARDING + 1);
    for (const s of signals) {
      const size = (s.workflowExecutionSignaledEventAttributes?.input?.payloads ?? []).reduce((n, p) => n + (p.data?.length ?? 0), 0);
      expect(size).toBeLessThan(1000);
    }
    await eventually(async () => (refusals(id).length > 0 ? true : undefined), 20_000, 'the refusal in the record');
    expect(refusals(id)).toEqual([{ type: 'MESSAGE_REFUSED', message: 'boricaRedirectReceived', reason: 'MAX_REDIRECTS_PER_ONBOARDING' }]);

    // Still able to finish: codes, identification (found by polling: the redirects are spent), P100.
    const user = h.providers.byEmail(email);
    expect((await call(api.url, 'POST', `/onboardings/${id}/email-confirmation`, { token, body: { code: user.emailCode } })).status).toBe(200);
    await waitForStage(id, token, 'AWAITING_SMS_CODE', 'ENTER_SMS_CODE');
    expect((await call(api.url, 'POST', `/onboardings/${id}/sms-code`, { token, body: { code: user.smsCode } })).status).toBe(200);
    await waitForStage(id, token, 'AWAITING_IDENTIFICATION');
    expectLimitReached(await call(api.url, 'POST', `/onboardings/${id}/redirects`, { token, body: { outcome: 'success', query: { bTrustAppCallBackId: 'cb-real' } } }));
    h.providers.setStatus(email, 'DOCUMENT_SIGN_SUCCESS');
    const atPartner = await waitForStage(id, token, 'AWAITING_PARTNER_KYC', 'OPEN_URL');
    expect(atPartner).toBeDefined();
    const verificationId = ((await call(api.url, 'GET', `/onboardings/${id}`, { token })).body as { ids: { verificationId: string } }).ids.verificationId;
    const hook = (type: string, body: unknown) => call(api.url, 'POST', `/webhooks/partner/${type}`, { body, headers: { authorization: WEBHOOK_TOKEN } });
    expect((await hook('kyc-verification-status', { externalUserId: id, verificationId, status: 'APPROVED' })).status).toBe(200);
    await waitForStage(id, token, 'VERIFYING_PARTNER_ACCOUNT');
    expect((await hook('user-status', { externalUserId: id, status: 'ACTIVE' })).status).toBe(200);
    await waitForStage(id, token, 'COMPLETED');
    history = await historyOf(id);
    expect(history.length).toBeLessThan(400);
  });

  it('while no worker can tell the counts, redirects are still taken, unless the history is already far beyond every bound', async () => {
    // Onboardings on a task queue no worker polls: the counts cannot be asked.
    const secrets = new ApiSecrets(API_SIGNING_KEY);
    const relay = (id: string) =>
      call(api.url, 'POST', `/onboardings/${id}/redirects`, { token: secrets.accessTokenFor(id), body: { outcome: 'success', query: {} } });
    const quiet = await startOnboarding(h.client, 'abuse-no-worker');
    expect((await relay(quiet.onboardingId)).status).toBe(202);
    const flooded = await startOnboarding(h.client, 'abuse-no-worker');
    const handle = h.client.workflow.getHandle(workflowIdFor(flooded.onboardingId));
    for (let i = 0; i < 1000; i += 50) {
      await Promise.all(Array.from({ length: 50 }, () => handle.signal(boricaRedirectReceived, { outcome: 'fail', query: {} })));
    }
    const refused = await relay(flooded.onboardingId);
    expectLimitReached(refused);
    await Promise.all([quiet, flooded].map((o) => h.client.workflow.getHandle(workflowIdFor(o.onboardingId)).terminate('test over')));
  });
});
