// Where an onboarding stands: its stage, what the user must do next, the steps done with their
// times and the last error. Every stage change is mirrored into search attributes, so ops can list
// onboardings by stage, waiting time and attention without running a query on each workflow.
// With the onboarding record (patch onboarding-record), every change is also queued for the record
// (stage changes, flagged failures, ops actions), and both the record and the search attributes
// are brought up to date together at the points where the onboarding starts waiting for someone
// or ends, when a step is flagged and when ops act: the stages it passes through while it works
// reach the record (and the list) with the next such point, so the record's writes do not
// lengthen the history. The search attributes are then upserted only when one of them changed.
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { metricMeter, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { RecordEvent } from '../record/changes';
import type { RecordWriter } from './record';

/** Stages where the onboarding waits for a user, a partner or ops: flush points, with the ends. */
const WAITING_STAGES: readonly Stage[] = [
  'AWAITING_EMAIL_CODE',
  'AWAITING_SMS_CODE',
  'AWAITING_KYC_DATA',
  'AWAITING_IDENTIFICATION',
  'AWAITING_SIGNATURE',
  'IDENTIFICATION_FAILED',
  'AWAITING_PARTNER_KYC',
  'AWAITING_FILES',
  ...END_STAGES,
];
import { END_STAGES, type NextAction, type OnboardingView, type Stage, type StepError, type TimelineEntry } from '../domain/onboarding';
import {
  OnboardingLastError,
  OnboardingLastErrorType,
  OnboardingNeedsAttention,
  OnboardingStage,
  OnboardingStageEnteredAt,
  PartnerExternalUserId,
  TennpayUserId,
  lastErrorSummary,
} from '../temporal/search-attributes';

export type OnboardingIds = OnboardingView['ids'];

// Workflow metrics are emitted once, not again on replay; the worker exports them with its own.
const stageDuration = () =>
  metricMeter.createHistogram('onboarding_stage_duration', 'int', 'ms', 'Time an onboarding spent in a stage, by stage');
const onboardingsEnded = () =>
  metricMeter.createCounter('onboardings_ended', '1', 'Onboardings that reached an end stage, by end stage, the stage they left and reason');

export class Progress {
  stage: Stage = 'CREATING_USER';
  stageEnteredAt = new Date();
  nextAction: NextAction = { type: 'WAIT' };
  reason: string | undefined;
  needsAttention = false;
  lastError: StepError | undefined;
  readonly ids: OnboardingIds = {};
  readonly timeline: TimelineEntry[] = [];

  /** Search attribute values already upserted (by key name), with the record only. */
  private readonly published = new Map<string, string>();
  private publishQueued = false;

  constructor(
    private readonly onboardingId: string,
    private readonly record?: RecordWriter,
  ) {
    // A workflow started by the API already carries the first stage's attributes; one started
    // elsewhere (a test, a reset) gets them here.
    this.stageEnteredAt = new Date(workflowInfo().startTime);
    if (record && workflowInfo().typedSearchAttributes.get(OnboardingStage) === this.stage) {
      for (const { key, value } of this.searchAttributes()) this.published.set(key.name, JSON.stringify(value));
    }
    this.publish();
    this.queue({ type: 'STAGE_CHANGED', stage: this.stage, previousStage: null });
  }

  /** Queues a change for the record, with where the onboarding stands after it. */
  private queue(event: RecordEvent): void {
    this.record?.queue(event, { stage: this.stage, stageEnteredAt: this.stageEnteredAt, ids: this.ids });
  }

  /** Records an ops action (and everything before it) now. */
  opsAction(action: string, actor: string, reason?: string): void {
    this.queue({ type: 'OPS_ACTION', action, actor, ...(reason ? { reason } : {}) });
    this.flush();
  }

  /** A message from outside was refused past its bound (abuse limits): written to the record now. */
  messageRefused(message: string, reason: string): void {
    this.queue({ type: 'MESSAGE_REFUSED', message, reason });
    this.flush();
  }

  /** Brings the record and the search attributes up to date. */
  private flush(): void {
    if (!this.record) return;
    this.record.flush();
    this.upsertChanged();
  }

  /** Resolves once every change so far is in the record. */
  recorded(): Promise<void> {
    return this.record?.flushed() ?? Promise.resolve();
  }

  /** Moves to a stage; entering the stage the onboarding is in only changes the next action. */
  enter(stage: Stage, nextAction: NextAction = { type: 'WAIT' }): void {
    this.nextAction = nextAction;
    if (stage === this.stage) return;
    const now = new Date();
    stageDuration().record(now.getTime() - this.stageEnteredAt.getTime(), { stage: this.stage });
    const previousStage = this.stage;
    this.stage = stage;
    this.stageEnteredAt = now;
    this.queue({ type: 'STAGE_CHANGED', stage, previousStage, ...(END_STAGES.includes(stage) && this.reason ? { reason: this.reason } : {}) });
    if (!this.record) this.publish();
    else if (WAITING_STAGES.includes(stage)) this.flush();
  }

  /** Records a finished step of the journey, with the workflow's (deterministic) time. */
  done(step: string): void {
    this.timeline.push({ step, at: new Date().toISOString() });
  }

  /** A step keeps failing: ops see it in the list (needs attention) with the error's type. */
  flag(error: Omit<StepError, 'at'>): void {
    this.lastError = { ...error, at: new Date().toISOString() };
    this.needsAttention = true;
    this.queue({ type: 'PROVIDER_FAILURE', step: error.step, failureType: error.type });
    if (this.record) this.flush();
    else this.publish();
  }

  /** Records an error the onboarding recovers from by itself, without flagging it. */
  noteError(error: Omit<StepError, 'at'>): void {
    this.lastError = { ...error, at: new Date().toISOString() };
    if (!this.record) this.publish();
  }

  clearAttention(): void {
    if (!this.needsAttention) return;
    this.needsAttention = false;
    if (this.record) this.upsertChanged();
    else this.publish();
  }

  setIds(ids: Partial<OnboardingIds>): void {
    Object.assign(this.ids, ids);
    if (!this.record) this.publish();
  }

  end(stage: Extract<Stage, 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'ABANDONED'>, reason?: string, flagForOps = false): void {
    this.reason = reason;
    if (flagForOps) this.needsAttention = true;
    onboardingsEnded().add(1, { stage, from: this.stage, reason: reason ?? 'none' });
    this.enter(stage, { type: 'NONE' });
    this.done(stage === 'COMPLETED' ? 'completed' : `ended:${stage.toLowerCase()}`);
    if (!this.record) this.publish();
  }

  view(attemptsLeft: OnboardingView['attemptsLeft'], kycDataReceived: boolean): OnboardingView {
    return {
      onboardingId: this.onboardingId,
      stage: this.stage,
      stageEnteredAt: this.stageEnteredAt.toISOString(),
      nextAction: this.nextAction,
      ...(this.reason ? { reason: this.reason } : {}),
      needsAttention: this.needsAttention,
      ids: { ...this.ids },
      kycDataReceived,
      timeline: [...this.timeline],
      ...(this.lastError ? { lastError: this.lastError } : {}),
      attemptsLeft,
    };
  }

  /** Without the record: every change upserts every attribute, as before the record. */
  private publish(): void {
    if (this.record) this.upsertChanged();
    else upsertSearchAttributes(this.searchAttributes());
  }

  /**
   * Several flushes in one activation (a flag and a stage, an ops action and the end) make one
   * upsert, of the attributes that changed, at the end of the activation's synchronous work.
   */
  private upsertChanged(): void {
    if (this.publishQueued) return;
    this.publishQueued = true;
    void Promise.resolve().then(() => {
      this.publishQueued = false;
      const changed = this.searchAttributes().filter(({ key, value }) => this.published.get(key.name) !== JSON.stringify(value));
      // The error's summary rides along with a change of the others, never alone: an upsert of
      // its own would be a command that histories written before it do not have.
      if (changed.every(({ key }) => key.name === OnboardingLastError.name)) return;
      for (const { key, value } of changed) this.published.set(key.name, JSON.stringify(value));
      upsertSearchAttributes(changed);
    });
  }

  private searchAttributes(): SearchAttributeUpdatePair[] {
    return [
      { key: OnboardingStage, value: this.stage },
      { key: OnboardingStageEnteredAt, value: this.stageEnteredAt },
      { key: OnboardingNeedsAttention, value: this.needsAttention },
      { key: OnboardingLastErrorType, value: this.lastError?.type ?? null },
      // The list's lastError (step, type, attempts, since, …) without the message: in the same
      // upsert as the type, so it costs no event.
      { key: OnboardingLastError, value: lastErrorSummary(this.lastError) },
      { key: TennpayUserId, value: this.ids.userId ?? null },
      { key: PartnerExternalUserId, value: this.ids.externalUserId ?? null },
    ];
  }
}
