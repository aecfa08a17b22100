// The recordChanges local activity: the workflow's only way to write the onboarding record. It is
// safe to run any number of times for the same changes (the repository appends on (onboardingId, seq)
// once); while PostgreSQL is unreachable it fails retryably and the workflow's retry policy waits.
import { ApplicationFailure } from '@temporalio/common';
import { recordChangeSchema, type RecordChange } from './changes';
import type { OnboardingRecord } from './repository';

export interface RecordActivities {
  /** Appends the changes in their order (seq ascending). */
  recordChanges(changes: RecordChange[]): Promise<void>;
}

/** Failure type of a change the record can never accept (a bug, not an outage): not retried. */
export const INVALID_RECORD_CHANGE = 'InvalidRecordChange';

/** Without a record (no DATABASE_URL), changes are dropped: the service runs without one. */
export function createRecordActivities(record: OnboardingRecord | undefined): RecordActivities {
  return {
    async recordChanges(changes) {
      if (!record) return;
      const parsed = recordChangeSchema.array().safeParse(changes);
      if (!parsed.success) {
        throw ApplicationFailure.create({
          type: INVALID_RECORD_CHANGE,
          message: `invalid record change: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`,
          nonRetryable: true,
        });
      }
      for (const change of parsed.data) await record.append(change);
    },
  };
}
