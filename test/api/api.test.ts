// The HTTP API end to end against a real Temporal dev server and the real onboarding workflow
// (provider activities are in-memory stand-ins): status codes, problem details, idempotency,
// authentication, webhooks, the codec endpoint, and the answers when the worker or Temporal is down.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApplicant, testKycRecord } from '../support/fixtures';
import {
  type Answer,
  type Harness,
  OPS_API_KEY,
  type RunningApi,
  WEBHOOK_TOKEN,
  call,
  createHarness,
  eventually,
  listen,
  temporalConfig,
  unreachableClient,
} from './harness';

let h: Harness;
let api: RunningApi;

beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
  api = await listen(h.deps());
});

afterAll(async () => {
  await api?.close();
  await h?.teardown();
});

const newBody = () => {
  const a = testApplicant();
  return { email: a.email, phoneNumber: a.phoneNumber, userType: 'INDIVIDUAL' as const };
};

function expectProblem(answer: Answer, status: number): void {
  expect(answer.status).toBe(status);
  expect(answer.contentType).toContain('application/problem+json');
  expect(answer.body).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
}

async function startOne(body: Record<string, unknown> = newBody()) {
  const res = await call(api.url, 'POST', '/onboardings', { body });
  expect(res.status).toBe(201);
  return res.body as { onboardingId: string; accessToken: string; stage: string; nextAction: { type: string } };
}

async function reachStage(base: string, id: string, token: string, stage: string) {
  return eventually(async () => {
    const v = await call(base, 'GET', `/onboardings/${id}`, { token });
    return v.status === 200 && v.body.stage === stage ? v.body : undefined;
  }, 30_000, `stage ${stage}`);
}

