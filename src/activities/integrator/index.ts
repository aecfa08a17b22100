// The outbound events' pieces the worker wires: the receiver's client and activity, and the
// publisher the recordChanges local activity calls once a change is written.
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { IntegratorConfig } from '../../config';
import type { RecordChange } from '../../record/changes';
import { IntegratorWebhookClient } from './client';
import { deliverySettingsOf, integratorEventsOf, publishOnboardingEvent } from './publish';
import { durationMs } from '../../domain/onboarding';

export { createIntegratorActivities, type IntegratorActivities } from './activities';
export { IntegratorWebhookClient } from './client';
export { publishOnboardingEvent, integratorEventsOf, deliverySettingsOf } from './publish';

/** The receiver's client, when INTEGRATOR_WEBHOOK_URL is set. */
export function integratorClientOf(config: IntegratorConfig): IntegratorWebhookClient | undefined {
  if (!config.INTEGRATOR_WEBHOOK_URL || !config.INTEGRATOR_WEBHOOK_SECRET) return undefined;
  return new IntegratorWebhookClient({
    url: config.INTEGRATOR_WEBHOOK_URL,
    secret: config.INTEGRATOR_WEBHOOK_SECRET,
    timeoutMs: durationMs(config.INTEGRATOR_WEBHOOK_TIMEOUT),
  });
}

/** Publishes the stage changes among written record changes; nothing when no URL is configured. */
export type RecordChangesPublisher = (changes: RecordChange[]) => Promise<void>;

export function recordChangesPublisher(client: Client, config: IntegratorConfig, taskQueue: string): RecordChangesPublisher {
  if (!config.INTEGRATOR_WEBHOOK_URL) return async () => undefined;
  const options = { taskQueue, settings: deliverySettingsOf(config) };
  return async (changes) => {
    const events = integratorEventsOf(changes, (seq) => activityLog()?.error('Record change not publishable as an outbound event', { onboardingId: changes[0]?.onboardingId, seq }));
    if (events.length > 0) await publishOnboardingEvent(client, options, events);
  };
}

/**
 * The worker's activities with the record's recordChanges publishing after the record is written:
 * a publish that fails fails the activity, which the workflow retries (the record appends once,
 * the delivery de-duplicates by seq), so an event is never lost and the next flush, which waits
 * for this one, cannot overtake it. Activities without recordChanges (a worker built before the
 * record) are returned as they are.
 */
export function publishingAfterRecord<A extends object>(activities: A, publish: RecordChangesPublisher): A {
  const recordChanges = (activities as { recordChanges?: unknown }).recordChanges;
  if (typeof recordChanges !== 'function') return activities;
  return {
    ...activities,
    async recordChanges(changes: RecordChange[]) {
      await (recordChanges as (c: RecordChange[]) => Promise<void>).call(activities, changes);
      await publish(changes);
    },
  };
}

function activityLog(): Context['log'] | undefined {
  try {
    return Context.current().log;
  } catch {
    return undefined;
  }
}
