// The ops routes of the outbound events to the integrator's back office:
//   GET  /ops/outbound-events?undelivered=true&limit=   onboardings with undelivered events, per delivery
//   POST /ops/outbound-events/redeliver {"onboardingId"?}  202: attempt them now (one onboarding or all)
import type { Request, Response } from 'express';
import type { z } from 'zod';
import { NoEventDelivery, listUndelivered, redeliver } from '../../ops/outbound-events';
import { type ApiContext, temporalCall } from '../context';
import { type Handlers, inputOf } from '../mount-routes';
import type { outboundEventsQuerySchema, redeliverBodySchema } from '../outbound-events-schemas';
import { ProblemError, problems } from '../problem-details';

export function outboundEventsHandlers(ctx: ApiContext): Handlers {
  const listUndeliveredOutboundEvents = async (_req: Request, res: Response) => {
    const { limit } = inputOf<{ query: z.output<typeof outboundEventsQuerySchema> }>(res).query;
    const page = await temporalCall(ctx, 60_000, () => listUndelivered(ctx.client, limit));
    res.status(200).json(page);
  };
  const redeliverOutboundEvents = async (_req: Request, res: Response) => {
    const body = inputOf<{ body: z.output<typeof redeliverBodySchema> | undefined }>(res).body ?? {};
    try {
      const done = await temporalCall(ctx, 60_000, () => redeliver(ctx.client, body.onboardingId), body.onboardingId);
      ctx.logger.info({ onboardingId: body.onboardingId ?? 'all', count: done.onboardingIds.length, requestedBy: body.requestedBy ?? 'ops-api' }, 'ops redeliver outbound events');
      res.status(202).json(done);
    } catch (err) {
      if (err instanceof NoEventDelivery) throw new ProblemError(problems.notFound(err.message));
      throw err;
    }
  };
  return { listUndeliveredOutboundEvents, redeliverOutboundEvents };
}
