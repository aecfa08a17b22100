// Who sends the outbound events: publishOnboardingEvent hands stage changes to the onboarding's
// delivery workflow with signalWithStart (started on the first event, fed after), so the caller
// waits for Temporal only, never for the receiver. Called by the worker once the record's change
// is written (the recordChanges local activity); the record writer flushes one batch after the
// other, so events arrive in seq order, and a repeated batch is de-duplicated by seq.
import type { Client } from '@temporalio/client';
import type { IntegratorConfig } from '../../config';
import type { RecordChange } from '../../record/changes';
import {
  EVENT_DELIVERY_WORKFLOW_TYPE,
  deliveryWorkflowIdFor,
  integratorEventsSignal,
  type DeliverySettings,
  type EventDeliveryInput,
} from '../../workflows/event-delivery-messages';
import { integratorEventSchema, type IntegratorEvent } from './event';
import { durationMs } from '../../domain/onboarding';

export interface PublishOptions {
  taskQueue: string;
  settings: DeliverySettings;
}

/** The delivery settings from the configuration (fixed per delivery workflow when it starts). */
export function deliverySettingsOf(config: IntegratorConfig): DeliverySettings {
  return {
    retryFor: config.INTEGRATOR_DELIVERY_RETRY_FOR,
    maxInterval: config.INTEGRATOR_DELIVERY_MAX_INTERVAL,
    // The HTTP timeout plus a margin for connecting and signing.
    attemptTimeout: durationMs(config.INTEGRATOR_WEBHOOK_TIMEOUT) + 5_000,
    graceAfterEnd: '1h',
  };
}

/**
 * Hands events (any onboardings, each in seq order) to their delivery workflows. Resolves once
 * Temporal holds them; throws when it could not (the caller retries: repeats are harmless).
 */
export async function publishOnboardingEvent(client: Client, options: PublishOptions, events: IntegratorEvent | IntegratorEvent[]): Promise<void> {
  const byOnboarding = new Map<string, IntegratorEvent[]>();
  for (const event of [events].flat()) {
    const parsed = integratorEventSchema.parse(event);
    byOnboarding.set(parsed.onboardingId, [...(byOnboarding.get(parsed.onboardingId) ?? []), parsed]);
  }
  for (const [onboardingId, batch] of byOnboarding) {
    batch.sort((a, b) => a.seq - b.seq);
    const input: EventDeliveryInput = { onboardingId, settings: options.settings };
    await client.workflow.signalWithStart(EVENT_DELIVERY_WORKFLOW_TYPE, {
      workflowId: deliveryWorkflowIdFor(onboardingId),
      taskQueue: options.taskQueue,
      args: [input],
      signal: integratorEventsSignal,
      signalArgs: [batch],
    });
  }
}

/**
 * The outbound events of record changes: stage changes only, with identifiers, never personal data
 * (the opening's e-mail and phone stay behind). A change that cannot make an event is left out
 * rather than failing the record write again and again; `dropped` says which.
 */
export function integratorEventsOf(changes: RecordChange[], dropped: (seq: number) => void = () => undefined): IntegratorEvent[] {
  return changes.flatMap((change): IntegratorEvent[] => {
    if (change.event.type !== 'STAGE_CHANGED') return [];
    const { userId, individualId, partnerUserId, externalUserId, verificationId } = change.ids;
    const ids = Object.fromEntries(
      Object.entries({ userId, individualId, partnerUserId, externalUserId, verificationId }).filter(([, v]) => v !== undefined),
    );
    const event = integratorEventSchema.safeParse({
      onboardingId: change.onboardingId,
      seq: change.seq,
      stage: change.event.stage,
      previousStage: change.event.previousStage,
      ...(change.event.reason !== undefined ? { reason: change.event.reason } : {}),
      ids,
      ...(change.opening.externalRef !== undefined ? { externalRef: change.opening.externalRef } : {}),
      at: change.at,
    });
    if (!event.success) {
      dropped(change.seq);
      return [];
    }
    return [event.data];
  });
}
