// P100's webhooks (CONTRACT part 2): authenticated by the whole Authorization header, validated,
// handed to the onboarding's workflow as a signal. 200 once Temporal has accepted the signal (or
// when there is no such onboarding: logged, acknowledged, no retry loop); 503 otherwise, so that
// P100 delivers the event again. Duplicates and out-of-order events are the workflow's concern.
import type { Request, Response } from 'express';
import { workflowIdFor } from '../../domain/onboarding';
import { PARTNER_EVENT_TYPES, type PartnerEvent, type PartnerEventType } from '../../domain/partner-events';
import { partnerEventReceived } from '../../workflows/messages';
import { UUID_PATTERN } from '../auth';
import { type ApiContext, withDeadline } from '../context';
import { type Handlers, inputOf } from '../mount-routes';
import { ProblemError, problems } from '../problem-details';
import { limitOf } from '../message-limits';
import { isNotFound } from '../temporal-errors';

/** One handler per webhook of the route table; the table checked the token and the payload. */
export function webhooksHandlers(ctx: ApiContext): Handlers {
  const received = (type: PartnerEventType) => async (_req: Request, res: Response) => {
    const payload = inputOf(res).body as PartnerEvent['payload'];
    const externalUserId = payload.externalUserId;
    if (!UUID_PATTERN.test(externalUserId)) {
      ctx.metrics.webhooksReceived.inc({ type, outcome: 'unknown_user' });
      ctx.logger.warn({ webhook: type }, 'partner webhook for an externalUserId that is not one of ours; acknowledged');
      res.status(200).json({ received: true });
      return;
    }
    res.locals.onboardingId = externalUserId;
    const event = { type, payload } as PartnerEvent;
    // Abuse limits: past the bound the event is acknowledged (P100 would otherwise deliver it again
    // for ever) and not handed over; only the first one past it reaches the workflow, which
    // records the refusal (MESSAGE_REFUSED) and ignores it.
    const unknown = new Error('unknown onboarding');
    const limit = await limitOf(ctx, externalUserId, 'partnerEventReceived', { notFound: () => unknown }).catch((err: unknown) => {
      if (err === unknown) return undefined;
      throw err;
    });
    if (limit?.full && limit.refusalRecorded) {
      ctx.metrics.messagesRefused.inc({ message: 'partnerEventReceived' });
      ctx.metrics.webhooksReceived.inc({ type, outcome: 'refused' });
      ctx.logger.warn({ webhook: type, onboardingId: externalUserId, max: limit.max }, 'partner webhook past the onboarding\'s bound; acknowledged, not handed over');
      res.status(200).json({ received: true });
      return;
    }
    try {
      await withDeadline(ctx, ctx.timeouts.updateMs, () =>
        ctx.client.workflow.getHandle(workflowIdFor(externalUserId)).signal(partnerEventReceived, event),
      );
    } catch (err) {
      if (isNotFound(err)) {
        ctx.metrics.webhooksReceived.inc({ type, outcome: 'unknown_user' });
        ctx.logger.warn({ webhook: type, onboardingId: externalUserId }, 'partner webhook for an unknown or ended onboarding; acknowledged');
        res.status(200).json({ received: true });
        return;
      }
      ctx.metrics.webhooksReceived.inc({ type, outcome: 'unavailable' });
      ctx.logger.error({ webhook: type, onboardingId: externalUserId, err: err instanceof Error ? err.name : 'error' }, 'partner webhook not handed over');
      throw new ProblemError(problems.unavailable('The event could not be handed over; deliver it again', 10));
    }
    if (limit?.full) ctx.metrics.messagesRefused.inc({ message: 'partnerEventReceived' });
    ctx.metrics.webhooksReceived.inc({ type, outcome: limit?.full ? 'refused' : 'accepted' });
    res.status(200).json({ received: true });
  };
  return Object.fromEntries(
    PARTNER_EVENT_TYPES.map((type) => [`partnerWebhook_${type.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase())}`, received(type)]),
  );
}
