// The file store keeps uploads encrypted at rest under the payload key (CONTRACT part 4, "Files").
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStore, FileStoreError } from './file-store';

const key = () => randomBytes(32).toString('base64');
const dirs: string[] = [];
const newDir = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'file-store-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('jpeg body with a personal number 8001011234')]);
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('png body 8001011234')]);
const PDF = Buffer.from('%PDF-1.7\nID card of Testa Fictiva 8001011234\n%%EOF\n');

describe('FileStore', () => {
  it('writes no file that starts with a JPEG, PNG or PDF signature or holds the plain bytes, and reads them back', async () => {
    const dir = newDir();
    const store = new FileStore(dir, { current: key() });
    const id = randomUUID();
    const stored = await Promise.all([
      store.save(id, JPEG, 'image/jpeg'),
      store.save(id, PNG, 'image/png'),
      store.save(id, PDF, 'application/pdf'),
    ]);
    for (const name of readdirSync(path.join(dir, id))) {
      const raw = readFileSync(path.join(dir, id, name));
      expect(raw.subarray(0, 3).equals(JPEG.subarray(0, 3))).toBe(false);
      expect(raw.subarray(0, 8).equals(PNG.subarray(0, 8))).toBe(false);
      expect(raw.subarray(0, 5).toString('latin1')).not.toBe('%PDF-');
      expect(raw.includes(Buffer.from('8001011234'))).toBe(false);
    }
    expect(await store.read(stored[0]!)).toEqual(JPEG);
    expect(await store.read(stored[1]!)).toEqual(PNG);
    expect(await store.read(stored[2]!)).toEqual(PDF);
  });

  it('reads files written before a rotation while the old key is listed; without it, says which key is missing', async () => {
    const dir = newDir();
    const [oldKey, newKey] = [key(), key()];
    const file = await new FileStore(dir, { current: oldKey }).save(randomUUID(), PDF, 'application/pdf');
    expect(await new FileStore(dir, { current: newKey, old: [oldKey] }).read(file)).toEqual(PDF);
    await expect(new FileStore(dir, { current: newKey }).read(file)).rejects.toThrow(/encrypted with key [0-9a-f]{16}, which is not configured/);
  });

  it('refuses a tampered file or one moved to another onboarding', async () => {
    const dir = newDir();
    const store = new FileStore(dir, { current: key() });
    const file = await store.save(randomUUID(), PNG, 'image/png');
    const p = path.join(dir, file.fileId);
    const raw = readFileSync(p);
    raw[raw.length - 20] = raw[raw.length - 20]! ^ 0xff;
    writeFileSync(p, raw);
    await expect(store.read(file)).rejects.toThrow();
    const other = await store.save(randomUUID(), PNG, 'image/png');
    const moved = { ...other, fileId: `${randomUUID()}/${other.fileId.split('/')[1]}` };
    const movedPath = path.join(dir, moved.fileId);
    await import('node:fs/promises').then((fs) => fs.mkdir(path.dirname(movedPath), { recursive: true }).then(() => fs.copyFile(path.join(dir, other.fileId), movedPath)));
    await expect(store.read(moved)).rejects.toThrow();
  });

  it('removes every file of an onboarding', async () => {
    const dir = newDir();
    const store = new FileStore(dir, { current: key() });
    const id = randomUUID();
    await store.save(id, PNG, 'image/png');
    await store.save(id, PDF, 'application/pdf');
    await store.removeAllOf(id);
    expect(readdirSync(dir)).toEqual([]);
    await store.removeAllOf(id);
    expect(() => new FileStore(dir, { current: Buffer.alloc(8).toString('base64') })).toThrow(FileStoreError);
  });
});
