// The deliverIntegratorEvent activity: one attempt to hand one event to the integrator's receiver.
// Every answer but a 2xx is a retryable failure, 4xx included: a 401/404/410 from the receiver
// means its URL, secret or deployment is wrong, which someone fixes, and the event must still
// arrive then (at least once); the delivery workflow's retry policy (backoff, ≥ 24 h) and the ops
// redelivery cover that time. The failure names the status only, never the body.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { integratorEventSchema, type IntegratorEvent } from './event';
import type { IntegratorWebhookClient } from './client';

export const INTEGRATOR_DELIVERY_FAILED = 'IntegratorDeliveryFailed';
export const INVALID_INTEGRATOR_EVENT = 'InvalidIntegratorEvent';

export interface IntegratorActivities {
  /** Resolves once the receiver answered 2xx; the webhook-id is the same for every attempt. */
  deliverIntegratorEvent(event: IntegratorEvent): Promise<{ webhookId: string; status: number }>;
}

export function createIntegratorActivities(client: IntegratorWebhookClient | undefined): IntegratorActivities {
  return {
    async deliverIntegratorEvent(event) {
      const parsed = integratorEventSchema.safeParse(event);
      if (!parsed.success) {
        throw ApplicationFailure.create({ type: INVALID_INTEGRATOR_EVENT, message: 'invalid integrator event', nonRetryable: true });
      }
      if (!client) {
        // A worker without INTEGRATOR_WEBHOOK_URL while deliveries exist: retried until one has it.
        throw ApplicationFailure.create({ type: INTEGRATOR_DELIVERY_FAILED, message: 'INTEGRATOR_WEBHOOK_URL is not set on this worker' });
      }
      const ctx = activityContext();
      const attempt = await client.send(parsed.data, ctx?.cancellationSignal);
      const meta = { onboardingId: event.onboardingId, seq: event.seq, webhookId: attempt.webhookId, attempt: ctx?.info.attempt };
      if (attempt.status !== undefined && attempt.status >= 200 && attempt.status < 300) {
        ctx?.log.info('Integrator event delivered', { ...meta, status: attempt.status });
        return { webhookId: attempt.webhookId, status: attempt.status };
      }
      const why = attempt.status !== undefined ? `receiver answered ${attempt.status}` : `receiver unreachable (${attempt.error ?? 'no answer'})`;
      ctx?.log.warn('Integrator event not delivered', { ...meta, ...(attempt.status !== undefined ? { status: attempt.status } : {}) });
      throw ApplicationFailure.create({ type: INTEGRATOR_DELIVERY_FAILED, message: why, details: [{ status: attempt.status ?? null }] });
    },
  };
}

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}
