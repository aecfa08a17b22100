// Reads the bare workflow's plan (its activities, local or not, updates and signals in order) from the history of
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
    const localActivity = localActivityOf(e.markerRecordedEventAttributes);
    if (activity) plan.push({ activity });
    else if (localActivity) plan.push({ localActivity });
    else if (update) plan.push({ update });
    else if (signal) plan.push({ signal });
  }
  return plan;
}

/**
 * A provider call the onboarding made as a local activity (its marker's data is Core's own JSON).
 * The record's writes (`recordChanges`) are the service's own cost and stay out of the plan.
 */
function localActivityOf(marker: temporal.api.history.v1.IMarkerRecordedEventAttributes | null | undefined): string | undefined {
  if (marker?.markerName !== 'core_local_activity') return undefined;
  const data = marker.details?.['data']?.payloads?.[0]?.data;
  if (!data) return undefined;
  try {
    const type = (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: unknown }).activity_type;
    return typeof type === 'string' && type !== 'recordChanges' ? type : undefined;
  } catch {
    return undefined;
  }
}
