// The delivery workflow's messages (src/workflows/event-delivery.ts): the publisher sends it events,
// ops ask what is undelivered and ask for a redelivery. Declared once for the worker, API and CLI.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { IntegratorEvent } from '../activities/integrator/event';

export const EVENT_DELIVERY_WORKFLOW_TYPE = 'integratorEventDeliveryWorkflow';
/** One delivery workflow per onboarding, found from the onboarding id alone. */
export const deliveryWorkflowIdFor = (onboardingId: string): string => `integrator-events-${onboardingId}`;

export interface DeliverySettings {
  /** How long one event is retried before the workflow waits for ops (scheduleToClose, ≥ 24 h). */
  retryFor: Duration;
  /** The backoff's cap between two attempts. */
  maxInterval: Duration;
  /** One attempt's limit (the HTTP timeout plus a margin). */
  attemptTimeout: Duration;
  /** After the onboarding ended and everything is delivered, how long late events are waited for. */
  graceAfterEnd: Duration;
}

/** An event the retries gave up on: nothing after it goes out until ops redeliver. */
export interface StalledDelivery {
  seq: number;
  since: string;
  error: string;
}

/** What continue-as-new carries to the next run. */
export interface DeliveryCarried {
  queue: IntegratorEvent[];
  lastDeliveredSeq: number;
  delivered: number;
  ended: boolean;
  stalled?: StalledDelivery;
}

export interface EventDeliveryInput {
  onboardingId: string;
  settings: DeliverySettings;
  carried?: DeliveryCarried;
}

export interface DeliveryStatus {
  onboardingId: string;
  lastDeliveredSeq: number;
  delivered: number;
  ended: boolean;
  /** Undelivered, in the order they will go (seq ascending); no personal data. */
  pending: { seq: number; stage: string; at: string }[];
  stalled?: StalledDelivery;
}

/** Events for the onboarding, in seq order; repeats are ignored (seq de-duplicates). */
export const integratorEventsSignal = defineSignal<[IntegratorEvent[]]>('integratorEvents');
/** Ops: attempt the first undelivered event now (after a stall, or instead of waiting for the backoff). */
export const redeliverSignal = defineSignal<[]>('redeliver');
export const deliveryStatusQuery = defineQuery<DeliveryStatus>('deliveryStatus');
