// The 10nPay activities and client against the provider sandbox: mTLS token, every error class,
// token expiry mid-flow, the lost create-user response, finalize "not yet".
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FailureType } from '../domain/failures';
import { thumbprintOfFile } from '../sandbox/index';
import { createActivities } from './index';
import { TennpayClient } from './tennpay/client';
import { TennpayTokenManager, readTennpayTls } from './tennpay/token-manager';
import { Pool } from 'undici';
import { expectFailure, freshUser, pollUntil, startHarness, type Harness } from './test-support/sandbox';
import { kycRecord } from './test-support/records';
import { loadTennpayConfig } from '../config';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});
beforeEach(async () => {
  await h.control.clearSwitches();
});

/** A user through e-mail and phone verification. */
async function verifiedUser() {
  const u = freshUser();
  const { userId } = await h.activities.createUser({ email: u.email });
  await h.activities.confirmEmail({ userId, code: await h.control.latestEmailCode(u.email) });
  await h.activities.sendSmsCode({ userId, phoneNumber: u.phone });
  await h.activities.verifyPhone({ userId, code: await h.control.latestSmsCode(u.phone) });
  return { ...u, userId };
}

/** A verified user who went through both Borica phases: 10nPay reports DOCUMENT_SIGN_SUCCESS. */
async function signedUser() {
  const u = await verifiedUser();
  const { url } = await h.activities.initiateIdentification({ userId: u.userId, restart: false });
  await h.control.pressBorica(url, 'success');
  const a = await pollUntil(() => h.activities.awaitIdentificationStatus({ userId: u.userId, userType: 0, target: 'SIGN_SESSION_ID_SUCCESSFULLY_CREATED' }));
  await h.control.pressBorica(a.value.url!, 'success');
  await pollUntil(() => h.activities.awaitIdentificationStatus({ userId: u.userId, userType: 0, target: 'DOCUMENT_SIGN_SUCCESS' }));
  return u;
}

describe('token over mutual TLS', () => {
  it('sends the thumbprint of the configured certificate and gets a token; concurrent callers share one request', async () => {
    const config = loadTennpayConfig(h.env);
    const tm = TennpayTokenManager.fromConfig(config);
    try {
      const thumb = tm.tokenRequest()['IdentityServer:MTLS:X509Certificate'];
      expect(thumb).toMatch(/^[0-9A-F]{40}$/);
      expect(thumb).toBe(thumbprintOfFile(h.sandbox.certs.clientCertPath));
      expect(thumb).toBe(new X509Certificate(readFileSync(h.sandbox.certs.clientCertPath)).fingerprint.replace(/:/g, ''));

      const before = (await h.control.allCounters()).tokensIssued;
      const tokens = await Promise.all(Array.from({ length: 8 }, () => tm.getToken()));
      expect(new Set(tokens).size).toBe(1);
      expect(await tm.getToken()).toBe(tokens[0]); // cached
      expect((await h.control.allCounters()).tokensIssued).toBe(before + 1);
      expect(tm.fetchCount).toBe(1);
    } finally {
      await tm.close();
    }
  });

  it('sends Basic auth when a client secret is configured (the sandbox accepts it)', async () => {
    const config = loadTennpayConfig({ ...h.env, TENNPAY_CLIENT_SECRET: 's3cret' });
    const tm = TennpayTokenManager.fromConfig(config);
    try {
      expect(await tm.getToken()).toMatch(/.{20,}/);
    } finally {
      await tm.close();
    }
  });

  it('refreshes shortly before expiry', async () => {
    const config = loadTennpayConfig(h.env);
    let now = Date.now();
    const tm = new TennpayTokenManager({
      authUrl: config.TENNPAY_AUTH_URL,
      clientId: config.TENNPAY_CLIENT_ID,
      scope: config.TENNPAY_SCOPE,
      tls: readTennpayTls(config),
      now: () => now,
    });
    try {
      const first = await tm.getToken();
      now += 3600_000 - 61_000; // a minute and a bit before the sandbox's 1 h lifetime: still cached
      expect(await tm.getToken()).toBe(first);
      now += 2_000; // inside the refresh margin
      const second = await tm.getToken();
      expect(second).not.toBe(first);
      expect(tm.fetchCount).toBe(2);
    } finally {
      await tm.close();
    }
  });

  it('a refused client (unknown client id) is a retryable Unauthorized without the secret in the message', async () => {
    const config = loadTennpayConfig({ ...h.env, TENNPAY_CLIENT_ID: 'someone-else', TENNPAY_CLIENT_SECRET: 'top-secret-value' });
    const tm = TennpayTokenManager.fromConfig(config);
    try {
      const f = await expectFailure(tm.getToken(), FailureType.Unauthorized, false);
      expect(f.message).not.toContain('top-secret-value');
      expect(f.providerDetails).toMatchObject({ provider: 'tennpay', operation: 'token', httpStatus: 400 });
    } finally {
      await tm.close();
    }
  });

  it('the TLS handshake without the registered certificate fails as a retryable connection error', async () => {
    const config = loadTennpayConfig(h.env);
    const tls = readTennpayTls(config);
    // The server's CA is trusted, but no client certificate is presented in the handshake.
    const bare = new Pool(new URL(config.TENNPAY_AUTH_URL).origin, { connect: { ca: tls.ca } });
    const tm = new TennpayTokenManager({
      authUrl: config.TENNPAY_AUTH_URL,
      clientId: config.TENNPAY_CLIENT_ID,
      scope: config.TENNPAY_SCOPE,
      tls,
      dispatcher: bare,
    });
    try {
      const f = await expectFailure(tm.getToken(), FailureType.ProviderUnavailable, false);
      expect(f.message).toContain('connection failed');
    } finally {
      await bare.close();
    }
  });
});

