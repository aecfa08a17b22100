// The service's file store for uploaded KYC and proof-of-address files: the bytes stay on disk
// under FILE_STORE_DIR (a shared volume in production) and only references travel through Temporal.
// Files are encrypted at rest (CONTRACT part 4, "Files"): AES-256-GCM under a key derived from
// PAYLOAD_ENCRYPTION_KEY, the key's id in each file's header (so PAYLOAD_ENCRYPTION_OLD_KEYS still
// read files written before a rotation), the file id as associated data (a file moved to another
// onboarding's path does not decrypt). No stored file starts with a JPEG, PNG or PDF signature.
// Files are deleted once P100 has them (markSent), when they are replaced, and when the onboarding ends.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { StoredFile } from '../domain/files';
import { keyIdOf } from '../temporal/encryption-codec';

/** "OBF1", then the 16-character key id, the 12-byte IV, the ciphertext and the 16-byte tag. */
const MAGIC = Buffer.from('OBF1', 'latin1');
const KEY_ID_CHARS = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = MAGIC.length + KEY_ID_CHARS + IV_BYTES;
/** Beside a file P100 has: empty, kept until the onboarding ends. */
const SENT_MARK = '.sent';

export interface FileStoreKeys {
  /** PAYLOAD_ENCRYPTION_KEY (base64 of 32 bytes): new files are written under it. */
  current: string;
  /** PAYLOAD_ENCRYPTION_OLD_KEYS: files written under them can still be read. */
  old?: readonly string[];
}

/** The file key of a payload key: its own purpose (HKDF), so file and payload ciphertexts never share a key. */
const fileKeyOf = (payloadKey: Buffer): Buffer =>
  Buffer.from(hkdfSync('sha256', payloadKey, Buffer.from('onboarding-file-store'), Buffer.from('file-encryption'), 32));

export class FileStoreError extends Error {
  override name = 'FileStoreError';
}

export class FileStore {
  private readonly currentKeyId: string;
  private readonly keys = new Map<string, Buffer>();

  constructor(
    private readonly dir: string,
    keys: FileStoreKeys,
  ) {
    const all = [keys.current, ...(keys.old ?? [])].map((k) => Buffer.from(k, 'base64'));
    for (const key of all) {
      if (key.length !== 32) throw new FileStoreError('file store keys must be 32 bytes');
      if (!this.keys.has(keyIdOf(key))) this.keys.set(keyIdOf(key), fileKeyOf(key));
    }
    this.currentKeyId = keyIdOf(all[0]!);
  }

  /** Stores the bytes, encrypted, under a fresh opaque id; the write is atomic (temp file, then rename). */
  async save(onboardingId: string, bytes: Buffer, contentType: StoredFile['contentType']): Promise<StoredFile> {
    const fileId = `${onboardingId}/${randomUUID()}`;
    const target = this.pathOf(fileId);
    await mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.part`;
    await writeFile(temp, this.seal(fileId, bytes), { mode: 0o600 });
    await rename(temp, target);
    return { fileId, contentType, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  }

  /** Reads a stored file back, decrypted, and checks it is the one that was referenced. */
  async read(file: StoredFile): Promise<Buffer> {
    const stored = await readFile(this.pathOf(file.fileId));
    // Files written before encryption at rest have no header; their checksum still guards them.
    const bytes = stored.subarray(0, MAGIC.length).equals(MAGIC) ? this.open(file.fileId, stored) : stored;
    if (createHash('sha256').update(bytes).digest('hex') !== file.sha256) {
      throw new FileStoreError(`stored file ${file.fileId} does not match its checksum`);
    }
    return bytes;
  }

  /** Removes a stored file; gone already is fine. */
  async remove(file: Pick<StoredFile, 'fileId'>): Promise<void> {
    await rm(this.pathOf(file.fileId), { force: true });
  }

  /**
   * P100 has the file: it is deleted, and an empty mark stays in its place until the onboarding
   * ends, so that a retried upload whose answer was lost after the deletion knows it was sent.
   */
  async markSent(file: Pick<StoredFile, 'fileId'>): Promise<void> {
    const target = this.pathOf(file.fileId);
    await writeFile(`${target}${SENT_MARK}`, '', { mode: 0o600 });
    await rm(target, { force: true });
  }

  /** Every one of the files was sent to P100 and deleted (markSent). */
  async allSent(files: readonly Pick<StoredFile, 'fileId'>[]): Promise<boolean> {
    if (files.length === 0) return false;
    const marks = await Promise.all(files.map((f) => stat(`${this.pathOf(f.fileId)}${SENT_MARK}`).then(() => true, () => false)));
    return marks.every(Boolean);
  }

  /** Removes every file of an onboarding (it ended, however it ended); none is fine. */
  async removeAllOf(onboardingId: string): Promise<void> {
    if (!/^[0-9a-f-]{36}$/.test(onboardingId)) throw new FileStoreError('malformed onboarding id');
    await rm(path.join(this.dir, onboardingId), { recursive: true, force: true });
  }

  private seal(fileId: string, plain: Buffer): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentKeyId)!, iv);
    cipher.setAAD(Buffer.from(fileId, 'utf8'));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([MAGIC, Buffer.from(this.currentKeyId, 'latin1'), iv, body, cipher.getAuthTag()]);
  }

  private open(fileId: string, sealed: Buffer): Buffer {
    if (sealed.length < HEADER_BYTES + TAG_BYTES) throw new FileStoreError(`stored file ${fileId} is truncated`);
    const keyId = sealed.subarray(MAGIC.length, MAGIC.length + KEY_ID_CHARS).toString('latin1');
    const key = this.keys.get(keyId);
    if (!key) throw new FileStoreError(`stored file ${fileId} was encrypted with key ${keyId}, which is not configured (PAYLOAD_ENCRYPTION_OLD_KEYS)`);
    const iv = sealed.subarray(MAGIC.length + KEY_ID_CHARS, HEADER_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(fileId, 'utf8'));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(HEADER_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
  }

  private pathOf(fileId: string): string {
    if (!/^[0-9a-f-]{36}\/[0-9a-f-]{36}$/.test(fileId)) throw new FileStoreError('malformed file id');
    return path.join(this.dir, fileId);
  }
}
