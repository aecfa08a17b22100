// Durability under crashes, restarts and provider faults (issue 5): the Temporal dev server, the
// worker and the API run as separate processes (./cluster.ts), the provider sandbox in this one;
// users are walked through the HTTP API alone by the e2e Journey (./client.ts rides out outages).
// Every scenario ends with the same checks: each onboarding at its right end (none stuck), the
// sandbox's counters showing each provider effect exactly once, and no 5xx but 503-with-Retry-After.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, startCluster } from './cluster';
import { call } from '../e2e/journey';
import { type Expected, FaultJourney, Observations, type Outcome, type Report, check, drive, extraAttemptsFrom, problemsOf, summary, sleep, waitUntil as waitFor } from './client';

let cluster: Cluster;
const reports: Record<string, string> = {};

beforeAll(async () => {
  cluster = await startCluster();
}, 180_000);

afterEach(async () => {
  await cluster?.control.clearSwitches();
  // A scenario that stopped a part midway leaves it running again for the next one.
  if (cluster && cluster.workerCount() === 0) await cluster.startWorker();
  if (cluster && !cluster.apiRunning()) await cluster.startApi();
});

afterAll(async () => {
  await cluster?.stop();
  // One line per scenario, for the closing note.
  for (const [name, line] of Object.entries(reports)) process.stdout.write(`[durability] ${name}: ${line}\n`);
});

const waitUntil = (what: string, pred: () => boolean | Promise<boolean>, timeoutMs?: number) => waitFor(what, pred, () => cluster.tail(40), timeoutMs);

const stages = (js: FaultJourney[]) => js.map((j) => j.lastView?.stage ?? 'NOT_STARTED');
const COMPLETED: Expected = { stage: 'COMPLETED' };

function journeys(n: number, obs: Observations, options: ConstructorParameters<typeof FaultJourney>[3] = {}): FaultJourney[] {
  return Array.from({ length: n }, (_, i) => new FaultJourney(cluster.apiUrl, cluster.control, obs, { kycAtStart: i % 3 !== 2, ...options }));
}

/** The journey after POST /onboardings (for faults that need the onboarding id first). */
async function afterStart(j: FaultJourney): Promise<void> {
  await j.confirmEmail();
  await j.enterSmsCode();
  if (!(j.options.kycAtStart ?? true)) await j.submitKycData();
  await j.identifyAndSign();
  await j.partnerKycB();
}

async function finish(name: string, outcomes: Outcome[], obs: Observations): Promise<Report> {
  const report = await check(cluster.control, outcomes, obs, extraAttemptsFrom(() => cluster.client()));
  reports[name] = `${outcomes.length} onboardings: ${summary(report)}; client retries ${JSON.stringify(obs.retried)}`;
  const problems = problemsOf(report);
  if (problems.length) process.stderr.write(`[durability] ${name} problems:\n${problems.join('\n')}\n--- cluster log tail ---\n${cluster.tail(80)}\n`);
  expect(problems).toEqual([]);
  return report;
}

