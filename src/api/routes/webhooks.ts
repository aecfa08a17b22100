// P100's webhooks (CONTRACT part 2): authenticated by the whole Authorization header, validated,
// handed to the onboarding's workflow as a signal. 200 once Temporal has accepted the signal (or
// when there is no such onboarding: logged, acknowledged, no retry loop); 503 otherwise, so that
// P100 delivers the event again. Duplicates and out-of-order events are the workflow's concern.
import express, { Router } from 'express';
import { workflowIdFor } from '../../domain/onboarding';
import { PARTNER_EVENT_TYPES, type PartnerEvent, type PartnerEventType, partnerEventPayloadSchemas } from '../../domain/partner-events';
import { partnerEventReceived } from '../../workflows/messages';
import { UUID_PATTERN, partnerWebhookAccess } from '../auth';
import { type ApiContext, withDeadline } from '../context';
import { ProblemError, problems } from '../problem-details';
import { isNotFound } from '../temporal-errors';

export function webhooksRouter(ctx: ApiContext): Router {
  const router = Router();
  router.post('/partner/:type', partnerWebhookAccess(ctx), express.json({ limit: '64kb' }), async (req, res) => {
    const type = String(req.params.type) as PartnerEventType;
    if (!PARTNER_EVENT_TYPES.includes(type)) throw new ProblemError(problems.notFound('No such webhook'));
    const parsed = partnerEventPayloadSchemas[type].safeParse(req.body);
    if (!parsed.success) {
      ctx.metrics.webhooksReceived.inc({ type, outcome: 'invalid' });
      throw new ProblemError(problems.validation(parsed.error));
    }
    const externalUserId = parsed.data.externalUserId;
    if (!UUID_PATTERN.test(externalUserId)) {
      ctx.metrics.webhooksReceived.inc({ type, outcome: 'unknown_user' });
      ctx.logger.warn({ webhook: type }, 'partner webhook for an externalUserId that is not one of ours; acknowledged');
      res.status(200).json({ received: true });
      return;
    }
    res.locals.onboardingId = externalUserId;
    const event = { type, payload: parsed.data } as PartnerEvent;
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
    ctx.metrics.webhooksReceived.inc({ type, outcome: 'accepted' });
    res.status(200).json({ received: true });
  });
  return router;
}
