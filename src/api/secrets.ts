// The API's keyed secrets, all derived by HKDF from API_SIGNING_KEY (never from the payload key,
// so rotating PAYLOAD_ENCRYPTION_KEY touches none of them), so nothing has to be stored and every
// API instance (and a restarted one) computes the same values:
// - the onboarding's access token (base64url HMAC of its id), checked in constant time;
// - onboarding ids derived from an externalRef or an Idempotency-Key (stable, no personal data);
// - hashes kept in search attributes and the memo (externalRef, request body, Idempotency-Key);
// - the signature of the short-lived partner-KYC link;
// - the MAC on the ops list's page tokens (Temporal answers a forged token with an error it retries
//   until the deadline, so only tokens this API issued, for the same filters, reach it).
// Rotation (API_SIGNING_OLD_KEYS): new values are made with the current key; every check accepts
// the old keys too, and the ids an old key derived are offered as candidates, so a repeated
// externalRef still finds the onboarding it started before the rotation.
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

/** The keys derived from one signing key, one per purpose. */
class SigningKeys {
  readonly access: Buffer;
  readonly id: Buffer;
  readonly hash: Buffer;
  readonly link: Buffer;
  readonly page: Buffer;

  constructor(signingKeyBase64: string) {
    this.access = derive(signingKeyBase64, 'onboarding-access-token');
    this.id = derive(signingKeyBase64, 'onboarding-id');
    this.hash = derive(signingKeyBase64, 'onboarding-hashes');
    this.link = derive(signingKeyBase64, 'partner-kyc-link');
    this.page = derive(signingKeyBase64, 'ops-page-token');
  }
}

const equalStrings = (expected: string, given: string): boolean => {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
};

export class ApiSecrets {
  /** The current key first, then the old ones that still verify. */
  private readonly keys: SigningKeys[];

  constructor(signingKeyBase64: string, oldSigningKeysBase64: readonly string[] = []) {
    this.keys = [signingKeyBase64, ...oldSigningKeysBase64].map((k) => new SigningKeys(k));
  }

  private get current(): SigningKeys {
    return this.keys[0]!;
  }

  /** True when `check` holds for any key; every key is tried, so timing does not tell which. */
  private anyKey(check: (k: SigningKeys) => boolean): boolean {
    return this.keys.map(check).some(Boolean);
  }

  accessTokenFor(onboardingId: string): string {
    return hmac(this.current.access, onboardingId).toString('base64url');
  }

  checkAccessToken(onboardingId: string, token: string): boolean {
    return this.anyKey((k) => equalStrings(hmac(k.access, onboardingId).toString('base64url'), token));
  }

  onboardingIdForExternalRef(externalRef: string): string {
    return this.onboardingIdsForExternalRef(externalRef)[0]!;
  }

  onboardingIdForIdempotencyKey(key: string): string {
    return this.onboardingIdsForIdempotencyKey(key)[0]!;
  }

  /** The id under the current key first, then the ids the old keys derived (an onboarding started before a rotation). */
  onboardingIdsForExternalRef(externalRef: string): string[] {
    return this.keys.map((k) => uuidFrom(hmac(k.id, `ref:${externalRef}`)));
  }

  onboardingIdsForIdempotencyKey(key: string): string[] {
    return this.keys.map((k) => uuidFrom(hmac(k.id, `idem:${key}`)));
  }

  /** Keyed hash (hex) for search attributes and memo: equal inputs match, inputs stay secret. */
  hash(kind: 'ref' | 'idem' | 'body' | 'update', value: string): string {
    return hmac(this.current.hash, `${kind}:${value}`).toString('hex');
  }

  /** Whether `stored` is the hash of `value` under the current or an old key. */
  hashMatches(kind: 'ref' | 'idem' | 'body' | 'update', value: string, stored: string | undefined): boolean {
    if (stored === undefined) return false;
    return this.anyKey((k) => equalStrings(hmac(k.hash, `${kind}:${value}`).toString('hex'), stored));
  }

  signPartnerKycLink(onboardingId: string, verificationId: string, exp: number): string {
    return this.linkSignature(this.current, onboardingId, verificationId, exp);
  }

  checkPartnerKycLink(onboardingId: string, verificationId: string, exp: number, sig: string): boolean {
    return this.anyKey((k) => equalStrings(this.linkSignature(k, onboardingId, verificationId, exp), sig));
  }

  private linkSignature(k: SigningKeys, onboardingId: string, verificationId: string, exp: number): string {
    return hmac(k.link, `${onboardingId}\n${verificationId}\n${exp}`).toString('base64url');
  }

  /** Temporal's page token (base64url) with a MAC bound to the list's filters appended. */
  signPageToken(token: string, scope: string): string {
    return token + this.pageTokenMac(this.current, token, scope);
  }

  /** Temporal's page token when `signed` is one this API issued for the same scope, else undefined. */
  openPageToken(signed: string, scope: string): string | undefined {
    if (signed.length <= PAGE_TOKEN_MAC_CHARS) return undefined;
    const token = signed.slice(0, -PAGE_TOKEN_MAC_CHARS);
    const given = signed.slice(-PAGE_TOKEN_MAC_CHARS);
    return this.anyKey((k) => equalStrings(this.pageTokenMac(k, token, scope), given)) ? token : undefined;
  }

  private pageTokenMac(k: SigningKeys, token: string, scope: string): string {
    return hmac(k.page, `${scope}\n${token}`).subarray(0, 16).toString('base64url');
  }
}

/** 16 bytes of MAC in base64url. */
const PAGE_TOKEN_MAC_CHARS = 22;
