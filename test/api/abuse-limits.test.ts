// Abuse limits (CONTRACT part 4) over HTTP: each kind of message from outside is bounded per
// onboarding, refused with 429 problem details (failureType LimitReached) before anything reaches
// a provider or the history; the onboarding goes on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REDIRECTS_PER_ONBOARDING } from '../../src/api/routes/onboardings';
import { testApplicant, testSettings } from '../support/fixtures';
import { call, createHarness, eventually, type Harness, listen, type RunningApi } from './harness';

let h: Harness;
let api: RunningApi;

beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
  api = await listen(h.deps({ settings: () => ({ ...testSettings(), codeResendCooldown: '1ms', codeMaxResends: 2 }) }));
});

afterAll(async () => {
  await api?.close();
  await h?.teardown();
});

async function startAtEmailCode() {
  const a = testApplicant();
  const started = await call(api.url, 'POST', '/onboardings', { body: { email: a.email, phoneNumber: a.phoneNumber, userType: 'INDIVIDUAL' } });
  expect(started.status).toBe(201);
  const { onboardingId: id, accessToken: token } = started.body as { onboardingId: string; accessToken: string };
  await eventually(async () => {
    const v = await call(api.url, 'GET', `/onboardings/${id}`, { token });
    return v.body.stage === 'AWAITING_EMAIL_CODE' ? true : undefined;
  }, 30_000, 'AWAITING_EMAIL_CODE');
  return { id, token, email: a.email };
}

describe('abuse limits', () => {
  it('CODE_MAX_RESENDS: the resend after the cap is a 429 LimitReached, and 10nPay is not asked', async () => {
    const { id, token } = await startAtEmailCode();
    for (let i = 0; i < 2; i++) {
      const sent = await call(api.url, 'POST', `/onboardings/${id}/email-confirmation/resend`, { token });
      expect(sent.status).toBe(202);
    }
    const before = h.providers.calls['sendEmailConfirmation'] ?? 0;
    const refused = await call(api.url, 'POST', `/onboardings/${id}/email-confirmation/resend`, { token });
    expect(refused.status).toBe(429);
    expect(refused.contentType).toContain('application/problem+json');
    expect(refused.body.failureType).toBe('LimitReached');
    expect(h.providers.calls['sendEmailConfirmation'] ?? 0).toBe(before);
  });

  it('a flood of failed redirects with 3 KB queries: refused past the bound, the history stays small, the onboarding goes on', async () => {
    const { id, token, email } = await startAtEmailCode();
    const query = { bTrustAppCallBackId: 'cb-flood', padding: 'x'.repeat(3000) };
    const statuses: number[] = [];
    for (let i = 0; i < MAX_REDIRECTS_PER_ONBOARDING + 20; i++) {
      statuses.push((await call(api.url, 'POST', `/onboardings/${id}/redirects`, { token, body: { outcome: 'fail', query } })).status);
    }
    expect(statuses.filter((s) => s === 202)).toHaveLength(MAX_REDIRECTS_PER_ONBOARDING);
    expect(statuses.slice(MAX_REDIRECTS_PER_ONBOARDING).every((s) => s === 429)).toBe(true);
    const history = await h.client.workflow.getHandle(`onboarding-${id}`).fetchHistory();
    expect(history.events?.length ?? 0).toBeLessThan(400);
    const signals = (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes);
    expect(signals).toHaveLength(MAX_REDIRECTS_PER_ONBOARDING);
    for (const s of signals) {
      const size = (s.workflowExecutionSignaledEventAttributes?.input?.payloads ?? []).reduce((n, p) => n + (p.data?.length ?? 0), 0);
      expect(size).toBeLessThan(1000);
    }
    // Still able to go on: the e-mail code is accepted.
    const confirmed = await call(api.url, 'POST', `/onboardings/${id}/email-confirmation`, { token, body: { code: h.providers.byEmail(email).emailCode } });
    expect(confirmed.status).toBe(200);
  });
});
