// One onboarding as Temporal holds it, for the API (src/api/routes) and the ops code
// (src/ops/onboardings.ts) alike: the workflow's type and handle, the stage and its time from the
// search attributes, whether it has ended, and the one needs-attention rule (also as the
// visibility query that selects by it).
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { TypedSearchAttributes } from '@temporalio/common';
import { type OnboardingInput, type OnboardingView, STAGES, type Stage, workflowIdFor } from '../domain/onboarding';
import { OnboardingNeedsAttention, OnboardingStage, OnboardingStageEnteredAt } from './search-attributes';

/** The workflow's type, by name (the API and the ops code do not import workflow code). */
export const ONBOARDING_WORKFLOW_TYPE = 'onboardingWorkflow';
export type OnboardingWorkflow = (input: OnboardingInput) => Promise<OnboardingView>;

export function onboardingHandle(client: Client, onboardingId: string): WorkflowHandle<OnboardingWorkflow> {
  return client.workflow.getHandle<OnboardingWorkflow>(workflowIdFor(onboardingId));
}

/** The stage the workflow last published; undefined when none (a workflow this service did not start). */
export function stageOf(attributes: TypedSearchAttributes): Stage | undefined {
  const value = attributes.get(OnboardingStage);
  return (STAGES as readonly string[]).includes(value ?? '') ? (value as Stage) : undefined;
}

/** When the onboarding entered its stage; the start of the workflow until the first stage change. */
export function stageEnteredAtOf(attributes: TypedSearchAttributes, startTime: Date): Date {
  return attributes.get(OnboardingStageEnteredAt) ?? startTime;
}

/**
 * Temporal's execution status by the client's names (RUNNING, COMPLETED, FAILED, CANCELLED,
 * TERMINATED, CONTINUED_AS_NEW, TIMED_OUT): visibility's raw enum says CANCELED.
 */
export function executionStatusName(rawName: string): string {
  return rawName === 'CANCELED' ? 'CANCELLED' : rawName;
}

/** Ended: the workflow no longer runs, so no call or action applies to it any more. */
export function hasEnded(status: string): boolean {
  return status !== 'RUNNING';
}

/**
 * CONTRACT part 3: needsAttention is "the failed ones and those whose current step keeps failing":
 * the workflow's own flag (a step that keeps failing, or an end it flagged for ops), the stage
 * FAILED, or a workflow that failed or timed out outright (Temporal's status). The status is
 * omitted where only the workflow's view is at hand.
 */
export function needsAttention({ flagged, stage, status }: { flagged: boolean | undefined; stage: Stage | undefined; status?: string }): boolean {
  return flagged === true || stage === 'FAILED' || status === 'FAILED' || status === 'TIMED_OUT';
}

/** The same rule as a visibility query clause: the onboardings that need attention, or (false) exactly the others. */
export function needsAttentionQuery(wanted: boolean): string {
  const flag = OnboardingNeedsAttention.name;
  const stage = OnboardingStage.name;
  return wanted
    ? `(${flag} = true OR ${stage} = 'FAILED' OR ExecutionStatus = 'Failed' OR ExecutionStatus = 'TimedOut')`
    : `${flag} = false AND ${stage} != 'FAILED' AND ExecutionStatus != 'Failed' AND ExecutionStatus != 'TimedOut'`;
}