describe('the onboarding calls', () => {
  it('walks a user from create to finalize, with finalize before signing answered as retryable "not yet"', async () => {
    const u = await verifiedUser();
    await h.activities.addAdditionalData({ userId: u.userId, record: kycRecord() });
    expect((await h.control.user(u.userId)).additionalData).toMatchObject({ sourceOfFundId: '8', taxResidences: 'BG', isCorrespondenceAddressSame: true });

    const { url } = await h.activities.initiateIdentification({ userId: u.userId, restart: false });
    expect(url.startsWith(h.sandbox.boricaBaseUrl)).toBe(true);

    // Before the user acts: pending, and finalize says "not yet" (retryable).
    await expectFailure(
      h.activities.awaitIdentificationStatus({ userId: u.userId, userType: 0, target: 'SIGN_SESSION_ID_SUCCESSFULLY_CREATED' }),
      FailureType.IdentificationPending,
      false,
    );
    await expectFailure(
      h.activities.finalizeIdentification({ userId: u.userId, bTrustAppCallBackId: null }),
      FailureType.IdentificationNotCompleted,
      false,
    );

    const redirect = await h.control.pressBorica(url, 'success');
    const callbackId = new URL(redirect).searchParams.get('bTrustAppCallBackId');
    const phaseA = await pollUntil(() =>
      h.activities.awaitIdentificationStatus({ userId: u.userId, userType: 0, target: 'SIGN_SESSION_ID_SUCCESSFULLY_CREATED' }),
    );
    expect(phaseA.value.status).toBe('SIGN_SESSION_ID_SUCCESSFULLY_CREATED');
    expect(phaseA.value.url).toBeTruthy();

    await h.control.pressBorica(phaseA.value.url!, 'success');
    const phaseB = await pollUntil(() =>
      h.activities.awaitIdentificationStatus({ userId: u.userId, userType: 0, target: 'DOCUMENT_SIGN_SUCCESS' }),
    );
    expect(phaseB.pendings).toBeGreaterThan(0); // SIGN_SESSION… still shows briefly in Phase B
    expect(phaseB.value.status).toBe('DOCUMENT_SIGN_SUCCESS');

    const first = await h.activities.finalizeIdentification({ userId: u.userId, bTrustAppCallBackId: callbackId });
    expect(first.individualId).toBeGreaterThan(0);
    // Idempotent: the same payload again gives the same ids.
    expect(await h.activities.finalizeIdentification({ userId: u.userId, bTrustAppCallBackId: callbackId })).toEqual(first);
    expect((await h.control.counters({ userId: u.userId })).finalizeSuccesses).toBe(1);
  });

  it('getUserStatus says what 10nPay has of a user through its life (a returning person); an unknown user is UnknownUser', async () => {
    const u = freshUser();
    const { userId } = await h.activities.createUser({ email: u.email });
    const nothing = { emailVerified: false, phoneVerified: false, additionalData: false, identified: false };
    expect(await h.activities.getUserStatus({ userId })).toEqual(nothing);
    await h.activities.sendEmailConfirmation({ userId, email: u.email });
    await h.activities.confirmEmail({ userId, code: await h.control.latestEmailCode(u.email) });
    expect(await h.activities.getUserStatus({ userId })).toEqual({ ...nothing, emailVerified: true });
    await h.activities.sendSmsCode({ userId, phoneNumber: u.phone });
    await h.activities.verifyPhone({ userId, code: await h.control.latestSmsCode(u.phone) });
    await h.activities.addAdditionalData({ userId, record: kycRecord() });
    expect(await h.activities.getUserStatus({ userId })).toEqual({ emailVerified: true, phoneVerified: true, additionalData: true, identified: false });
    await expectFailure(h.activities.getUserStatus({ userId: 2147483000 }), FailureType.UnknownUser, true);

    const signed = await signedUser();
    await h.activities.finalizeIdentification({ userId: signed.userId, bTrustAppCallBackId: null });
    expect(await h.activities.getUserStatus({ userId: signed.userId })).toMatchObject({ identified: true });
  });

  it('finalize that applied its effect but answered 400 is retried to success', async () => {
    const u = await signedUser();
    await h.control.setSwitch({ name: 'finalizeRejectAfterSuccess', userId: u.userId, times: 1 });
    await expectFailure(h.activities.finalizeIdentification({ userId: u.userId, bTrustAppCallBackId: null }), FailureType.IdentificationNotCompleted, false);
    const ok = await h.activities.finalizeIdentification({ userId: u.userId, bTrustAppCallBackId: null });
    expect(ok.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await h.control.counters({ userId: u.userId })).finalizeSuccesses).toBe(1);
  });

  it('Phase A counts DOCUMENT_SIGN_SUCCESS as reached; a Borica fail is a non-retryable IdentificationFailed', async () => {
    const u = await signedUser();
    const late = await h.activities.awaitIdentificationStatus({ userId: u.userId, userType: 0, target: 'SIGN_SESSION_ID_SUCCESSFULLY_CREATED' });
    expect(late.status).toBe('DOCUMENT_SIGN_SUCCESS');

    const v = await verifiedUser();
    const start = await h.activities.initiateIdentification({ userId: v.userId, restart: false });
    await h.control.pressBorica(start.url, 'fail');
    const f = await expectFailure(
      h.activities.awaitIdentificationStatus({ userId: v.userId, userType: 0, target: 'SIGN_SESSION_ID_SUCCESSFULLY_CREATED' }),
      FailureType.IdentificationFailed,
      true,
    );
    expect(f.message).toContain('ERROR');
    // Restart opens a new session.
    const again = await h.activities.initiateIdentification({ userId: v.userId, restart: true });
    expect(again.url).not.toBe(start.url);
  });

  it('refuses a URL whose host is not on the allowlist (non-retryable UntrustedUrl)', async () => {
    const u = await verifiedUser();
    const strict = createActivities({ ...h.deps, trustedUrlHosts: ['borica.example'] });
    const f = await expectFailure(strict.initiateIdentification({ userId: u.userId, restart: false }), FailureType.UntrustedUrl, true);
    expect(f.message).toContain('127.0.0.1');
  });
});

