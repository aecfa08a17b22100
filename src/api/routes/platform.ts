// Platform endpoints: liveness, readiness (Temporal reachable), Prometheus metrics, the API description.
import type { Request, Response } from 'express';
import { type ApiContext, withDeadline } from '../context';
import { openApiDocument } from '../openapi';
import type { Handlers } from '../mount-routes';
import { problems, sendProblem } from '../problem-details';

export function platformHandlers(ctx: ApiContext): Handlers {
  let doc: unknown;
  return {
    healthz: (_req: Request, res: Response) => {
      res.status(200).json({ status: 'ok' });
    },
    readyz: async (_req: Request, res: Response) => {
    try {
      await withDeadline(ctx, Math.min(ctx.timeouts.rpcMs, 2_000), () => ctx.client.workflowService.getSystemInfo({}));
    } catch {
      sendProblem(res, problems.unavailable('Temporal cannot be reached', 5));
      return;
    }
    res.status(200).json({ status: 'ready' });
    },
    metrics: async (_req: Request, res: Response) => {
      res.setHeader('Content-Type', ctx.metrics.registry.contentType);
      res.status(200).send(await ctx.metrics.registry.metrics());
    },
    openapi: (_req: Request, res: Response) => {
      doc ??= openApiDocument();
      res.status(200).json(doc);
    },
  };
}
