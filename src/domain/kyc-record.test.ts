// The KYC record's schema as the worker holds it: src/worker/workflow-preload.ts loads the domain
// into the shared workflow context, which deep-freezes it. Checking a record (the workflow's
// validator of POST …/kyc-data) must still work there, and still refuse what does not match.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { kycRecordInput } from '../activities/test-support/records';
import { storedFileSchema } from './files';
import { kycRecordSchema } from './kyc-record';

function deepFreeze(value: unknown, seen = new Set<unknown>()): void {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) return;
  seen.add(value);
  for (const key of Reflect.ownKeys(value)) {
    const d = Object.getOwnPropertyDescriptor(value, key);
    if (d && 'value' in d) deepFreeze(d.value, seen);
  }
  Object.freeze(value);
}

describe('the KYC record and file schemas, deep-frozen as in the worker’s shared workflow context', () => {
  it('check a record and a stored file, and refuse bad patterns with the field named', () => {
    void z.util.allowsEval.value; // as workflow-preload.ts does before the freeze
    // A first parse fills zod's lazy caches, as the API's own parse does in every process.
    kycRecordSchema.safeParse(kycRecordInput());
    storedFileSchema.safeParse({ fileId: 'f', contentType: 'image/png', size: 1, sha256: 'a'.repeat(64) });
    deepFreeze(kycRecordSchema);
    deepFreeze(storedFileSchema);

    expect(kycRecordSchema.safeParse(kycRecordInput()).success).toBe(true);
    const bad = kycRecordSchema.safeParse(kycRecordInput({ taxResidences: 'BG;DE' }));
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join('.'))).toEqual(['taxResidences']);
    expect(storedFileSchema.safeParse({ fileId: 'f', contentType: 'image/png', size: 1, sha256: 'b'.repeat(64) }).success).toBe(true);
    expect(storedFileSchema.safeParse({ fileId: 'f', contentType: 'image/png', size: 1, sha256: 'XYZ' }).success).toBe(false);
  });
});