describe('error classes', () => {
  it('the lost create-user response: the retry answers EmailAlreadyRegistered and exactly one user exists', async () => {
    const u = freshUser();
    await h.control.setSwitch({ name: 'responseLost', endpoint: 'tennpay.createUser', email: u.email, times: 1 });
    await expectFailure(h.activities.createUser({ email: u.email }), FailureType.ProviderUnavailable, false);
    const f = await expectFailure(h.activities.createUser({ email: u.email }), FailureType.EmailAlreadyRegistered, true);
    expect(f.message).not.toContain(u.email);
    expect(f.providerDetails?.fields).toEqual(['Email']);
    expect((await h.control.counters({ email: u.email })).usersCreated).toBe(1);
  });

  it('wrong e-mail code → InvalidCode; the right one passes; resend sends a new code', async () => {
    const u = freshUser();
    const { userId } = await h.activities.createUser({ email: u.email });
    const code = await h.control.latestEmailCode(u.email);
    const wrong = code === '000000' ? '111111' : '000000';
    const f = await expectFailure(h.activities.confirmEmail({ userId, code: wrong }), FailureType.InvalidCode, true);
    expect(f.message).not.toContain(wrong);
    await h.activities.sendEmailConfirmation({ userId, email: u.email });
    expect((await h.control.codes('email', u.email)).length).toBe(2);
    await h.activities.confirmEmail({ userId, code: await h.control.latestEmailCode(u.email) });
  });

  it('phone already registered → PhoneAlreadyRegistered', async () => {
    const first = await verifiedUser();
    const other = freshUser();
    const { userId } = await h.activities.createUser({ email: other.email });
    await h.activities.confirmEmail({ userId, code: await h.control.latestEmailCode(other.email) });
    const f = await expectFailure(h.activities.sendSmsCode({ userId, phoneNumber: first.phone }), FailureType.PhoneAlreadyRegistered, true);
    expect(f.message).not.toContain(first.phone.slice(4));
  });

  it('resend too soon → ResendNotAllowed; after the cooldown it works', async () => {
    const u = freshUser();
    const { userId } = await h.activities.createUser({ email: u.email });
    await h.activities.confirmEmail({ userId, code: await h.control.latestEmailCode(u.email) });
    await h.activities.sendSmsCode({ userId, phoneNumber: u.phone });
    await expectFailure(h.activities.resendSmsCode({ userId }), FailureType.ResendNotAllowed, true);
    await new Promise((r) => setTimeout(r, 350));
    await h.activities.resendSmsCode({ userId });
    expect((await h.control.codes('sms', u.phone)).length).toBe(2);
  });

  it('wrong SMS codes → InvalidCode, then CodeBlocked', async () => {
    const u = freshUser();
    const { userId } = await h.activities.createUser({ email: u.email });
    await h.activities.confirmEmail({ userId, code: await h.control.latestEmailCode(u.email) });
    await h.activities.sendSmsCode({ userId, phoneNumber: u.phone });
    const right = await h.control.latestSmsCode(u.phone);
    const wrong = right === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) await expectFailure(h.activities.verifyPhone({ userId, code: wrong }), FailureType.InvalidCode, true);
    await expectFailure(h.activities.verifyPhone({ userId, code: right }), FailureType.CodeBlocked, true);
  });

  it('identification before the phone is verified → NotEligible; unknown user → UnknownUser (all-null 404)', async () => {
    const u = freshUser();
    const { userId } = await h.activities.createUser({ email: u.email });
    await expectFailure(h.activities.initiateIdentification({ userId, restart: false }), FailureType.NotEligible, true);
    await expectFailure(h.activities.getIdentificationStatus({ userId: 2147483000, userType: 0 }), FailureType.UnknownUser, true);
    await expectFailure(h.activities.finalizeIdentification({ userId: 2147483000, bTrustAppCallBackId: null }), FailureType.UnknownUser, true);
  });

  it('invalid KYC data for 10nPay → non-retryable ValidationFailed naming the field', async () => {
    const u = await verifiedUser();
    const record = kycRecord({
      finances: { sourceOfFundId: '99', accountPurposeCode: 'DAILY_PAYMENTS', mainActivityCode: 'EMPLOYED', incomeSource: 'OTHER', openAccountReason: 'DAILY_USE' },
    });
    const f = await expectFailure(h.activities.addAdditionalData({ userId: u.userId, record }), FailureType.ValidationFailed, true);
    expect(f.providerDetails?.fields?.join(',')).toMatch(/SourceOfFundId/i);
  });

  it('empty 5xx → retryable ProviderUnavailable; the next call succeeds', async () => {
    const u = freshUser();
    await h.control.setSwitch({ name: 'serverError', endpoint: 'tennpay.createUser', email: u.email, times: 1, status: 503 });
    const f = await expectFailure(h.activities.createUser({ email: u.email }), FailureType.ProviderUnavailable, false);
    expect(f.providerDetails?.httpStatus).toBe(503);
    expect((await h.activities.createUser({ email: u.email })).userId).toBeGreaterThan(0);
  });

  it('429 → RateLimited with nextRetryDelay from Retry-After', async () => {
    const u = await verifiedUser();
    await h.control.setSwitch({ name: 'rateLimit', endpoint: 'tennpay.identificationStatus', userId: u.userId, times: 1, retryAfterSec: 4 });
    const f = await expectFailure(h.activities.getIdentificationStatus({ userId: u.userId, userType: 0 }), FailureType.RateLimited, false);
    expect(f.nextRetryDelay).toBe(4000);
  });

  it('a malformed 2xx body → retryable MalformedResponse', async () => {
    const u = await verifiedUser();
    await h.activities.initiateIdentification({ userId: u.userId, restart: false });
    await h.control.setSwitch({ name: 'malformed', endpoint: 'tennpay.identificationStatus', userId: u.userId, times: 1 });
    await expectFailure(h.activities.getIdentificationStatus({ userId: u.userId, userType: 0 }), FailureType.MalformedResponse, false);
  });

  it('a response slower than the timeout → retryable ProviderUnavailable (timed out)', async () => {
    const u = freshUser();
    await h.control.setSwitch({ name: 'slow', endpoint: 'tennpay.createUser', email: u.email, times: 1, delayMs: 1500 });
    const config = loadTennpayConfig(h.env);
    const client = new TennpayClient({
      baseUrl: config.TENNPAY_BASE_URL,
      merchantId: 42,
      tokens: TennpayTokenManager.fromConfig(config),
      timeoutMs: 300,
    });
    try {
      const f = await expectFailure(client.createUser(u.email), FailureType.ProviderUnavailable, false);
      expect(f.message).toContain('timed out');
    } finally {
      await client.close();
    }
  });

  it('cancelling the activity aborts the request', async () => {
    const u = freshUser();
    await h.control.setSwitch({ name: 'slow', endpoint: 'tennpay.createUser', email: u.email, times: 1, delayMs: 3000 });
    const env = new MockActivityEnvironment();
    const started = Date.now();
    const p = env.run(h.activities.createUser, { email: u.email });
    setTimeout(() => env.cancel(), 200);
    await expect(p).rejects.toBeInstanceOf(CancelledFailure);
    expect(Date.now() - started).toBeLessThan(2500);
  });
});

