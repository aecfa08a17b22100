// The small holes of issue 10, checked from outside over HTTP (CONTRACT part 4): no caching of
// answers carrying an accessToken, TRUST_PROXY deciding which address the start limit counts,
// the partner-KYC link's signature checked before any Temporal call and P100's redirects kept to
// TRUSTED_URL_HOSTS, wrong ops keys throttled per address and counted, provider URLs https.
// The Temporal client is a stand-in that records what it was asked: these are API rules.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppDeps } from '../../src/api/app';
import { PARTNER_KYC_LINK_TTL_SECONDS } from '../../src/api/routes/onboardings';
import { ApiSecrets } from '../../src/api/secrets';
import { type ApiConfig, ConfigError, loadPartnerConfig, loadTennpayConfig } from '../../src/config';
import { FileStore } from '../../src/files/file-store';
import { createMetrics } from '../../src/observability/metrics';
import { testApplicant, testSettings } from '../support/fixtures';
import { API_SIGNING_KEY, apiConfig, call, listen, OPS_API_KEY, type RunningApi, silentLogger, temporalConfig, WEBHOOK_TOKEN } from './harness';

/** A Temporal client that starts anything and answers the given view; counts every call. */
function stubClient(view: unknown = undefined) {
  const calls: string[] = [];
  const handle = {
    query: async () => {
      calls.push('query');
      if (view === undefined) throw new Error('no such workflow');
      return view;
    },
    describe: async () => {
      calls.push('describe');
      throw Object.assign(new Error('not found'), { name: 'WorkflowNotFoundError' });
    },
  };
  const client = {
    withAbortSignal: <R>(_signal: AbortSignal, fn: () => Promise<R>) => fn(),
    withDeadline: <R>(_deadline: number, fn: () => Promise<R>) => fn(),
    workflow: {
      start: async () => {
        calls.push('start');
        return handle;
      },
      getHandle: () => handle,
    },
  } as unknown as Client;
  return { client, calls };
}

const running: RunningApi[] = [];
afterEach(async () => {
  for (const a of running.splice(0)) await a.close();
});

async function serve(overrides: Omit<Partial<AppDeps>, 'api'> & { api?: Partial<ApiConfig> } = {}) {
  const { api, ...rest } = overrides;
  const metrics = createMetrics({ defaultMetrics: false });
  const deps: AppDeps = {
    client: stubClient().client,
    api: apiConfig({ FILE_STORE_DIR: '/nonexistent', ...api }),
    temporal: temporalConfig,
    partner: { PARTNER_WEBHOOK_TOKEN: WEBHOOK_TOKEN },
    settings: () => testSettings(),
    fileStore: new FileStore('/nonexistent', { current: temporalConfig.PAYLOAD_ENCRYPTION_KEY }),
    partnerKycPage: async () => ({ status: 200, contentType: 'text/html', location: undefined, body: '<html>partner</html>' }),
    logger: silentLogger,
    metrics,
    ...rest,
  };
  const app = await listen(deps);
  running.push(app);
  return { url: app.url, metrics };
}

const startBody = () => {
  const a = testApplicant();
  return { email: a.email, phoneNumber: a.phoneNumber, userType: 'INDIVIDUAL' as const };
};

describe('Cache-Control', () => {
  it('answers that carry an accessToken (and the onboarding views) say no-store', async () => {
    const { url } = await serve();
    const started = await call(url, 'POST', '/onboardings', { body: startBody() });
    expect(started.status).toBe(201);
    expect(started.body.accessToken).toEqual(expect.any(String));
    expect(started.headers.get('cache-control')).toBe('no-store');
  });
});

describe('TRUST_PROXY', () => {
  it('off (default): every caller behind a proxy shares the start limit of the proxy address', async () => {
    const { url } = await serve({ api: { START_RATE_LIMIT_PER_MINUTE: 1 } });
    expect((await call(url, 'POST', '/onboardings', { body: startBody(), headers: { 'x-forwarded-for': '203.0.113.1' } })).status).toBe(201);
    expect((await call(url, 'POST', '/onboardings', { body: startBody(), headers: { 'x-forwarded-for': '203.0.113.2' } })).status).toBe(429);
  });

  it('on: the start limit counts the forwarded client address', async () => {
    const { url } = await serve({ api: { START_RATE_LIMIT_PER_MINUTE: 1, TRUST_PROXY: 'loopback' } });
    expect((await call(url, 'POST', '/onboardings', { body: startBody(), headers: { 'x-forwarded-for': '203.0.113.1' } })).status).toBe(201);
    expect((await call(url, 'POST', '/onboardings', { body: startBody(), headers: { 'x-forwarded-for': '203.0.113.2' } })).status).toBe(201);
    const again = await call(url, 'POST', '/onboardings', { body: startBody(), headers: { 'x-forwarded-for': '203.0.113.1' } });
    expect(again.status).toBe(429);
    expect(again.contentType).toContain('application/problem+json');
  });
});

