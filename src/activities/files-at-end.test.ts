// The worker deletes an onboarding's uploaded documents when the record change of its end is
// written (CONTRACT part 4, "Files"), whatever the end, and keeps them while it runs.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Stage } from '../domain/onboarding';
import { FileStore } from '../files/file-store';
import type { RecordChange } from '../record/changes';
import { createActivities, type ActivityDependencies } from './index';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function activitiesWithFiles() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'files-at-end-'));
  dirs.push(dir);
  const fileStore = new FileStore(dir, { current: randomBytes(32).toString('base64') });
  // No provider is called by recordChanges; the clients are never used here.
  const deps = { fileStore, trustedUrlHosts: [] } as unknown as ActivityDependencies;
  return { fileStore, activities: createActivities(deps) };
}

const change = (onboardingId: string, seq: number, stage: Stage): RecordChange => ({
  onboardingId,
  seq,
  at: new Date().toISOString(),
  event: { type: 'STAGE_CHANGED', stage, previousStage: null },
  stage,
  stageEnteredAt: new Date().toISOString(),
  ids: {},
  opening: { userType: 'INDIVIDUAL', email: 'e@example.test', phoneNumber: '+359888000000', startedAt: new Date().toISOString() },
});

describe('recordChanges and the uploaded files', () => {
  it.each(['COMPLETED', 'FAILED', 'CANCELLED', 'ABANDONED'] as const)('deletes the files of an onboarding whose end (%s) it wrote', async (end) => {
    const { fileStore, activities } = activitiesWithFiles();
    const id = randomUUID();
    const file = await fileStore.save(id, Buffer.from('%PDF-1.7\nan ID document\n%%EOF\n'), 'application/pdf');
    await activities.recordChanges([change(id, 1, 'AWAITING_FILES'), change(id, 2, end)]);
    await expect(fileStore.read(file)).rejects.toThrow();
  });

  it('keeps the files of an onboarding that has not ended, and of the others', async () => {
    const { fileStore, activities } = activitiesWithFiles();
    const running = randomUUID();
    const other = randomUUID();
    const kept = await fileStore.save(running, Buffer.from('%PDF-1.7\nkept\n%%EOF\n'), 'application/pdf');
    const ofOther = await fileStore.save(other, Buffer.from('%PDF-1.7\nother\n%%EOF\n'), 'application/pdf');
    await activities.recordChanges([change(running, 3, 'VERIFYING_PARTNER_ACCOUNT')]);
    expect((await fileStore.read(kept)).toString()).toContain('kept');
    expect((await fileStore.read(ofOther)).toString()).toContain('other');
  });
});
