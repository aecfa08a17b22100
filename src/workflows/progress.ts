// Where an onboarding stands: its stage, what the user must do next, the steps done with their
// times and the last error. Every stage change is mirrored into search attributes, so ops can list
// onboardings by stage, waiting time and attention without running a query on each workflow.
import { metricMeter, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { NextAction, OnboardingView, Stage, StepError, TimelineEntry } from '../domain/onboarding';
import {
  OnboardingLastErrorType,
  OnboardingNeedsAttention,
  OnboardingStage,
  OnboardingStageEnteredAt,
  PartnerExternalUserId,
  TennpayUserId,
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

  constructor(private readonly onboardingId: string) {
    // A workflow started by the API already carries the first stage's attributes; one started
    // elsewhere (a test, a reset) gets them here.
    this.stageEnteredAt = new Date(workflowInfo().startTime);
    this.publish();
  }

  /** Moves to a stage; entering the stage the onboarding is in only changes the next action. */
  enter(stage: Stage, nextAction: NextAction = { type: 'WAIT' }): void {
    this.nextAction = nextAction;
    if (stage === this.stage) return;
    const now = new Date();
    stageDuration().record(now.getTime() - this.stageEnteredAt.getTime(), { stage: this.stage });
    this.stage = stage;
    this.stageEnteredAt = now;
    this.publish();
  }

  /** Records a finished step of the journey, with the workflow's (deterministic) time. */
  done(step: string): void {
    this.timeline.push({ step, at: new Date().toISOString() });
  }

  /** A step keeps failing: ops see it in the list (needs attention) with the error's type. */
  flag(error: Omit<StepError, 'at'>): void {
    this.lastError = { ...error, at: new Date().toISOString() };
    this.needsAttention = true;
    this.publish();
  }

  /** Records an error the onboarding recovers from by itself, without flagging it. */
  noteError(error: Omit<StepError, 'at'>): void {
    this.lastError = { ...error, at: new Date().toISOString() };
    this.publish();
  }

  clearAttention(): void {
    if (!this.needsAttention) return;
    this.needsAttention = false;
    this.publish();
  }

  setIds(ids: Partial<OnboardingIds>): void {
    Object.assign(this.ids, ids);
    this.publish();
  }

  end(stage: Extract<Stage, 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'ABANDONED'>, reason?: string, flagForOps = false): void {
    this.reason = reason;
    if (flagForOps) this.needsAttention = true;
    onboardingsEnded().add(1, { stage, from: this.stage, reason: reason ?? 'none' });
    this.enter(stage, { type: 'NONE' });
    this.done(stage === 'COMPLETED' ? 'completed' : `ended:${stage.toLowerCase()}`);
    this.publish();
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

  private publish(): void {
    upsertSearchAttributes([
      { key: OnboardingStage, value: this.stage },
      { key: OnboardingStageEnteredAt, value: this.stageEnteredAt },
      { key: OnboardingNeedsAttention, value: this.needsAttention },
      { key: OnboardingLastErrorType, value: this.lastError?.type ?? null },
      { key: TennpayUserId, value: this.ids.userId ?? null },
      { key: PartnerExternalUserId, value: this.ids.externalUserId ?? null },
    ]);
  }
}
