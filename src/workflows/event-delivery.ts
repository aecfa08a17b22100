// One onboarding's outbound events to the integrator's back office, delivered by Temporal: the
// publisher signals events in (signalWithStart), this workflow keeps them sorted and unique by seq
// and hands them to the deliverIntegratorEvent activity strictly one after the other, each retried
// with capped exponential backoff for `retryFor` (≥ 24 h). The onboarding never waits for it: a
// receiver that is down only holds this workflow. An event whose retries ran out stalls the queue
// (in order means nothing may overtake it) until ops redeliver. IntegratorEventsPending tells
// visibility which deliveries have events waiting.
import {
  CancellationScope,
  ActivityFailure,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { IntegratorActivities } from '../activities/integrator/activities';
import type { IntegratorEvent } from '../activities/integrator/event';
import { isEndStage } from '../domain/onboarding';
import { IntegratorEventsPending } from '../temporal/search-attributes';
import {
  deliveryStatusQuery,
  integratorEventsSignal,
  redeliverSignal,
  type DeliveryCarried,
  type DeliveryStatus,
  type EventDeliveryInput,
} from './event-delivery-messages';

/** Deliveries per run before continue-as-new, well below the history limits (about 10 events each). */
const DELIVERIES_PER_RUN = 500;

export async function integratorEventDeliveryWorkflow(input: EventDeliveryInput): Promise<DeliveryStatus> {
  const { onboardingId, settings } = input;
  const state: DeliveryCarried = {
    queue: [...(input.carried?.queue ?? [])],
    lastDeliveredSeq: input.carried?.lastDeliveredSeq ?? 0,
    delivered: input.carried?.delivered ?? 0,
    ended: input.carried?.ended ?? false,
    ...(input.carried?.stalled ? { stalled: input.carried.stalled } : {}),
  };
  const { deliverIntegratorEvent } = proxyActivities<IntegratorActivities>({
    startToCloseTimeout: settings.attemptTimeout,
    scheduleToCloseTimeout: settings.retryFor,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: settings.maxInterval, nonRetryableErrorTypes: ['InvalidIntegratorEvent'] },
  });

  let attempt: CancellationScope | undefined;
  let redeliverNow = false;
  let deliveredThisRun = 0;

  setHandler(integratorEventsSignal, (events) => {
    for (const event of events) {
      if (event.seq <= state.lastDeliveredSeq || state.queue.some((e) => e.seq === event.seq)) continue;
      state.queue.push(event);
      if (isEndStage(event.stage)) state.ended = true;
    }
    state.queue.sort((a, b) => a.seq - b.seq);
  });
  setHandler(redeliverSignal, () => {
    if (state.stalled) {
      state.stalled = undefined;
    } else if (attempt) {
      // The activity is between two attempts (or in one): cancel it and start afresh at once.
      redeliverNow = true;
      attempt.cancel();
    }
  });
  setHandler(deliveryStatusQuery, () => statusOf(onboardingId, state));

  let pendingShown: boolean | undefined;
  const showPending = () => {
    const pending = state.queue.length > 0;
    if (pending !== pendingShown) upsertSearchAttributes([{ key: IntegratorEventsPending, value: pending }]);
    pendingShown = pending;
  };

  for (;;) {
    showPending();
    if (state.queue.length === 0) {
      if (state.ended) {
        if (await condition(() => state.queue.length > 0, settings.graceAfterEnd)) continue;
        return statusOf(onboardingId, state);
      }
      await condition(() => state.queue.length > 0);
      continue;
    }
    if (state.stalled) {
      await condition(() => state.stalled === undefined);
      continue;
    }
    const event = state.queue[0] as IntegratorEvent;
    try {
      attempt = new CancellationScope();
      await attempt.run(() => deliverIntegratorEvent(event));
      state.queue.shift();
      state.lastDeliveredSeq = event.seq;
      state.delivered++;
      deliveredThisRun++;
    } catch (err) {
      if (redeliverNow && isCancellation(err) && !CancellationScope.current().consideredCancelled) {
        redeliverNow = false;
        continue;
      }
      if (isCancellation(err)) throw err;
      const cause = err instanceof ActivityFailure && err.cause ? err.cause.message : (err as Error).message;
      state.stalled = { seq: event.seq, since: new Date().toISOString(), error: cause };
      log.warn('Integrator event retries ran out; waiting for ops to redeliver', { onboardingId, seq: event.seq });
    } finally {
      attempt = undefined;
    }
    if (deliveredThisRun >= DELIVERIES_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof integratorEventDeliveryWorkflow>({ onboardingId, settings, carried: state });
    }
  }
}

function statusOf(onboardingId: string, state: DeliveryCarried): DeliveryStatus {
  return {
    onboardingId,
    lastDeliveredSeq: state.lastDeliveredSeq,
    delivered: state.delivered,
    ended: state.ended,
    pending: state.queue.map((e) => ({ seq: e.seq, stage: e.stage, at: e.at })),
    ...(state.stalled ? { stalled: state.stalled } : {}),
  };
}