describe('token expiry mid-flow', () => {
  it('a revoked token is refreshed once and the call retried', async () => {
    const u = freshUser();
    const { userId } = await h.activities.createUser({ email: u.email });
    const before = (await h.control.allCounters()).tokensIssued;
    expect(await h.control.revokeTokens()).toBeGreaterThan(0);
    await h.activities.confirmEmail({ userId, code: await h.control.latestEmailCode(u.email) });
    expect((await h.control.allCounters()).tokensIssued).toBe(before + 1);
  });

  it('a token that dies before its expires_in is replaced on the 401', async () => {
    await h.control.revokeTokens();
    await h.control.setSwitch({ name: 'tokenExpiresEarly', times: 1, afterMs: 150 });
    const u = freshUser();
    const { userId } = await h.activities.createUser({ email: u.email }); // fetches the short-lived token
    await new Promise((r) => setTimeout(r, 250));
    const before = (await h.control.allCounters()).tokensIssued;
    await h.activities.confirmEmail({ userId, code: await h.control.latestEmailCode(u.email) });
    expect((await h.control.allCounters()).tokensIssued).toBe(before + 1);
  });

  it('a 401 that persists after the refresh is a retryable Unauthorized (one refresh only)', async () => {
    const config = loadTennpayConfig(h.env);
    let fetched = 0;
    const client = new TennpayClient({
      baseUrl: config.TENNPAY_BASE_URL,
      merchantId: 42,
      tokens: {
        getToken: () => Promise.resolve(`not-a-token-${++fetched}`),
        invalidate: () => undefined,
      },
    });
    try {
      const f = await expectFailure(client.getUserStatus(1), FailureType.Unauthorized, false);
      expect(f.message).not.toContain('not-a-token');
      expect(fetched).toBe(2);
    } finally {
      await client.close();
    }
  });
});
