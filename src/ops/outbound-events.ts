// Ops on the outbound events to the integrator's back office: which onboardings have events not
// yet accepted by the receiver (visibility: IntegratorEventsPending on their delivery workflow,
// then its deliveryStatus query and its pending activity's attempts and last failure), and
// redelivery of one onboarding's or of every onboarding's undelivered events (a signal: the
// delivery workflow attempts its first undelivered event now and goes on in order).
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import {
  EVENT_DELIVERY_WORKFLOW_TYPE,
  deliveryStatusQuery,
  deliveryWorkflowIdFor,
  redeliverSignal,
  type DeliveryStatus,
} from '../workflows/event-delivery-messages';
import { IntegratorEventsPending } from '../temporal/search-attributes';

export const MAX_UNDELIVERED_LISTED = 500;

export interface UndeliveredEvents extends DeliveryStatus {
  /** The delivery's current attempt (1 is the first) and why the last one failed. */
  attempt?: number;
  lastFailure?: string;
  nextAttemptAt?: string;
}

/** No delivery workflow for the onboarding: it has published no event (or its delivery ended long ago). */
export class NoEventDelivery extends Error {
  override name = 'NoEventDelivery';
  constructor(readonly onboardingId: string) {
    super(`no outbound events for onboarding ${onboardingId}`);
  }
}

const PENDING_QUERY = `WorkflowType = '${EVENT_DELIVERY_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running' AND ${IntegratorEventsPending.name} = true`;
const onboardingIdOf = (workflowId: string) => workflowId.replace(/^integrator-events-/, '');

async function pendingDeliveries(client: Client, limit: number): Promise<{ onboardingIds: string[]; truncated: boolean }> {
  const onboardingIds: string[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.listWorkflowExecutions({
      namespace: client.options.namespace,
      query: PENDING_QUERY,
      pageSize: Math.min(100, limit - onboardingIds.length + 1),
      ...(nextPageToken ? { nextPageToken } : {}),
    });
    onboardingIds.push(...page.executions.map((e) => onboardingIdOf(e.execution?.workflowId ?? '')));
    nextPageToken = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
  } while (nextPageToken && onboardingIds.length <= limit);
  return { onboardingIds: onboardingIds.slice(0, limit), truncated: onboardingIds.length > limit || nextPageToken !== undefined };
}

function timestampOf(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): string | undefined {
  if (!ts) return undefined;
  return new Date(Number(ts.seconds ?? 0) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6)).toISOString();
}

/** One onboarding's delivery: what is undelivered and how its current attempt goes. */
export async function describeDelivery(client: Client, onboardingId: string): Promise<UndeliveredEvents> {
  const handle = client.workflow.getHandle(deliveryWorkflowIdFor(onboardingId));
  try {
    const [status, described] = await Promise.all([handle.query(deliveryStatusQuery), handle.describe()]);
    const activity: temporal.api.workflow.v1.IPendingActivityInfo | undefined = described.raw.pendingActivities?.[0];
    const nextAttemptAt = timestampOf(activity?.nextAttemptScheduleTime);
    return {
      ...status,
      ...(activity?.attempt ? { attempt: activity.attempt } : {}),
      ...(activity?.lastFailure?.message ? { lastFailure: activity.lastFailure.message } : {}),
      ...(nextAttemptAt ? { nextAttemptAt } : {}),
    };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new NoEventDelivery(onboardingId);
    throw err;
  }
}

/** The onboardings with undelivered events (at most `limit`), each with its delivery's detail. */
export async function listUndelivered(client: Client, limit = MAX_UNDELIVERED_LISTED): Promise<{ items: UndeliveredEvents[]; truncated: boolean }> {
  const { onboardingIds, truncated } = await pendingDeliveries(client, limit);
  const items: UndeliveredEvents[] = [];
  for (const id of onboardingIds) {
    try {
      const d = await describeDelivery(client, id);
      if (d.pending.length > 0) items.push(d);
    } catch (err) {
      // Ended between the list and the query: delivered meanwhile.
      if (!(err instanceof NoEventDelivery)) throw err;
    }
  }
  return { items, truncated };
}

/** Redelivers one onboarding's undelivered events, or every onboarding's; answers whose. */
export async function redeliver(client: Client, onboardingId?: string): Promise<{ onboardingIds: string[]; truncated: boolean }> {
  if (onboardingId !== undefined) {
    try {
      await client.workflow.getHandle(deliveryWorkflowIdFor(onboardingId)).signal(redeliverSignal);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new NoEventDelivery(onboardingId);
      throw err;
    }
    return { onboardingIds: [onboardingId], truncated: false };
  }
  const { onboardingIds, truncated } = await pendingDeliveries(client, MAX_UNDELIVERED_LISTED);
  const done: string[] = [];
  for (const id of onboardingIds) {
    try {
      await client.workflow.getHandle(deliveryWorkflowIdFor(id)).signal(redeliverSignal);
      done.push(id);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return { onboardingIds: done, truncated };
}