describe('durability: nothing lost, nothing done twice', () => {
  it('(1) the worker is SIGKILLed twice, at different moments, with onboardings at several stages, and started again', async () => {
    const obs = new Observations();
    const js = journeys(6, obs);
    // Staggered starts, so the kills find the onboardings at different stages.
    const running = js.map(async (j, i) => {
      await sleep(i * 1200);
      return drive(j, COMPLETED);
    });
    const atKill: string[][] = [];

    await waitUntil('one onboarding at the signing step', () => stages(js).some((s) => ['AWAITING_SIGNATURE', 'VERIFYING_SIGNATURE', 'FINALIZING'].includes(s)));
    atKill.push(stages(js));
    await cluster.killWorker('SIGKILL');
    await sleep(2_000);
    await cluster.startWorker();

    const restartedAt = Date.now();
    await waitUntil('one onboarding at P100, or 6 s after the restart', () =>
      stages(js).some((s) => ['CREATING_PARTNER_ACCOUNT', 'AWAITING_PARTNER_KYC', 'VERIFYING_PARTNER_ACCOUNT'].includes(s)) || Date.now() - restartedAt > 6_000,
    );
    atKill.push(stages(js));
    await cluster.killWorker('SIGKILL');
    await sleep(1_000);
    await cluster.startWorker();

    const outcomes = await Promise.all(running);
    // The kills did find onboardings in flight, at more than one stage.
    const inFlight = atKill.map((s) => s.filter((x) => !['NOT_STARTED', 'COMPLETED'].includes(x)));
    expect(inFlight.every((s) => s.length >= 2)).toBe(true);
    expect(new Set(atKill.flat().filter((x) => x !== 'NOT_STARTED')).size).toBeGreaterThanOrEqual(3);
    reports['(1) stages at the kills'] = atKill.map((s) => s.join(',')).join(' | ');
    const report = await finish('(1) worker SIGKILL ×2', outcomes, obs);
    expect(report.completed).toBe(6);
  }, 240_000);

  it('(2) the Temporal dev server is stopped mid-flow and started again on the same SQLite file', async () => {
    const obs = new Observations();
    const js = journeys(6, obs);
    const running = js.map(async (j, i) => {
      await sleep(i * 1000);
      return drive(j, COMPLETED);
    });
    await waitUntil('onboardings past the codes', () => stages(js).filter((s) => !['NOT_STARTED', 'CREATING_USER', 'AWAITING_EMAIL_CODE'].includes(s)).length >= 2);
    const before = stages(js);
    await cluster.restartTemporal({ downMs: 3_000 });
    const outcomes = await Promise.all(running);
    reports['(2) stages at the stop'] = before.join(',');
    const report = await finish('(2) Temporal restart', outcomes, obs);
    expect(report.completed).toBe(6);
    // The clients did meet the outage (503 or refused calls) and rode it out.
    expect(obs.retried.unavailable503 + obs.retried.connection).toBeGreaterThan(0);
  }, 240_000);

  it('(3) the API restarts while frontends call it and the worker is down for a while: degraded views or 503, codes and redirects applied once it is back', async () => {
    const obs = new Observations();
    const waitingForCode = journeys(3, obs);
    const atBorica = journeys(3, obs, { kycAtStart: true });
    await Promise.all([
      ...waitingForCode.map(async (j) => {
        await j.start();
        await j.waitForAction('CONFIRM_EMAIL');
      }),
      ...atBorica.map(async (j) => {
        await j.start();
        await j.confirmEmail();
        await j.enterSmsCode();
        await j.waitForAction('OPEN_URL', 'IDENTIFICATION');
      }),
    ]);

    await cluster.killWorker('SIGKILL');
    // Without a worker: GET answers from the search attributes (degraded) or 503 with Retry-After.
    for (const j of [...waitingForCode, ...atBorica]) {
      const res = await call(cluster.apiUrl, 'GET', `/onboardings/${j.onboardingId}`, { token: j.accessToken });
      obs.count(res.status);
      if (res.status === 200) {
        expect(res.body).toMatchObject({ onboardingId: j.onboardingId, degraded: true, nextAction: { type: 'WAIT' } });
        expect(['AWAITING_EMAIL_CODE', 'AWAITING_IDENTIFICATION']).toContain(res.body.stage);
      } else {
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      }
    }

    // Meanwhile: codes are sent (503 → retried by the client until the worker is back), users come
    // back from Borica (the redirect is a signal: accepted by Temporal at once), and the API restarts.
    const codes = waitingForCode.map(async (j) => {
      const code = await cluster.control.latestEmailCode(j.person.email);
      const res = await j.postCode('email', code);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ accepted: true });
    });
    const redirectsAccepted: number[] = [];
    for (const j of atBorica) {
      const url = (j.lastView!.nextAction as { url: string }).url;
      const location = new URL(await cluster.control.pressBorica(url, 'success'));
      const res = await call(cluster.apiUrl, 'POST', `/onboardings/${j.onboardingId}/redirects`, {
        token: j.accessToken,
        body: { outcome: 'success', query: Object.fromEntries(location.searchParams) },
      });
      redirectsAccepted.push(res.status);
    }
    expect(redirectsAccepted).toEqual([202, 202, 202]);
    const degradedBefore = obs.retried.degradedViews;
    const polling = [...waitingForCode, ...atBorica].map((j) => j.view());
    await cluster.restartApi();
    await Promise.all(polling);
    await sleep(4_000);
    const beforeWorker = obs.retried.unavailable503;
    await cluster.startWorker();
    await Promise.all(codes);
    expect(beforeWorker).toBeGreaterThan(0); // the codes did meet the missing worker
    expect(obs.retried.degradedViews).toBeGreaterThanOrEqual(degradedBefore);

    const outcomes = await Promise.all([
      ...waitingForCode.map((j) =>
        drive(j, COMPLETED, async () => {
          await j.enterSmsCode();
          if (!(j.options.kycAtStart ?? true)) await j.submitKycData();
          await j.identifyAndSign();
          await j.partnerKycB();
        }),
      ),
      ...atBorica.map((j) =>
        drive(j, COMPLETED, async () => {
          await j.borica('DOCUMENT_SIGNING');
          await j.partnerKycB();
        }),
      ),
    ]);
    const report = await finish('(3) API restart, worker down', outcomes, obs);
    expect(report.completed).toBe(6);
    // Each email code was checked once; the redirect relayed while the worker was down counted.
    for (const o of outcomes) {
      const steps = o.view!.timeline.map((t) => t.step);
      expect(steps.filter((s) => s === 'emailConfirmed')).toHaveLength(1);
      expect(steps.filter((s) => s === 'identificationVerified')).toHaveLength(1);
    }
    expect(outcomes.slice(3).every((o) => o.view!.timeline.some((t) => t.step === 'redirect:success:A'))).toBe(true);
  }, 240_000);

  it('(4) provider faults: 5xx bursts, 429, slow answers, resets, malformed bodies, expiring tokens, finalize "not yet", the lost create-user answer', async () => {
    const obs = new Observations();
    const c = cluster.control;
    const js = journeys(8, obs);
    // Faults by e-mail (10nPay) are set before the start; P100's by externalUserId right after it.
    const plans: Array<{ expected: Expected; before?: (j: FaultJourney) => Promise<unknown>; after?: (j: FaultJourney) => Promise<unknown>; startOnly?: boolean }> = [
      // 5xx burst on sending the SMS, and a reset connection (effect applied, answer lost) on the e-mail code.
      { expected: COMPLETED, before: async (j) => { await c.setSwitch({ name: 'serverError', endpoint: 'tennpay.sendSmsCode', email: j.person.email, times: 3, status: 503 }); await c.setSwitch({ name: 'responseLost', endpoint: 'tennpay.confirmEmail', email: j.person.email, times: 1 }); } },
      // 429 with Retry-After on finalize and P501 (transient) on P100's create account.
      { expected: COMPLETED, before: (j) => c.setSwitch({ name: 'rateLimit', endpoint: 'tennpay.finalize', email: j.person.email, times: 2, retryAfterSec: 1 }), after: (j) => c.setSwitch({ name: 'partnerError', endpoint: 'p100.createUser', externalUserId: j.onboardingId, code: 'P501', times: 2 }) },
      // An answer slower than the HTTP timeout (15 s) while polling the identification status.
      { expected: COMPLETED, before: (j) => c.setSwitch({ name: 'slow', endpoint: 'tennpay.identificationStatus', email: j.person.email, times: 1, delayMs: 16_000 }) },
      // Malformed bodies from the identification start and from finalize (effects applied).
      { expected: COMPLETED, before: async (j) => { await c.setSwitch({ name: 'malformed', endpoint: 'tennpay.initiateIdentification', email: j.person.email, times: 1 }); await c.setSwitch({ name: 'malformed', endpoint: 'tennpay.finalize', email: j.person.email, times: 1 }); } },
      // Finalize applies its effect but answers 400 "not yet" twice.
      { expected: COMPLETED, before: (j) => c.setSwitch({ name: 'finalizeRejectAfterSuccess', email: j.person.email, times: 2 }) },
      // The lost create-user answer: the retry hears "already registered"; one user, onboarding FAILED.
      { expected: { stage: 'FAILED', reason: 'EmailAlreadyRegistered' }, startOnly: true, before: (j) => c.setSwitch({ name: 'responseLost', endpoint: 'tennpay.createUser', email: j.person.email, times: 1 }) },
      // P100: the create-account answer lost (P410 on retry), a 502 burst on Add User Verification.
      { expected: COMPLETED, after: async (j) => { await c.setSwitch({ name: 'responseLost', endpoint: 'p100.createUser', externalUserId: j.onboardingId, times: 1 }); await c.setSwitch({ name: 'serverError', endpoint: 'p100.userVerification', externalUserId: j.onboardingId, times: 3, status: 502 }); } },
      // A 500 burst on add-additional-data (sent just before finalize).
      { expected: COMPLETED, before: (j) => c.setSwitch({ name: 'serverError', endpoint: 'tennpay.addAdditionalData', email: j.person.email, times: 2 }) },
    ];
    // Tokens: the next one issued expires after 1.5 s (its expires_in still says an hour); all are revoked mid-run.
    await c.setSwitch({ name: 'tokenExpiresEarly', endpoint: 'auth.token', times: 1, afterMs: 1_500 });
    await c.revokeTokens();
    await c.setSwitch({ name: 'serverError', endpoint: 'auth.token', times: 2 });
    const revoke = setInterval(() => void c.revokeTokens().catch(() => undefined), 5_000);
    let outcomes: Outcome[];
    try {
      outcomes = await Promise.all(
        js.map(async (j, i) => {
          const plan = plans[i]!;
          await plan.before?.(j);
          return drive(j, plan.expected, async () => {
            await j.start();
            if (plan.startOnly) return;
            await plan.after?.(j);
            await afterStart(j);
          });
        }),
      );
    } finally {
      clearInterval(revoke);
    }
    const report = await finish('(4) provider faults', outcomes, obs);
    expect(report.completed).toBe(7);
    expect(report.failed).toEqual({ 'FAILED:EmailAlreadyRegistered': 1 });
    // The faults did happen: each switch with `times` was used up.
    const left = (await c.switches()).filter((s) => s.remaining !== null && s.applied === 0);
    expect(left).toEqual([]);
  }, 240_000);

  it('(5) frontend and partner misbehaviour: duplicate and early redirects, double codes, concurrent resends, duplicated and out-of-order webhooks, retried starts', async () => {
    const obs = new Observations();
    const api = cluster.apiUrl;
    const [dup, early, resends, hooks, retried, mistakes] = [
      new FaultJourney(api, cluster.control, obs, { retryCodes: true, duplicateRedirects: true }),
      new FaultJourney(api, cluster.control, obs),
      new FaultJourney(api, cluster.control, obs),
      new FaultJourney(api, cluster.control, obs),
      new FaultJourney(api, cluster.control, obs, { externalRef: `ref-${Date.now()}` }),
      new FaultJourney(api, cluster.control, obs, { kycAtStart: false }),
    ] as const;
    const noServerError = (res: { status: number }, what: string) => expect(res.status, what).toBeLessThan(500);

    const outcomes = await Promise.all([
      // Codes sent twice in a row and twice at once; every redirect relayed twice.
      drive(dup, COMPLETED, async (j) => {
        await j.start();
        await j.waitForAction('CONFIRM_EMAIL');
        const code = await cluster.control.latestEmailCode(j.person.email);
        const both = await Promise.all([j.postCode('email', code), j.postCode('email', code)]);
        expect(both.map((r) => [r.status, r.body.accepted])).toEqual([[200, true], [200, true]]);
        await j.enterSmsCode();
        await j.identifyAndSign();
        await j.partnerKycB();
      }),
      // Redirects before there is any identification: accepted (202) and ignored.
      drive(early, COMPLETED, async (j) => {
        await j.start();
        await j.relay('IDENTIFICATION', 'success', { bTrustAppCallBackId: 'early-1' });
        await j.confirmEmail();
        await j.relay('IDENTIFICATION', 'fail', {});
        await j.enterSmsCode();
        await afterStartFromIdentification(j);
      }),
      // Four resends at once, after the cooldown: one sends a code, the others are refused (429/409).
      drive(resends, COMPLETED, async (j) => {
        await j.start();
        await j.confirmEmail();
        await j.waitForAction('ENTER_SMS_CODE');
        await sleep(2_500);
        const answers = await Promise.all(Array.from({ length: 4 }, () => j.request('POST', '/sms-code/resend')));
        for (const a of answers) noServerError(a, 'resend');
        expect(answers.filter((a) => a.status === 202)).toHaveLength(1);
        for (const a of answers.filter((x) => x.status !== 202)) expect([409, 429]).toContain(a.status);
        await waitUntil('the resent SMS', async () => (await cluster.control.codes('sms', j.person.phoneNumber)).length === 2);
        await j.enterSmsCode();
        await afterStartFromIdentification(j);
      }),
      // P100 delivers every webhook three times, and a stale status after each KYC status.
      drive(hooks, COMPLETED, async (j) => {
        await j.start();
        await cluster.control.setSwitch({ name: 'webhookDuplicate', externalUserId: j.onboardingId, copies: 3 });
        await cluster.control.setSwitch({ name: 'webhookOutOfOrder', externalUserId: j.onboardingId });
        await afterStart(j);
      }),
      // POST /onboardings retried: the same key and body at once (one onboarding), the same
      // externalRef without the key (409), the same key with another body (422).
      drive(retried, COMPLETED, async (j) => {
        const body = j.startBody();
        const headers = { 'idempotency-key': j.idempotencyKey };
        const starts = await Promise.all(Array.from({ length: 3 }, () => call(api, 'POST', '/onboardings', { body, headers })));
        for (const s of starts) noServerError(s, 'start');
        expect(starts.map((s) => s.status).sort()).toEqual([200, 200, 201]);
        expect(new Set(starts.map((s) => s.body.onboardingId)).size).toBe(1);
        expect(new Set(starts.map((s) => s.body.accessToken)).size).toBe(1);
        const noKey = await call(api, 'POST', '/onboardings', { body });
        expect(noKey.status).toBe(409);
        expect(noKey.body.onboardingId).toBe(starts[0]!.body.onboardingId);
        expect(noKey.body.accessToken).toBeUndefined();
        const otherBody = await call(api, 'POST', '/onboardings', { body: { ...body, phoneNumber: '+359870000000' }, headers });
        expect(otherBody.status).toBe(422);
        await j.start(); // the frontend's own retry: 200, the same onboarding
        expect(j.onboardingId).toBe(starts[0]!.body.onboardingId);
        await afterStart(j);
      }),
      // Client mistakes get 4xx, never 5xx: a wrong code (422 with attemptsLeft), a malformed code,
      // a code for the wrong step, a malformed redirect, KYC data that is not valid.
      drive(mistakes, COMPLETED, async (j) => {
        await j.start();
        await j.waitForAction('CONFIRM_EMAIL');
        const code = await cluster.control.latestEmailCode(j.person.email);
        const wrong = await j.postCode('email', code === '000000' ? '111111' : '000000');
        expect(wrong.status).toBe(422);
        expect(wrong.body.attemptsLeft).toBe(4);
        expect((await j.postCode('email', 'abc')).status).toBe(400);
        expect((await j.postCode('sms', '123456')).status).toBe(409);
        expect((await j.request('POST', '/redirects', { body: { outcome: 'maybe' } })).status).toBe(400);
        expect((await j.request('POST', '/kyc-data', { body: { person: {} } })).status).toBe(400);
        expect((await call(api, 'GET', `/onboardings/${j.onboardingId}`)).status).toBe(401);
        await j.confirmEmail();
        await j.enterSmsCode();
        await j.submitKycData();
        await j.identifyAndSign();
        await j.partnerKycB();
      }),
    ]);
    const report = await finish('(5) frontend and partner misbehaviour', outcomes, obs);
    expect(report.completed).toBe(6);
    const [dupView, earlyView, , hooksView] = outcomes.map((o) => o.view!);
    const steps = (v: typeof dupView) => v!.timeline.map((t) => t.step);
    expect(steps(dupView).filter((s) => s === 'emailConfirmed')).toHaveLength(1);
    expect(dupView!.attemptsLeft).toEqual({ emailCode: 5, smsCode: 5 });
    expect(steps(earlyView).filter((s) => s.endsWith(':ignored'))).toHaveLength(2);
    // The duplicated and stale webhooks reached the API and were all taken (200).
    const delivered = await cluster.control.webhooks(hooks.onboardingId);
    expect(delivered.filter((h) => h.type === 'user-status').length).toBeGreaterThanOrEqual(3);
    expect(delivered.filter((h) => h.type === 'kyc-verification-status').length).toBeGreaterThanOrEqual(4);
    expect(delivered.every((h) => h.delivered && h.lastStatus === 200)).toBe(true);
    expect(steps(hooksView).filter((s) => s.startsWith('partnerKycApproved'))).toHaveLength(1);
  }, 240_000);

  it('(6) graceful shutdown: a rolling restart of the worker (SIGTERM after a second one starts) and SIGTERM to the API with requests in flight', async () => {
    const obs = new Observations();
    // Rolling restart: the new worker is up before the old one is told to stop.
    await cluster.startWorker();
    expect(cluster.workerCount()).toBe(2);
    const js = journeys(6, obs);
    const running = js.map(async (j, i) => {
      await sleep(i * 2000);
      return drive(j, COMPLETED);
    });
    await waitUntil('onboardings in flight', () => stages(js).filter((s) => !['NOT_STARTED', 'CREATING_USER', 'AWAITING_EMAIL_CODE'].includes(s)).length >= 2);
    await cluster.killWorker('SIGTERM'); // the older one; the new one takes over
    expect(cluster.workerCount()).toBe(1);
    reports['(6) stages at the worker SIGTERM'] = stages(js).join(',');

    await waitUntil('onboardings still in flight', () => stages(js).filter((s) => s !== 'NOT_STARTED' && s !== 'COMPLETED').length >= 2);
    // Requests in flight when the API gets SIGTERM: each one is answered (not 5xx) or, if the
    // connection was refused before it was accepted, never reached the API.
    const inFlight = js
      .filter((j) => j.onboardingId)
      .flatMap((j) => [1, 2, 3].map(() => call(cluster.apiUrl, 'GET', `/onboardings/${j.onboardingId}`, { token: j.accessToken }).then((r) => r.status, () => 'refused' as const)));
    await sleep(20);
    await cluster.stopApi('SIGTERM');
    const answered = await Promise.all(inFlight);
    for (const a of answered) if (a !== 'refused') expect(a).toBe(200);
    expect(answered.filter((a) => a === 200).length).toBeGreaterThan(0);
    await sleep(1_000);
    await cluster.startApi();

    const outcomes = await Promise.all(running);
    const report = await finish('(6) graceful shutdown', outcomes, obs);
    expect(report.completed).toBe(6);
    // The worker that got SIGTERM stopped by itself (exit 0), it was not killed.
    expect(cluster.tail(400)).toMatch(/worker-\d+ exited \(0\)/);
  }, 240_000);
});

/** The rest of the journey from the Borica identification on. */
async function afterStartFromIdentification(j: FaultJourney): Promise<void> {
  if (!(j.options.kycAtStart ?? true)) await j.submitKycData();
  await j.identifyAndSign();
  await j.partnerKycB();
}
