// A tiny workflow to prove a Temporal server is provisioned for the service: it sets the
// onboarding search attributes (refused by a server that lacks them), sleeps a long timer and
// answers a query, which is all the real workflows need from the platform.
import { condition, defineQuery, defineSignal, setHandler, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import { OnboardingNeedsAttention, OnboardingStage, OnboardingStageEnteredAt, TennpayUserId } from '../../../src/temporal/search-attributes';

export const phaseQuery = defineQuery<string>('phase');
export const wakeSignal = defineSignal('wake');

export interface ProvisioningInput {
  /** How long the workflow sleeps, e.g. '1 day'. */
  timer: Duration;
  /** When true, the workflow waits for the `wake` signal before its timer. */
  waitForSignal?: boolean;
}

export async function provisioningWorkflow(input: ProvisioningInput): Promise<string> {
  let phase = 'started';
  let woken = false;
  setHandler(phaseQuery, () => phase);
  setHandler(wakeSignal, () => void (woken = true));

  upsertSearchAttributes([
    { key: OnboardingStage, value: 'CREATING_USER' },
    { key: OnboardingStageEnteredAt, value: new Date() },
    { key: OnboardingNeedsAttention, value: false },
    { key: TennpayUserId, value: 42 },
  ]);
  if (input.waitForSignal) {
    phase = 'waiting';
    await condition(() => woken);
  }
  phase = 'sleeping';
  await sleep(input.timer);
  phase = 'done';
  return 'slept';
}
