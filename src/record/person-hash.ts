// The person in the record only as keyed hashes: HMAC-SHA256 of the normalized e-mail (trimmed,
// lower-cased) and phone number (digits after the +), under a key derived (HKDF) from the payload
// key. A search hashes under the current key and every old one, so rotating the payload key keeps
// finding the people recorded before; without the key, a hash cannot be matched to a guess.
import { createHmac, hkdfSync } from 'node:crypto';

const HKDF_INFO = 'onboarding-record person hash v1';

export const normalizeEmail = (email: string): string => email.trim().toLowerCase();
export const normalizePhone = (phone: string): string => `+${phone.replace(/\D/g, '')}`;

export class PersonHasher {
  private readonly keys: Buffer[];

  /** `payloadKeys`: base64 of 32 bytes each, the current key first. */
  constructor(payloadKeys: readonly string[]) {
    if (payloadKeys.length === 0) throw new Error('PersonHasher needs the payload key');
    this.keys = payloadKeys.map((k) => Buffer.from(hkdfSync('sha256', Buffer.from(k, 'base64'), Buffer.alloc(0), HKDF_INFO, 32)));
  }

  private hash(key: Buffer, kind: 'email' | 'phone', value: string): Buffer {
    return createHmac('sha256', key).update(`${kind}:${value}`).digest();
  }

  /** The hash recorded for a new onboarding (current key). */
  email(email: string): Buffer {
    return this.hash(this.keys[0]!, 'email', normalizeEmail(email));
  }
  phone(phone: string): Buffer {
    return this.hash(this.keys[0]!, 'phone', normalizePhone(phone));
  }

  /** The hashes a search matches: under the current key and every old one. */
  emailCandidates(email: string): Buffer[] {
    return this.keys.map((k) => this.hash(k, 'email', normalizeEmail(email)));
  }
  phoneCandidates(phone: string): Buffer[] {
    return this.keys.map((k) => this.hash(k, 'phone', normalizePhone(phone)));
  }
}
