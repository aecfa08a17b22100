// Temporal reset of one onboarding, for the case only a reset helps: a bug that made the workflow
// take a wrong decision, fixed in a new deploy. A reset keeps the history up to a workflow task,
// throws away what followed, and runs the workflow on from there with the current code; the
// activities it then schedules run again. So the reset point is never before a provider call that
// is not idempotent (creating the user, sending a code, Add User Verification): the point is a
// WorkflowTaskCompleted event AFTER the last such call finished (or, for one still in flight, after
// it was scheduled, so that it is retried as it would be anyway rather than called anew).
//
// By default the point is the first safe one (the earliest WorkflowTaskCompleted after that call):
// the fixed code re-decides as much as can be re-decided. `latest` re-decides only the last
// workflow task; an event id picks one explicitly (it must be safe too). Signals received after
// the point (Borica redirects, partner webhooks) are re-applied by Temporal (reset reapply type
// SIGNAL, the server's default); updates after the point (codes, KYC data, ops actions) are counted
// and reported, since they are not signals.
//
// A workflow task that FAILS because of a bug needs no reset: Temporal retries it, and it goes on
// once the fix is deployed.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { History } from './replay';
import { temporal } from '@temporalio/proto';
import { workflowIdFor } from '../domain/onboarding';

/** Provider calls that must never be made twice: a reset must not go back before them. */
export const NON_IDEMPOTENT_ACTIVITIES = ['createUser', 'sendSmsCode', 'resendSmsCode', 'sendEmailConfirmation', 'addUserVerification'] as const;

const EventType = temporal.api.enums.v1.EventType;

export type ResetTarget = 'earliest' | 'latest' | number;

export interface ResetPlan {
  /** The WorkflowTaskCompleted event to reset to. */
  eventId: number;
  /** The last non-idempotent call the point must follow, if any. */
  barrier?: { activityType: string; eventId: number; finished: boolean };
  /** Every safe point (WorkflowTaskCompleted events after the barrier). */
  safePoints: number[];
  /** Signals after the point (re-applied by the reset). */
  signalsAfter: number;
  /** Updates accepted after the point (not signals: the callers must repeat them if needed). */
  updatesAfter: number;
}

export class UnsafeReset extends Error {
  override name = 'UnsafeReset';
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0));

export function planReset(history: History, target: ResetTarget = 'earliest'): ResetPlan {
  const events = history.events ?? [];
  const scheduled = new Map<number, string>();
  const closedBy = new Map<number, number>();
  const workflowTasksCompleted: number[] = [];
  const signals: number[] = [];
  const updates: number[] = [];
  for (const e of events) {
    const id = num(e.eventId);
    switch (e.eventType) {
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        scheduled.set(id, e.activityTaskScheduledEventAttributes?.activityType?.name ?? '');
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
        closedBy.set(num(e.activityTaskCompletedEventAttributes?.scheduledEventId), id);
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
        closedBy.set(num(e.activityTaskFailedEventAttributes?.scheduledEventId), id);
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
        closedBy.set(num(e.activityTaskTimedOutEventAttributes?.scheduledEventId), id);
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
        closedBy.set(num(e.activityTaskCanceledEventAttributes?.scheduledEventId), id);
        break;
      case EventType.EVENT_TYPE_MARKER_RECORDED: {
        // A call made as a local activity (the code checks and resends, patch lean-history): its
        // marker is written once it finished, so it is scheduled and closed at the marker.
        const activityType = localActivityType(e.markerRecordedEventAttributes);
        if (activityType) {
          scheduled.set(id, activityType);
          closedBy.set(id, id);
        }
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
        workflowTasksCompleted.push(id);
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
        signals.push(id);
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
        updates.push(id);
        break;
      default:
        break;
    }
  }
  let barrier: ResetPlan['barrier'];
  for (const [scheduledId, activityType] of scheduled) {
    if (!(NON_IDEMPOTENT_ACTIVITIES as readonly string[]).includes(activityType)) continue;
    const closed = closedBy.get(scheduledId);
    const eventId = closed ?? scheduledId;
    if (!barrier || eventId > barrier.eventId) barrier = { activityType, eventId, finished: closed !== undefined };
  }
  const safePoints = workflowTasksCompleted.filter((id) => !barrier || id > barrier.eventId);
  if (safePoints.length === 0) {
    throw new UnsafeReset(
      barrier
        ? `no safe reset point: no workflow task completed after ${barrier.activityType} (event ${barrier.eventId}); ` +
            'a workflow task that fails because of a bug is retried by Temporal and goes on once the fix is deployed'
        : 'no workflow task has completed yet: nothing to reset',
    );
  }
  let eventId: number;
  if (target === 'earliest') eventId = safePoints[0]!;
  else if (target === 'latest') eventId = safePoints[safePoints.length - 1]!;
  else {
    if (!workflowTasksCompleted.includes(target)) throw new UnsafeReset(`event ${target} is not a WorkflowTaskCompleted event`);
    if (!safePoints.includes(target)) {
      throw new UnsafeReset(`event ${target} is before ${barrier!.activityType} (event ${barrier!.eventId}), which must not run again; safe points: ${safePoints.join(', ')}`);
    }
    eventId = target;
  }
  return {
    eventId,
    ...(barrier ? { barrier } : {}),
    safePoints,
    signalsAfter: signals.filter((id) => id > eventId).length,
    updatesAfter: updates.filter((id) => id > eventId).length,
  };
}

/** The activity type of a local activity's marker (its data is Core's own JSON, not encoded by the codec). */
function localActivityType(marker: temporal.api.history.v1.IMarkerRecordedEventAttributes | null | undefined): string | undefined {
  if (marker?.markerName !== 'core_local_activity') return undefined;
  const data = marker.details?.['data']?.payloads?.[0]?.data;
  if (!data) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: unknown };
    return typeof parsed.activity_type === 'string' ? parsed.activity_type : undefined;
  } catch {
    return undefined;
  }
}

export interface ResetOutcome extends ResetPlan {
  onboardingId: string;
  previousRunId: string;
  /** The new run, or undefined for a dry run. */
  runId?: string;
}

export async function resetOnboarding(
  client: Client,
  onboardingId: string,
  { to = 'earliest', reason, dryRun = false }: { to?: ResetTarget; reason: string; dryRun?: boolean },
): Promise<ResetOutcome> {
  const workflowId = workflowIdFor(onboardingId);
  const description = await client.workflow.getHandle(workflowId).describe();
  const history = await client.workflow.getHandle(workflowId, description.runId).fetchHistory();
  const plan = planReset(history, to);
  const outcome: ResetOutcome = { onboardingId, previousRunId: description.runId, ...plan };
  if (dryRun) return outcome;
  // fromObject takes the event id as a plain number (an int64 field).
  const request = temporal.api.workflowservice.v1.ResetWorkflowExecutionRequest.fromObject({
    namespace: client.options.namespace,
    workflowExecution: { workflowId, runId: description.runId },
    reason,
    workflowTaskFinishEventId: plan.eventId,
    requestId: randomUUID(),
    resetReapplyType: temporal.api.enums.v1.ResetReapplyType.RESET_REAPPLY_TYPE_SIGNAL,
  });
  const response: temporal.api.workflowservice.v1.IResetWorkflowExecutionResponse = await client.workflowService.resetWorkflowExecution(request);
  return { ...outcome, runId: response.runId ?? undefined };
}