describe('POST /onboardings', () => {
  it('rejects malformed input with 400 problem details naming the paths, never echoing the values', async () => {
    const res = await call(api.url, 'POST', '/onboardings', {
      body: { email: 'secret-not-an-email', phoneNumber: '0888', userType: 'ROBOT' },
    });
    expectProblem(res, 400);
    const paths = (res.body.errors as Array<{ path: string }>).map((e) => e.path).sort();
    expect(paths).toEqual(['email', 'phoneNumber', 'userType']);
    expect(JSON.stringify(res.body)).not.toContain('secret-not-an-email');
    expect(JSON.stringify(res.body)).not.toContain('0888');

    expectProblem(await call(api.url, 'POST', '/onboardings', { body: '{"email":' }), 400);
    expectProblem(await call(api.url, 'POST', '/onboardings', { body: { ...newBody(), profile: { person: {} } } }), 400);
  });

  it('starts an onboarding: 201 with the id, the access token, the first stage and what to do', async () => {
    const started = await startOne();
    expect(started.onboardingId).toMatch(/^[0-9a-f-]{36}$/);
    expect(started.accessToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(started).toMatchObject({ stage: 'CREATING_USER', nextAction: { type: 'WAIT' } });
    const description = await h.client.workflow.getHandle(`onboarding-${started.onboardingId}`).describe();
    // The memo holds keyed hashes only; the workflow id carries no personal data.
    expect(JSON.stringify(description.memo)).not.toContain('@');
    expect(description.typedSearchAttributes.get({ name: 'OnboardingStage', type: 'KEYWORD' } as never)).toBeDefined();
  });

  it('is idempotent: same Idempotency-Key and body → 200 and the same onboarding; other body → 422; same externalRef → 409', async () => {
    const body = newBody();
    const key = `key-${Date.now()}`;
    const first = await call(api.url, 'POST', '/onboardings', { body, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(201);
    const again = await call(api.url, 'POST', '/onboardings', { body: { ...body }, headers: { 'idempotency-key': key } });
    expect(again.status).toBe(200);
    expect(again.body.onboardingId).toBe(first.body.onboardingId);
    expect(again.body.accessToken).toBe(first.body.accessToken);
    const other = await call(api.url, 'POST', '/onboardings', { body: newBody(), headers: { 'idempotency-key': key } });
    expectProblem(other, 422);

    const externalRef = `ref-${Date.now()}`;
    const withRef = await call(api.url, 'POST', '/onboardings', { body: { ...newBody(), externalRef } });
    expect(withRef.status).toBe(201);
    const sameRef = await call(api.url, 'POST', '/onboardings', { body: { ...newBody(), externalRef } });
    expectProblem(sameRef, 409);
    expect(sameRef.body.onboardingId).toBe(withRef.body.onboardingId);
    expect(sameRef.body.accessToken).toBeUndefined();
    // The same externalRef with the same key and body is the same request again.
    const refKey = `refkey-${Date.now()}`;
    const refBody = { ...newBody(), externalRef: `ref2-${Date.now()}` };
    const a = await call(api.url, 'POST', '/onboardings', { body: refBody, headers: { 'idempotency-key': refKey } });
    const b = await call(api.url, 'POST', '/onboardings', { body: refBody, headers: { 'idempotency-key': refKey } });
    expect([a.status, b.status]).toEqual([201, 200]);
    expect(b.body.onboardingId).toBe(a.body.onboardingId);
  });

  it('rate-limits starts per client address: 429 problem with Retry-After', async () => {
    const limited = await listen(h.deps({ api: { START_RATE_LIMIT_PER_MINUTE: 2 } }));
    try {
      const bad = { email: 'x' };
      expect((await call(limited.url, 'POST', '/onboardings', { body: bad })).status).toBe(400);
      expect((await call(limited.url, 'POST', '/onboardings', { body: bad })).status).toBe(400);
      const third = await call(limited.url, 'POST', '/onboardings', { body: bad });
      expectProblem(third, 429);
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
      // Other routes are not limited.
      expect((await call(limited.url, 'GET', '/healthz')).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('an onboarding through the frontend calls', () => {
  it('authenticates: 401 without a valid token, 404 for another onboarding’s token or an unknown id, ops key on GET', async () => {
    const a = await startOne();
    const b = await startOne();
    expectProblem(await call(api.url, 'GET', `/onboardings/${a.onboardingId}`), 401);
    expectProblem(await call(api.url, 'GET', `/onboardings/${a.onboardingId}`, { token: 'garbage' }), 401);
    expectProblem(await call(api.url, 'GET', `/onboardings/${a.onboardingId}`, { headers: { authorization: a.accessToken } }), 401);
    expectProblem(await call(api.url, 'GET', `/onboardings/${a.onboardingId}`, { token: b.accessToken }), 404);
    expectProblem(await call(api.url, 'POST', `/onboardings/${a.onboardingId}/email-confirmation`, { token: b.accessToken, body: { code: '111111' } }), 404);
    expectProblem(await call(api.url, 'GET', '/onboardings/not-a-uuid', { token: a.accessToken }), 404);
    const ops = await call(api.url, 'GET', `/onboardings/${a.onboardingId}`, { token: OPS_API_KEY });
    expect(ops.status).toBe(200);
    expect(ops.body.onboardingId).toBe(a.onboardingId);
    expectProblem(await call(api.url, 'GET', '/onboardings/00000000-0000-4000-8000-000000000000', { token: OPS_API_KEY }), 404);
    // The ops key is for reading only on the frontend routes.
    expectProblem(await call(api.url, 'POST', `/onboardings/${a.onboardingId}/email-confirmation`, { token: OPS_API_KEY, body: { code: '111111' } }), 401);
  });

  it('codes: 400 malformed, 422 with attemptsLeft, 409 out of stage, 429 cooldown, 200 accepted and a retry applied once', async () => {
    const { onboardingId: id, accessToken: token } = await startOne();
    await reachStage(api.url, id, token, 'AWAITING_EMAIL_CODE');
    const path = `/onboardings/${id}`;

    expectProblem(await call(api.url, 'POST', `${path}/email-confirmation`, { token, body: { code: 'abc' } }), 400);
    expectProblem(await call(api.url, 'POST', `${path}/email-confirmation`, { token, body: {} }), 400);
    const wrong = await call(api.url, 'POST', `${path}/email-confirmation`, { token, body: { code: '999999' } });
    expectProblem(wrong, 422);
    expect(wrong.body.attemptsLeft).toBe(4);
    expect(JSON.stringify(wrong.body)).not.toContain('999999');

    const early = await call(api.url, 'POST', `${path}/sms-code`, { token, body: { code: '222222' } });
    expectProblem(early, 409);
    expect(early.body.failureType).toBe('WrongStage');

    const resend = await call(api.url, 'POST', `${path}/email-confirmation/resend`, { token });
    expectProblem(resend, 429);
    expect(Number(resend.headers.get('retry-after'))).toBeGreaterThan(0);

    const ok = await call(api.url, 'POST', `${path}/email-confirmation`, { token, body: { code: '111111' } });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ accepted: true });
    // The frontend retries (its answer was lost): the same update id, the same answer.
    const retried = await call(api.url, 'POST', `${path}/email-confirmation`, { token, body: { code: '111111' } });
    expect(retried.status).toBe(200);
    expect(h.providers.calls.confirmEmail).toBeGreaterThanOrEqual(1);

    const view = await reachStage(api.url, id, token, 'AWAITING_SMS_CODE');
    expect(view.attemptsLeft).toMatchObject({ emailCode: 4 });
    await eventually(async () => {
      const v = await call(api.url, 'GET', path, { token });
      return v.body.nextAction.type === 'ENTER_SMS_CODE' ? true : undefined;
    });
    const wrongSms = await call(api.url, 'POST', `${path}/sms-code`, { token, body: { code: '000000' } });
    expectProblem(wrongSms, 422);
    expect(wrongSms.body.attemptsLeft).toBe(4);
    const sms = await call(api.url, 'POST', `${path}/sms-code`, { token, body: { code: '222222' }, headers: { 'idempotency-key': 'sms-1' } });
    expect(sms.status).toBe(200);
    const smsAgain = await call(api.url, 'POST', `${path}/sms-code`, { token, body: { code: '222222' }, headers: { 'idempotency-key': 'sms-1' } });
    expect(smsAgain.status).toBe(200);
  });

  it('KYC data, redirects, restart and files: validated before anything reaches the workflow', async () => {
    const { onboardingId: id, accessToken: token } = await startOne();
    const path = `/onboardings/${id}`;
    const record = testKycRecord();
    const bad = await call(api.url, 'POST', `${path}/kyc-data`, {
      token,
      body: { ...record, person: { ...record.person, birthDate: '01.01.1990' }, finances: { ...record.finances, occupation: undefined } },
    });
    expectProblem(bad, 400);
    const paths = (bad.body.errors as Array<{ path: string }>).map((e) => e.path);
    expect(paths).toContain('person.birthDate');
    expect(paths).toContain('finances.occupation');
    expect(JSON.stringify(bad.body)).not.toContain('01.01.1990');
    const good = await call(api.url, 'POST', `${path}/kyc-data`, { token, body: record });
    expect(good.status).toBe(200);
    expect(good.body).toEqual({ accepted: true });
    expect((await call(api.url, 'GET', path, { token })).body.kycDataReceived).toBe(true);

    expectProblem(await call(api.url, 'POST', `${path}/redirects`, { token, body: { outcome: 'maybe', query: {} } }), 400);
    const redirect = await call(api.url, 'POST', `${path}/redirects`, { token, body: { outcome: 'success', query: { a: 'b' } } });
    expect(redirect.status).toBe(202);
    expect(redirect.body).toEqual({ accepted: true });

    expectProblem(await call(api.url, 'POST', `${path}/identification/restart`, { token }), 409);

    // The partner-KYC link: its signature is the credential (no verification yet, so none is valid).
    expectProblem(await call(api.url, 'GET', `${path}/partner-kyc`), 403);
    const forged = await call(api.url, 'GET', `${path}/partner-kyc?exp=${Math.floor(Date.now() / 1000) + 60}&sig=${'A'.repeat(43)}`);
    expectProblem(forged, 403);

    expectProblem(await call(api.url, 'POST', `${path}/files`, { token, body: { purpose: 'KYC' } }), 400);
    const text = new FormData();
    text.append('purpose', 'KYC');
    text.append('files', new Blob(['just text, not an image']), 'id.png');
    expectProblem(await call(api.url, 'POST', `${path}/files`, { token, body: text }), 415);
    const noPurpose = new FormData();
    noPurpose.append('purpose', 'SELFIE');
    noPurpose.append('files', new Blob([Buffer.from('%PDF-1.7 test')]), 'doc.pdf');
    expectProblem(await call(api.url, 'POST', `${path}/files`, { token, body: noPurpose }), 400);
    const tooMany = new FormData();
    tooMany.append('purpose', 'KYC');
    for (let i = 0; i < 4; i++) tooMany.append('files', new Blob([Buffer.from('%PDF-1.7 test')]), `doc${i}.pdf`);
    expectProblem(await call(api.url, 'POST', `${path}/files`, { token, body: tooMany }), 400);
    const big = new FormData();
    big.append('purpose', 'KYC');
    big.append('files', new Blob([Buffer.concat([Buffer.from('%PDF-1.7'), Buffer.alloc(5 * 1024 * 1024)])]), 'big.pdf');
    expectProblem(await call(api.url, 'POST', `${path}/files`, { token, body: big }), 413);
    // A good file, but the onboarding does not wait for files now: 409, from the workflow's validator.
    const pdf = new FormData();
    pdf.append('purpose', 'KYC');
    pdf.append('files', new Blob([Buffer.from('%PDF-1.7 test')]), 'doc.pdf');
    expectProblem(await call(api.url, 'POST', `${path}/files`, { token, body: pdf }), 409);
    // … and the refused files do not stay in the file store (bad input changes nothing).
    const dir = join(h.fileDir, id);
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
  });
});

describe('an ended onboarding', () => {
  it('answers a relayed redirect with 409 onboarding-ended, as every step does, not the 404 of an unknown one', async () => {
    const { onboardingId: id, accessToken: token } = await startOne();
    // Just started, its first workflow task may still be in flight: 503, try again.
    await eventually(async () => {
      const res = await call(api.url, 'POST', `/ops/onboardings/${id}/cancel`, { token: OPS_API_KEY, body: { reason: 'test' } });
      return res.status === 202 ? true : undefined;
    }, 20_000, 'the cancel accepted');
    const refused = await eventually(async () => {
      const res = await call(api.url, 'POST', `/onboardings/${id}/redirects`, { token, body: { outcome: 'success', query: {} } });
      return res.status === 409 ? res : undefined;
    }, 20_000, 'the redirect refused');
    expectProblem(refused, 409);
    expect(refused.body).toMatchObject({ onboardingId: id, stage: 'CANCELLED' });
  });
});

describe('partner webhooks', () => {
  const hook = (type: string, body: unknown, authorization?: string) =>
    call(api.url, 'POST', `/webhooks/partner/${type}`, { body, headers: authorization === undefined ? {} : { authorization } });

  it('401 without the whole token, nothing done', async () => {
    expectProblem(await hook('user-status', { externalUserId: 'x', status: 'ACTIVE' }), 401);
    expectProblem(await hook('user-status', { externalUserId: 'x', status: 'ACTIVE' }, `Bearer ${WEBHOOK_TOKEN}`), 401);
    expectProblem(await hook('user-status', { externalUserId: 'x', status: 'ACTIVE' }, WEBHOOK_TOKEN.slice(1)), 401);
  });

  it('acknowledges unknown users with 200, rejects malformed events with 400, hands known ones to the workflow', async () => {
    expect((await hook('user-status', { externalUserId: 'someone-else', status: 'ACTIVE' }, WEBHOOK_TOKEN)).status).toBe(200);
    expect((await hook('user-status', { externalUserId: '00000000-0000-4000-8000-000000000000', status: 'ACTIVE' }, WEBHOOK_TOKEN)).status).toBe(200);
    expectProblem(await hook('kyc-file-added', { externalUserId: 'x', status: 'MAYBE' }, WEBHOOK_TOKEN), 400);
    expectProblem(await hook('no-such-event', { externalUserId: 'x' }, WEBHOOK_TOKEN), 404);
    const { onboardingId } = await startOne();
    const res = await hook('kyc-verification-status', { externalUserId: onboardingId, verificationId: 'v-1', status: 'APPROVED' }, WEBHOOK_TOKEN);
    expect(res.status).toBe(200);
    // Accepted by Temporal: the signal is in the history (once the workflow task in flight, if any, completes).
    await eventually(async () => {
      const history = await h.client.workflow.getHandle(`onboarding-${onboardingId}`).fetchHistory();
      return history.events?.some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'partnerEventReceived') ? true : undefined;
    }, 10_000, 'the signal in the history');
  });
});

describe('codec endpoint', () => {
  const plain = {
    payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('"a secret"').toString('base64') }],
  };

  it('round-trips payloads with the ops key, 401 without it', async () => {
    expectProblem(await call(api.url, 'POST', '/codec/encode', { body: plain }), 401);
    const encoded = await call(api.url, 'POST', '/codec/encode', { body: plain, token: OPS_API_KEY, headers: { 'x-namespace': 'default' } });
    expect(encoded.status).toBe(200);
    const enc = encoded.body.payloads[0];
    expect(Buffer.from(enc.metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(enc.data, 'base64').toString()).not.toContain('a secret');
    const decoded = await call(api.url, 'POST', '/codec/decode', { body: encoded.body, token: OPS_API_KEY });
    expect(decoded.status).toBe(200);
    expect(decoded.body).toEqual(plain);
    expectProblem(await call(api.url, 'POST', '/codec/decode', { body: { payloads: 'x' }, token: OPS_API_KEY }), 400);
  });

  it('answers CORS preflight for the UI origins only', async () => {
    const pre = await fetch(`${api.url}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:8233', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-namespace' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    expect(pre.headers.get('access-control-allow-headers')).toContain('X-Namespace');
    const configured = await fetch(`${api.url}/codec/encode`, { method: 'OPTIONS', headers: { origin: 'https://temporal-ui.example' } });
    expect(configured.headers.get('access-control-allow-origin')).toBe('https://temporal-ui.example');
    const other = await fetch(`${api.url}/codec/decode`, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('platform endpoints', () => {
  it('healthz, readyz, metrics, openapi.json; unknown routes are problem+json 404s', async () => {
    expect((await call(api.url, 'GET', '/healthz')).status).toBe(200);
    expect((await call(api.url, 'GET', '/readyz')).status).toBe(200);
    const metrics = await call(api.url, 'GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('http_requests_total');
    expect(metrics.body).toContain('onboardings_started_total');
    expect(metrics.body).toMatch(/route="\/onboardings\/:id"/);
    const doc = await call(api.url, 'GET', '/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    for (const p of [
      '/onboardings',
      '/onboardings/{id}',
      '/onboardings/{id}/email-confirmation',
      '/onboardings/{id}/email-confirmation/resend',
      '/onboardings/{id}/sms-code',
      '/onboardings/{id}/sms-code/resend',
      '/onboardings/{id}/kyc-data',
      '/onboardings/{id}/redirects',
      '/onboardings/{id}/identification/restart',
      '/onboardings/{id}/files',
      '/onboardings/{id}/partner-kyc',
      '/webhooks/partner/user-status',
      '/ops/onboardings',
      '/codec/encode',
      '/readyz',
    ]) {
      expect(doc.body.paths).toHaveProperty([p]);
    }
    expect(doc.body.paths['/onboardings'].post.requestBody.content['application/json'].schema.properties).toHaveProperty('email');
    expectProblem(await call(api.url, 'GET', '/nowhere'), 404);
    expectProblem(await call(api.url, 'GET', '/ops/onboardings'), 401);
  });
});

// Regressions from contract fuzzing (schemathesis against test/api/fuzz-server.ts): client input
// that used to answer 5xx.
describe('ops list and batch input never answers 5xx', () => {
  const ops = (method: string, pathname: string, body?: unknown) => call(api.url, method, pathname, { token: OPS_API_KEY, body });

  it('a forged or foreign pageToken is a quick 400, not a 503 after the deadline', async () => {
    await startOne();
    await startOne();
    const first = await eventually(async () => {
      const res = await ops('GET', '/ops/onboardings?pageSize=1');
      return res.status === 200 && res.body.nextPageToken ? res : undefined;
    }, 20_000, 'a first page with a nextPageToken');
    const token = first.body.nextPageToken as string;
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    // Its own next page works.
    const second = await ops('GET', `/ops/onboardings?pageSize=1&pageToken=${token}`);
    expect(second.status).toBe(200);
    expect(second.body.items[0].onboardingId).not.toBe(first.body.items[0].onboardingId);

    const t0 = Date.now();
    for (const forged of ['abc', 'A'.repeat(60), `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`]) {
      const res = await ops('GET', `/ops/onboardings?pageToken=${forged}`);
      expectProblem(res, 400);
      expect(res.body.detail).toContain('pageToken');
    }
    // A token of another query (other filters) is refused too.
    expectProblem(await ops('GET', `/ops/onboardings?pageSize=1&needsAttention=false&pageToken=${token}`), 400);
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  it('durations the library cannot compute, or beyond any date, are 400s', async () => {
    for (const d of ['P1.5Y', 'P1.5M', 'P99999Y', 'P200000Y']) {
      const list = await ops('GET', `/ops/onboardings?waitingLongerThan=${d}`);
      expectProblem(list, 400);
      expect(list.body.errors).toEqual([expect.objectContaining({ path: 'waitingLongerThan' })]);
      expectProblem(await ops('POST', '/ops/onboardings/batch/retry', { waitingLongerThan: d, dryRun: true }), 400);
    }
    expect((await ops('GET', '/ops/onboardings?waitingLongerThan=PT1.5H')).status).toBe(200);
    expect((await ops('GET', '/ops/onboardings?waitingLongerThan=P50Y')).status).toBe(200);
  });

  it('a method a route does not serve is a 405 problem with Allow, before any authentication matters', async () => {
    const res = await call(api.url, 'PATCH', '/webhooks/partner/user-status');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    const put = await call(api.url, 'PUT', '/codec/encode', { token: OPS_API_KEY });
    expect(put.status).toBe(405);
    expect(put.contentType).toContain('application/problem+json');
  });
});

describe('when the worker or Temporal cannot answer', () => {
  it('worker down: GET answers a degraded view from search attributes; an update answers 503 with Retry-After', async () => {
    const noWorker = await listen(
      h.deps({ temporal: { ...temporalConfig, TASK_QUEUE: 'api-test-no-worker' }, timeouts: { queryMs: 1_500, updateMs: 1_500 } }),
    );
    try {
      const started = await call(noWorker.url, 'POST', '/onboardings', { body: newBody() });
      expect(started.status).toBe(201);
      const { onboardingId: id, accessToken: token } = started.body;
      const view = await call(noWorker.url, 'GET', `/onboardings/${id}`, { token });
      expect(view.status).toBe(200);
      expect(view.headers.get('x-onboarding-view')).toBe('degraded');
      expect(view.body).toMatchObject({ onboardingId: id, stage: 'CREATING_USER', nextAction: { type: 'WAIT' }, degraded: true });
      const code = await call(noWorker.url, 'POST', `/onboardings/${id}/email-confirmation`, { token, body: { code: '111111' } });
      expectProblem(code, 503);
      expect(Number(code.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await noWorker.close();
    }
  });

  it('Temporal down: 503 with Retry-After everywhere it is needed, never a 500', async () => {
    const down = await listen(h.deps({ client: unreachableClient(), timeouts: { queryMs: 1_000, updateMs: 1_000, rpcMs: 1_000 } }));
    try {
      const ready = await call(down.url, 'GET', '/readyz');
      expectProblem(ready, 503);
      expect(ready.headers.get('retry-after')).toBeTruthy();
      expect((await call(down.url, 'GET', '/healthz')).status).toBe(200);
      expectProblem(await call(down.url, 'POST', '/onboardings', { body: newBody() }), 503);
      const { onboardingId: id, accessToken: token } = await startOne();
      expectProblem(await call(down.url, 'GET', `/onboardings/${id}`, { token }), 503);
      expectProblem(await call(down.url, 'POST', `/onboardings/${id}/sms-code`, { token, body: { code: '123456' } }), 503);
      const hook = await call(down.url, 'POST', '/webhooks/partner/user-status', {
        body: { externalUserId: id, status: 'ACTIVE' },
        headers: { authorization: WEBHOOK_TOKEN },
      });
      expectProblem(hook, 503);
    } finally {
      await down.close();
    }
  });
});
