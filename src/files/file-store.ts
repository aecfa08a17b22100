// The service's file store for uploaded KYC and proof-of-address files: the bytes stay on disk
// under FILE_STORE_DIR (a shared volume in production) and only references travel through Temporal.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { StoredFile } from '../domain/files';

export class FileStore {
  constructor(private readonly dir: string) {}

  /** Stores the bytes under a fresh opaque id; the write is atomic (temp file, then rename). */
  async save(onboardingId: string, bytes: Buffer, contentType: StoredFile['contentType']): Promise<StoredFile> {
    const fileId = `${onboardingId}/${randomUUID()}`;
    const target = this.pathOf(fileId);
    await mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.part`;
    await writeFile(temp, bytes, { mode: 0o600 });
    await rename(temp, target);
    return { fileId, contentType, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  }

  /** Reads a stored file back and checks it is the one that was referenced. */
  async read(file: StoredFile): Promise<Buffer> {
    const bytes = await readFile(this.pathOf(file.fileId));
    if (createHash('sha256').update(bytes).digest('hex') !== file.sha256) {
      throw new Error(`stored file ${file.fileId} does not match its checksum`);
    }
    return bytes;
  }

  /** Removes a stored file that no onboarding took (the upload was refused); gone already is fine. */
  async remove(file: Pick<StoredFile, 'fileId'>): Promise<void> {
    await rm(this.pathOf(file.fileId), { force: true });
  }

  private pathOf(fileId: string): string {
    if (!/^[0-9a-f-]{36}\/[0-9a-f-]{36}$/.test(fileId)) throw new Error('malformed file id');
    return path.join(this.dir, fileId);
  }
}
