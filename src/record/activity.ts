// The recordChanges local activity: the workflow's only way to write the onboarding record. It is
// safe to run any number of times for the same changes (the repository appends on (onboardingId, seq)
// once); while PostgreSQL is unreachable it fails retryably and the workflow's retry policy waits.
import { log } from '@temporalio/activity';
import { recordChangeSchema, type RecordChange } from './changes';
import type { OnboardingRecord } from './repository';

export interface RecordActivities {
  /** Appends the changes in their order (seq ascending). */
  recordChanges(changes: RecordChange[]): Promise<void>;
}

/** Without a record (no DATABASE_URL), changes are dropped: the service runs without one. */
export function createRecordActivities(record: OnboardingRecord | undefined): RecordActivities {
  return {
    async recordChanges(changes) {
      if (!record) return;
      const parsed = recordChangeSchema.array().safeParse(changes);
      if (!parsed.success) {
        // A bug, not an outage: retrying cannot help, and a failed local activity is no way to
        // tell the workflow (it only waits): said loudly here, with the paths, never the values.
        log.error('Changes the record cannot accept were dropped', {
          seqs: changes.map((c) => c?.seq),
          paths: parsed.error.issues.map((i) => i.path.join('.')),
        });
        return;
      }
      for (const change of parsed.data) await record.append(change);
    },
  };
}