describe('the partner-KYC link', () => {
  const secrets = new ApiSecrets(API_SIGNING_KEY);
  const id = randomUUID();
  const view = { onboardingId: id, stage: 'AWAITING_PARTNER_KYC', nextAction: { type: 'OPEN_URL', purpose: 'PARTNER_KYC', url: '' }, ids: { verificationId: 'ver-42' } };
  const link = (verificationId = 'ver-42', exp = Math.floor(Date.now() / 1000) + PARTNER_KYC_LINK_TTL_SECONDS) =>
    `/onboardings/${id}/partner-kyc?v=${verificationId}&exp=${exp}&sig=${secrets.signPartnerKycLink(id, verificationId, exp)}`;

  it('checks the signature before asking Temporal anything: a forged or expired link costs the worker nothing', async () => {
    const stub = stubClient(view);
    const { url } = await serve({ client: stub.client });
    const exp = Math.floor(Date.now() / 1000) + 60;
    const forged = await call(url, 'GET', `/onboardings/${id}/partner-kyc?v=ver-42&exp=${exp}&sig=${'A'.repeat(43)}`);
    expect(forged.status).toBe(403);
    const otherVerification = await call(url, 'GET', link('ver-42').replace('v=ver-42', 'v=ver-43'));
    expect(otherVerification.status).toBe(403);
    const expired = await call(url, 'GET', link('ver-42', Math.floor(Date.now() / 1000) - 1));
    expect(expired.status).toBe(410);
    expect(stub.calls).toEqual([]);
    // A valid link asks, and serves the page in a sandboxed, unframeable document.
    const ok = await call(url, 'GET', link());
    expect(ok.status).toBe(200);
    expect(stub.calls).toEqual(['query']);
    expect(ok.headers.get('content-security-policy')).toMatch(/sandbox .*frame-ancestors 'none'/);
    expect(ok.headers.get('cache-control')).toBe('no-store');
  });

  it('follows P100 redirects only to TRUSTED_URL_HOSTS', async () => {
    const to = (location: string) => async () => ({ status: 302, contentType: undefined, location, body: '' });
    const trusted = await serve({ client: stubClient(view).client, api: { TRUSTED_URL_HOSTS: ['verify.partner.example'] }, partnerKycPage: to('https://verify.partner.example/v/1') });
    const followed = await fetch(`${trusted.url}${link()}`, { redirect: 'manual' });
    expect(followed.status).toBe(302);
    expect(followed.headers.get('location')).toBe('https://verify.partner.example/v/1');
    const evil = await serve({ client: stubClient(view).client, api: { TRUSTED_URL_HOSTS: ['verify.partner.example'] }, partnerKycPage: to('https://evil.example/phish') });
    const refused = await fetch(`${evil.url}${link()}`, { redirect: 'manual' });
    expect(refused.status).toBe(502);
    expect(refused.headers.get('location')).toBeNull();
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
  });
});

describe('wrong ops keys', () => {
  it('are counted, and past OPS_AUTH_MAX_FAILURES a minute from one address answered 429 with Retry-After, even with the right key', async () => {
    const { url, metrics } = await serve({ api: { OPS_AUTH_MAX_FAILURES: 3 } });
    for (let i = 0; i < 3; i++) {
      expect((await call(url, 'GET', '/ops/onboardings', { token: `wrong-ops-key-${i}-0123456789` })).status).toBe(401);
    }
    const throttled = await call(url, 'GET', '/ops/onboardings', { token: 'wrong-ops-key-x-0123456789' });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(throttled.contentType).toContain('application/problem+json');
    expect((await call(url, 'GET', `/onboardings/${randomUUID()}`, { token: OPS_API_KEY })).status).toBe(429);
    const text = await metrics.registry.getSingleMetricAsString('ops_auth_failures_total');
    expect(text).toContain('ops_auth_failures_total{outcome="rejected"} 3');
    expect(text).toContain('ops_auth_failures_total{outcome="throttled"} 2');
  });

  it('are throttled per address: another client (TRUST_PROXY) still gets in', async () => {
    const { url } = await serve({ api: { OPS_AUTH_MAX_FAILURES: 2, TRUST_PROXY: 'loopback' } });
    for (let i = 0; i < 3; i++) await call(url, 'GET', '/ops/onboardings', { token: `wrong-ops-key-${i}-0123456789`, headers: { 'x-forwarded-for': '198.51.100.7' } });
    expect((await call(url, 'GET', '/ops/onboardings', { token: OPS_API_KEY, headers: { 'x-forwarded-for': '198.51.100.7' } })).status).toBe(429);
    const other = await call(url, 'GET', '/codec/decode', { token: OPS_API_KEY, headers: { 'x-forwarded-for': '198.51.100.8' } });
    expect(other.status).not.toBe(429);
  });
});

describe('provider base URLs', () => {
  const tennpay = { TENNPAY_BASE_URL: 'http://10npay.example', TENNPAY_AUTH_URL: 'https://auth.10npay.example', TENNPAY_CLIENT_ID: 'c', TENNPAY_MERCHANT_ID: '1', TENNPAY_CLIENT_CERT: 'c.pem', TENNPAY_CLIENT_KEY: 'k.pem' };
  const partner = { PARTNER_BASE_URL: 'http://p100.example', PARTNER_API_KEY: 'k', PARTNER_WEBHOOK_TOKEN: 'w'.repeat(16) };

  it('must be https unless PROVIDER_ALLOW_HTTP=true (the sandbox and npm start)', () => {
    expect(() => loadTennpayConfig(tennpay)).toThrow(ConfigError);
    expect(() => loadTennpayConfig(tennpay)).toThrow(/TENNPAY_BASE_URL: must be an https URL/);
    expect(() => loadPartnerConfig(partner)).toThrow(/PARTNER_BASE_URL: must be an https URL/);
    expect(loadTennpayConfig({ ...tennpay, PROVIDER_ALLOW_HTTP: 'true' }).TENNPAY_BASE_URL).toBe('http://10npay.example');
    expect(loadPartnerConfig({ ...partner, PARTNER_BASE_URL: 'https://p100.example' }).PARTNER_BASE_URL).toBe('https://p100.example');
  });
});
