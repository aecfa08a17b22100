// The workflow's side of the onboarding record: each change gets the next seq (1, 2, 3… per
// onboarding, decided by the workflow, so a replay numbers it the same) and waits in the workflow's
// state until the next flush, which hands every waiting change to one recordChanges local activity;
// flushes run one after the other. Whatever crashes in between, a change is written until it
// succeeds and written once (the record appends on (onboardingId, seq)), and never before the
// change numbered before it. Record writes are not cancelled with the onboarding.
//
// Each flush is one marker in the history: Progress flushes where the onboarding starts to wait
// for someone (a user, a partner, ops) or ends, so changes the workflow passes through while it
// works (a stage between two provider calls) travel with the next one.
//
// PostgreSQL down (patch record-catch-up): after two quick tries inside the workflow task, the
// changes go to an ordinary activity that Temporal retries at most 10 s apart until they are
// written. Its retries cost no history and hold no workflow task (queries and updates are answered
// meanwhile), and the record catches up within seconds of PostgreSQL coming back, where a local
// activity's retries on timers would cost five events each and wait up to a minute.
import { CancellationScope, log, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { RecordActivities } from '../record/activity';
import type { RecordChange, RecordEvent, RecordIds } from '../record/changes';
import type { OnboardingView, Stage } from '../domain/onboarding';

const { recordChanges } = proxyLocalActivities<RecordActivities>({
  startToCloseTimeout: '10s',
  // PostgreSQL down: retried for as long as it takes, at most a minute apart. The activity never
  // fails for good (a change it cannot accept is logged and dropped there): in the ops tests, workers
  // whose local activity failed for good (not registered) left histories that did not replay.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
  // Retries beyond this wait on a server timer rather than holding the workflow task.
  localRetryThreshold: '10s',
});

// With views (patch record-views) callers' answers wait on the record's writes, and a local activity
// retrying inside a workflow task holds every update behind it: retries beyond the first second
// wait on a server timer instead (a few events more, only while PostgreSQL is down).
const { recordChanges: recordChangesBriefly } = proxyLocalActivities<RecordActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
  localRetryThreshold: '1s',
});

// The quick tries of record-catch-up: a write takes milliseconds; a dead pooled connection after
// PostgreSQL restarted fails once.
const { recordChanges: recordChangesNow } = proxyLocalActivities<RecordActivities>({
  startToCloseTimeout: '5s',
  retry: { initialInterval: '200ms', maximumAttempts: 2 },
});

// ...then until written: no schedule-to-close, the changes wait as long as PostgreSQL does.
const { recordChanges: recordChangesOnceReachable } = proxyActivities<RecordActivities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' },
});

/**
 * How the writer writes: `in-task` retries inside the workflow task (the record's first version),
 * `brief` leaves the task after a second (record-views), `catch-up` hands what two quick tries
 * could not write to an activity retried until written (record-catch-up).
 */
export type RecordWrites = 'in-task' | 'brief' | 'catch-up';

export interface RecordState {
  stage: Stage;
  stageEnteredAt: Date;
  ids: RecordIds & Record<string, unknown>;
}

export class RecordWriter {
  private seq = 0;
  private pending: RecordChange[] = [];
  private written: Promise<void> = Promise.resolve();
  /** The JSON of the last view queued: a flush adds a view-only change when the view moved since. */
  private lastView: string | undefined;

  constructor(
    private readonly onboardingId: string,
    private readonly opening: RecordChange['opening'],
    private readonly writes: RecordWrites = 'in-task',
  ) {}

  /**
   * Queues a change, with the state the onboarding is in after it (and its view, once views are
   * recorded); flush() sends it. A change without an event changes only the view.
   */
  queue(event: RecordEvent | undefined, state: RecordState, view?: OnboardingView): void {
    const { userId, individualId, partnerUserId, externalUserId, verificationId } = state.ids;
    const change: RecordChange = {
      onboardingId: this.onboardingId,
      seq: ++this.seq,
      at: new Date().toISOString(),
      ...(event ? { event } : {}),
      ...(view ? { view } : {}),
      stage: state.stage,
      stageEnteredAt: state.stageEnteredAt.toISOString(),
      ids: { userId, individualId, partnerUserId, externalUserId, verificationId },
      opening: this.opening,
    };
    this.pending.push(change);
    if (view) this.lastView = JSON.stringify(view);
  }

  /** Queues a view-only change when the view differs from the last one queued. */
  queueViewIfChanged(state: RecordState, view: OnboardingView): void {
    if (JSON.stringify(view) === this.lastView) return;
    this.queue(undefined, state, view);
  }

  /** Gives the changes queued before the view could be computed (the first) the view now. */
  fillViews(view: OnboardingView): void {
    for (const change of this.pending) change.view ??= view;
    if (this.pending.length) this.lastView = JSON.stringify(view);
  }

  /** The seq of the newest change queued (0 before any). */
  get lastSeq(): number {
    return this.seq;
  }

  /** Sends the queued changes, after the ones sent before. */
  flush(): void {
    if (this.pending.length === 0) return;
    const changes = this.pending;
    this.pending = [];
    this.written = this.written
      .then(() => CancellationScope.nonCancellable(() => this.write(changes)))
      .catch((err: unknown) => log.error('Changes could not be recorded', { seqs: changes.map((c) => c.seq), error: (err as Error)?.message }));
  }

  private async write(changes: RecordChange[]): Promise<void> {
    if (this.writes === 'in-task') return recordChanges(changes);
    if (this.writes === 'brief') return recordChangesBriefly(changes);
    try {
      await recordChangesNow(changes);
    } catch {
      log.warn('The record cannot be reached: changes wait for it', { seqs: changes.map((c) => c.seq) });
      await recordChangesOnceReachable(changes);
    }
  }

  /** Sends what is queued and resolves once every change so far is recorded. */
  flushed(): Promise<void> {
    this.flush();
    return this.written;
  }
}
