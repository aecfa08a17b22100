// Platform endpoints: liveness, readiness (Temporal reachable), Prometheus metrics, the API description.
import { Router } from 'express';
import { type ApiContext, withDeadline } from '../context';
import { openApiDocument } from '../openapi';
import { problems, sendProblem } from '../problem-details';

export function platformRouter(ctx: ApiContext): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.status(200).json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      await withDeadline(ctx, Math.min(ctx.timeouts.rpcMs, 2_000), () => ctx.client.workflowService.getSystemInfo({}));
    } catch {
      sendProblem(res, problems.unavailable('Temporal cannot be reached', 5));
      return;
    }
    res.status(200).json({ status: 'ready' });
  });
  router.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', ctx.metrics.registry.contentType);
    res.status(200).send(await ctx.metrics.registry.metrics());
  });
  let doc: unknown;
  router.get('/openapi.json', (_req, res) => {
    doc ??= openApiDocument();
    res.status(200).json(doc);
  });
  return router;
}
