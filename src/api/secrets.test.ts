// The API's derived secrets and small pure helpers: no Temporal needed.
import { randomBytes } from 'node:crypto';
import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import type { OnboardingView } from '../domain/onboarding';
import type { ApiContext } from './context';
import { decorateView, sniffContentType } from './routes/onboardings';
import { ApiSecrets, canonicalJson, constantTimeEqual } from './secrets';

const key = randomBytes(32).toString('base64');

describe('ApiSecrets', () => {
  it('derives the same access token in every instance (no storage), different per onboarding and per key', () => {
    const a = new ApiSecrets(key);
    const b = new ApiSecrets(key);
    const id = '6f1c2a4e-0000-4000-8000-000000000001';
    expect(a.accessTokenFor(id)).toBe(b.accessTokenFor(id));
    expect(a.accessTokenFor(id)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.checkAccessToken(id, b.accessTokenFor(id))).toBe(true);
    expect(a.checkAccessToken('6f1c2a4e-0000-4000-8000-000000000002', a.accessTokenFor(id))).toBe(false);
    expect(new ApiSecrets(randomBytes(32).toString('base64')).checkAccessToken(id, a.accessTokenFor(id))).toBe(false);
    expect(a.checkAccessToken(id, 'short')).toBe(false);
  });

  it('derives stable UUIDs from externalRef and Idempotency-Key, in separate spaces', () => {
    const s = new ApiSecrets(key);
    const ref = s.onboardingIdForExternalRef('abc');
    expect(ref).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(s.onboardingIdForExternalRef('abc')).toBe(ref);
    expect(s.onboardingIdForIdempotencyKey('abc')).not.toBe(ref);
  });

  it('signs partner-KYC links over id, verification and expiry', () => {
    const s = new ApiSecrets(key);
    const sig = s.signPartnerKycLink('id', 'v1', 100);
    expect(s.checkPartnerKycLink('id', 'v1', 100, sig)).toBe(true);
    expect(s.checkPartnerKycLink('id', 'v2', 100, sig)).toBe(false);
    expect(s.checkPartnerKycLink('id', 'v1', 101, sig)).toBe(false);
  });

  it('after a rotation (the old key listed), verifies what the old key signed and offers the ids it derived; unlisted keys verify nothing', () => {
    const oldKey = key;
    const before = new ApiSecrets(oldKey);
    const after = new ApiSecrets(randomBytes(32).toString('base64'), [oldKey]);
    const id = '6f1c2a4e-0000-4000-8000-000000000003';
    expect(after.checkAccessToken(id, before.accessTokenFor(id))).toBe(true);
    expect(after.checkAccessToken(id, after.accessTokenFor(id))).toBe(true);
    expect(after.accessTokenFor(id)).not.toBe(before.accessTokenFor(id));
    expect(after.checkPartnerKycLink(id, 'v1', 100, before.signPartnerKycLink(id, 'v1', 100))).toBe(true);
    expect(after.openPageToken(before.signPageToken('dG9rZW4', 'scope'), 'scope')).toBe('dG9rZW4');
    expect(after.hashMatches('idem', 'k', before.hash('idem', 'k'))).toBe(true);
    expect(after.hashMatches('idem', 'other', before.hash('idem', 'k'))).toBe(false);
    expect(after.onboardingIdsForExternalRef('abc')).toEqual([after.onboardingIdForExternalRef('abc'), before.onboardingIdForExternalRef('abc')]);
    expect(after.onboardingIdsForIdempotencyKey('abc')[1]).toBe(before.onboardingIdForIdempotencyKey('abc'));
    const unrelated = new ApiSecrets(randomBytes(32).toString('base64'));
    expect(unrelated.checkAccessToken(id, before.accessTokenFor(id))).toBe(false);
    expect(unrelated.openPageToken(before.signPageToken('dG9rZW4', 'scope'), 'scope')).toBeUndefined();
  });

  it('hashes bodies canonically and compares strings in constant time', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } })).toBe('{"a":{"d":[1,{"x":1,"y":2}]},"b":1}');
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
  });
});

describe('helpers', () => {
  it('recognises JPEG, PNG and PDF by their first bytes only', () => {
    expect(sniffContentType(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0]))).toBe('image/jpeg');
    expect(sniffContentType(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBe('image/png');
    expect(sniffContentType(Buffer.from('%PDF-1.4\n'))).toBe('application/pdf');
    expect(sniffContentType(Buffer.from('<html>'))).toBeUndefined();
    expect(sniffContentType(Buffer.alloc(0))).toBeUndefined();
  });

  it('fills the PARTNER_KYC url with a signed link on the public origin', () => {
    const secrets = new ApiSecrets(key);
    const ctx = { secrets, api: { PUBLIC_BASE_URL: 'https://onboarding.example/api/' } } as unknown as ApiContext;
    const req = { protocol: 'http', get: () => 'internal:3000' } as unknown as Request;
    const view = {
      onboardingId: '6f1c2a4e-0000-4000-8000-000000000001',
      nextAction: { type: 'OPEN_URL', purpose: 'PARTNER_KYC', url: '' },
      ids: { verificationId: 'ver-1' },
    } as unknown as OnboardingView;
    const decorated = decorateView(ctx, req, view);
    if (decorated.nextAction.type !== 'OPEN_URL') throw new Error('expected OPEN_URL');
    const url = new URL(decorated.nextAction.url);
    expect(url.origin + url.pathname).toBe(`https://onboarding.example/api/onboardings/${view.onboardingId}/partner-kyc`);
    const exp = Number(url.searchParams.get('exp'));
    expect(exp).toBeGreaterThan(Date.now() / 1000);
    expect(url.searchParams.get('v')).toBe('ver-1');
    expect(secrets.checkPartnerKycLink(view.onboardingId, 'ver-1', exp, url.searchParams.get('sig') ?? '')).toBe(true);
    // Without a verification id there is no link to give yet: the user waits.
    expect(decorateView(ctx, req, { ...view, ids: {} }).nextAction).toEqual({ type: 'WAIT' });
    // Other actions are left as the workflow gave them.
    const other = { ...view, nextAction: { type: 'OPEN_URL', purpose: 'IDENTIFICATION', url: 'https://borica.test/x' } } as OnboardingView;
    expect(decorateView(ctx, req, other)).toBe(other);
  });
});
