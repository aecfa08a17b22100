// Reads the bare workflow's plan (its activities, updates and signals in order) from the history of
// a completed onboarding, and counts the history's events per type.
import type { temporal } from '@temporalio/proto';
import type { BareStep } from './workflow';

type History = temporal.api.history.v1.IHistory;

export function planOf(history: History): BareStep[] {
  const plan: BareStep[] = [];
  for (const e of history.events ?? []) {
    const activity = e.activityTaskScheduledEventAttributes?.activityType?.name;
    const update = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
    const signal = e.workflowExecutionSignaledEventAttributes?.signalName;
    if (activity) plan.push({ activity });
    else if (update) plan.push({ update });
    else if (signal) plan.push({ signal });
  }
  return plan;
}
