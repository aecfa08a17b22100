// The API's keyed secrets, all derived by HKDF from PAYLOAD_ENCRYPTION_KEY, so nothing has to be
// stored and every API instance (and a restarted one) computes the same values:
// - the onboarding's access token (base64url HMAC of its id), checked in constant time;
// - onboarding ids derived from an externalRef or an Idempotency-Key (stable, no personal data);
// - hashes kept in search attributes and the memo (externalRef, request body, Idempotency-Key);
// - the signature of the short-lived partner-KYC link;
// - the MAC on the ops list's page tokens (Temporal answers a forged token with an error it retries
//   until the deadline, so only tokens this API issued, for the same filters, reach it).
import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

const SALT = Buffer.from('onboarding-api');

function derive(masterKeyBase64: string, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(masterKeyBase64, 'base64'), SALT, Buffer.from(info), 32));
}

const hmac = (key: Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** Constant-time comparison of two strings of any length (both hashed first). */
export function constantTimeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

/** A UUID (version 8 layout: custom) whose bits come from a MAC. */
function uuidFrom(mac: Buffer): string {
  const b = Buffer.from(mac.subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** JSON with object keys sorted, so equal bodies hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export const ACCESS_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export class ApiSecrets {
  private readonly accessKey: Buffer;
  private readonly idKey: Buffer;
  private readonly hashKey: Buffer;
  private readonly linkKey: Buffer;
  private readonly pageKey: Buffer;

  constructor(payloadEncryptionKeyBase64: string) {
    this.accessKey = derive(payloadEncryptionKeyBase64, 'onboarding-access-token');
    this.idKey = derive(payloadEncryptionKeyBase64, 'onboarding-id');
    this.hashKey = derive(payloadEncryptionKeyBase64, 'onboarding-hashes');
    this.linkKey = derive(payloadEncryptionKeyBase64, 'partner-kyc-link');
    this.pageKey = derive(payloadEncryptionKeyBase64, 'ops-page-token');
  }

  accessTokenFor(onboardingId: string): string {
    return hmac(this.accessKey, onboardingId).toString('base64url');
  }

  checkAccessToken(onboardingId: string, token: string): boolean {
    const expected = Buffer.from(this.accessTokenFor(onboardingId), 'utf8');
    const given = Buffer.from(token, 'utf8');
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  onboardingIdForExternalRef(externalRef: string): string {
    return uuidFrom(hmac(this.idKey, `ref:${externalRef}`));
  }

  onboardingIdForIdempotencyKey(key: string): string {
    return uuidFrom(hmac(this.idKey, `idem:${key}`));
  }

  /** Keyed hash (hex) for search attributes and memo: equal inputs match, inputs stay secret. */
  hash(kind: 'ref' | 'idem' | 'body' | 'update', value: string): string {
    return hmac(this.hashKey, `${kind}:${value}`).toString('hex');
  }

  signPartnerKycLink(onboardingId: string, verificationId: string, exp: number): string {
    return hmac(this.linkKey, `${onboardingId}\n${verificationId}\n${exp}`).toString('base64url');
  }

  checkPartnerKycLink(onboardingId: string, verificationId: string, exp: number, sig: string): boolean {
    const expected = Buffer.from(this.signPartnerKycLink(onboardingId, verificationId, exp), 'utf8');
    const given = Buffer.from(sig, 'utf8');
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  /** Temporal's page token (base64url) with a MAC bound to the list's filters appended. */
  signPageToken(token: string, scope: string): string {
    return token + this.pageTokenMac(token, scope);
  }

  /** Temporal's page token when `signed` is one this API issued for the same scope, else undefined. */
  openPageToken(signed: string, scope: string): string | undefined {
    if (signed.length <= PAGE_TOKEN_MAC_CHARS) return undefined;
    const token = signed.slice(0, -PAGE_TOKEN_MAC_CHARS);
    const expected = Buffer.from(this.pageTokenMac(token, scope), 'utf8');
    const given = Buffer.from(signed.slice(-PAGE_TOKEN_MAC_CHARS), 'utf8');
    return expected.length === given.length && timingSafeEqual(expected, given) ? token : undefined;
  }

  private pageTokenMac(token: string, scope: string): string {
    return hmac(this.pageKey, `${scope}\n${token}`).subarray(0, 16).toString('base64url');
  }
}

/** 16 bytes of MAC in base64url. */
const PAGE_TOKEN_MAC_CHARS = 22;
