// Encrypts every payload the service hands to Temporal (workflow inputs, results, signals, updates,
// memos, and failure messages through the failure converter) with AES-256-GCM, so that personal data
// is never stored in plain text by the Temporal server. The key id travels in the payload metadata:
// PAYLOAD_ENCRYPTION_KEY encrypts, the old keys still decrypt, so keys can rotate without a migration.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec, ValueError } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

const ENCODING = 'binary/encrypted';
const METADATA_KEY_ID = 'encryption-key-id';
const METADATA_CIPHER = 'encryption-cipher';
const CIPHER = 'AES-256-GCM';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
const text = (b: Uint8Array | null | undefined): string => (b ? Buffer.from(b).toString('utf8') : '');

/** A key's id: a short digest, so the metadata names the key without revealing it. */
export const keyIdOf = (key: Buffer): string => createHash('sha256').update(key).digest('hex').slice(0, 16);

export class EncryptionCodec implements PayloadCodec {
  private readonly keys = new Map<string, Buffer>();
  private readonly currentKeyId: string;

  /** @param currentKey base64 of 32 bytes; @param oldKeys base64 keys still accepted for decryption */
  constructor(currentKey: string, oldKeys: readonly string[] = []) {
    const current = Buffer.from(currentKey, 'base64');
    this.currentKeyId = keyIdOf(current);
    for (const k of [currentKey, ...oldKeys]) {
      const key = Buffer.from(k, 'base64');
      if (key.length !== 32) throw new ValueError('payload encryption keys must be 32 bytes');
      this.keys.set(keyIdOf(key), key);
    }
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.keys.get(this.currentKeyId)!;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: utf8(ENCODING),
          [METADATA_CIPHER]: utf8(CIPHER),
          [METADATA_KEY_ID]: utf8(this.currentKeyId),
        },
        data: new Uint8Array(sealed),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (text(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCODING) return payload;
      const keyId = text(payload.metadata?.[METADATA_KEY_ID]);
      const key = this.keys.get(keyId);
      if (!key) throw new ValueError(`no payload decryption key with id ${keyId}`);
      const sealed = Buffer.from(payload.data ?? new Uint8Array());
      if (sealed.length < IV_BYTES + TAG_BYTES) throw new ValueError('encrypted payload is truncated');
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}
