// The outbound events' pieces the worker wires: the receiver's client and activity, and the
// publisher the recordChanges local activity calls once a change is written.
import type { Client } from '@temporalio/client';
import { msToNumber } from '@temporalio/common/lib/time';
import type { IntegratorConfig } from '../../config';
import type { RecordChange } from '../../record/changes';
import { IntegratorWebhookClient } from './client';
import { deliverySettingsOf, integratorEventsOf, publishOnboardingEvent } from './publish';

export { createIntegratorActivities, type IntegratorActivities } from './activities';
export { IntegratorWebhookClient } from './client';
export { publishOnboardingEvent, integratorEventsOf, deliverySettingsOf } from './publish';

/** The receiver's client, when INTEGRATOR_WEBHOOK_URL is set. */
export function integratorClientOf(config: IntegratorConfig): IntegratorWebhookClient | undefined {
  if (!config.INTEGRATOR_WEBHOOK_URL || !config.INTEGRATOR_WEBHOOK_SECRET) return undefined;
  return new IntegratorWebhookClient({
    url: config.INTEGRATOR_WEBHOOK_URL,
    secret: config.INTEGRATOR_WEBHOOK_SECRET,
    timeoutMs: msToNumber(config.INTEGRATOR_WEBHOOK_TIMEOUT),
  });
}

/** Publishes the stage changes among written record changes; nothing when no URL is configured. */
export type RecordChangesPublisher = (changes: RecordChange[]) => Promise<void>;

export function recordChangesPublisher(client: Client, config: IntegratorConfig, taskQueue: string): RecordChangesPublisher {
  if (!config.INTEGRATOR_WEBHOOK_URL) return async () => undefined;
  const options = { taskQueue, settings: deliverySettingsOf(config) };
  return async (changes) => {
    const events = integratorEventsOf(changes);
    if (events.length > 0) await publishOnboardingEvent(client, options, events);
  };
}

/**
 * The recordChanges activity, publishing after the record is written: a publish that fails fails
 * the activity, which the workflow retries (the record appends once, the delivery de-duplicates by
 * seq), so an event is never lost and the next flush cannot overtake it.
 */
export function publishingAfterRecord<A extends { recordChanges(changes: RecordChange[]): Promise<void> }>(activities: A, publish: RecordChangesPublisher): A {
  return {
    ...activities,
    async recordChanges(changes: RecordChange[]) {
      await activities.recordChanges(changes);
      await publish(changes);
    },
  };
}
