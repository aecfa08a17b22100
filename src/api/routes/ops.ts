// The ops and back-office calls of CONTRACT part 3. Everything under /ops requires
// `Authorization: Bearer <OPS_API_KEY>`, except the console page and its script (GET /ops/console,
// /ops/console/app.js), which hold no data: the page asks for the key and sends it to this API.
//
//   GET  /ops/onboardings?stage=&waitingLongerThan=PT15M&needsAttention=true&pageSize=&pageToken=
//   GET  /ops/onboardings/{id}                         view, timeline, pending activities, history length
//   POST /ops/onboardings/{id}/retry                   202 {"onboardingId","action"}
//   POST /ops/onboardings/{id}/restart-identification  202
//   POST /ops/onboardings/{id}/cancel {"reason"}       202
//   POST /ops/onboardings/batch/{retry|restart-identification|cancel}
//        {"stage"?,"waitingLongerThan"?,"needsAttention"?,"reason"?,"dryRun"?} → 200 report
// From the onboarding record (PostgreSQL; 503 with Retry-After while it cannot be reached):
//   GET  /ops/onboardings?email=…  or  ?phoneNumber=…   exact search by person (keyed hashes)
//   GET  /ops/onboardings/{id}/events                  the trail, oldest first
//   GET  /ops/stats                                    running / ended by stage, stage durations
//   GET  /ops/onboardings/{id} answers from the record once the workflow is gone from Temporal.
// The actor of every action is the identity of the key (OPS_API_KEY is `ops`, OPS_API_KEYS name
// theirs); a `requestedBy` in a body is accepted for compatibility and ignored.
import express, { type Request, Router } from 'express';
import { z } from 'zod';
import {
  DEFAULT_PAGE_SIZE,
  OPS_ACTIONS,
  type OpsAction,
  describeOnboarding,
  listFiltersSchema,
  listOnboardings,
  pagingSchema,
  runAction,
  runBatch,
  OnboardingHasEnded,
} from '../../ops/onboardings';
import { registerOnboardingGauges } from '../../observability/onboarding-gauges';
import { UUID_PATTERN, opsAccess } from '../auth';
import { CONSOLE_HTML, CONSOLE_SCRIPT } from '../console/page';
import { type ApiContext, temporalCall, withDeadline } from '../context';
import { ProblemError, problems } from '../problem-details';
import { canonicalJson } from '../secrets';
import { opsActionBodySchema as actionBodySchema, opsBatchBodySchema as batchBodySchema, opsCancelBodySchema as cancelBodySchema } from '../schemas';
import { problemForTemporalError } from '../temporal-errors';
import type { RecordedOnboarding } from '../../record/changes';
import { RecordUnavailableError, type OnboardingRecord } from '../../record/repository';

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new ProblemError(problems.validation(r.error, what));
  return r.data;
}

function onboardingIdOf(req: Request): string {
  const id = String(req.params.id ?? '');
  if (!UUID_PATTERN.test(id)) throw new ProblemError(problems.notFound());
  return id;
}

function endedProblem(err: OnboardingHasEnded) {
  return {
    status: 409,
    slug: 'onboarding-ended',
    title: 'The onboarding has ended',
    detail: err.message,
    extensions: { onboardingId: err.onboardingId, stage: err.stage, failureType: 'OnboardingEnded' },
  };
}

export function opsRouter(ctx: ApiContext): Router {
  const router = Router();
  registerOnboardingGauges(ctx.metrics.registry, ctx.client, { logger: ctx.logger });

  // The console: a static page and script, no data; the key is asked for in the page.
  router.get('/console', (_req, res) => {
    res.setHeader('Content-Security-Policy', "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.status(200).type('text/html; charset=utf-8').send(CONSOLE_HTML);
  });
  router.get('/console/app.js', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.status(200).type('text/javascript; charset=utf-8').send(CONSOLE_SCRIPT);
  });

  router.use(opsAccess(ctx));
  router.use(express.json({ limit: '64kb' }));
  const { timeouts } = ctx;
  const actorOf = (res: express.Response): string => String(res.locals.opsActor);

  router.get('/stats', async (_req, res) => {
    res.status(200).json(await recordCall(ctx, (record) => record.stats()));
  });

  router.get('/onboardings', async (req, res, next) => {
    const { email, phoneNumber, ...others } = req.query as Record<string, unknown>;
    if (email === undefined && phoneNumber === undefined) return next();
    const person = parse(personSearchSchema, { email, phoneNumber, ...others }, 'query');
    const found = await recordCall(ctx, (record) =>
      record.findByPerson(person.email !== undefined ? { email: person.email } : { phoneNumber: person.phoneNumber! }),
    );
    res.status(200).json({ items: found.map(recordListItem) });
  });

  router.get('/onboardings', async (req, res) => {
    const { pageSize, pageToken, ...rest } = req.query as Record<string, unknown>;
    const filters = parse(listFiltersSchema, rest, 'query');
    const paging = parse(pagingSchema, { pageSize, pageToken }, 'query');
    // Page tokens carry a MAC bound to the filters: Temporal answers a token it does not know with
    // an error its client retries until the deadline (a 503 for the caller's mistake), so a forged
    // token, or one from another query, is refused here.
    const scope = canonicalJson(filters);
    const temporalToken = paging.pageToken === undefined ? undefined : ctx.secrets.openPageToken(paging.pageToken, scope);
    if (paging.pageToken !== undefined && temporalToken === undefined) {
      throw new ProblemError(problems.badRequest('The pageToken is not valid for this query', [{ path: 'pageToken', message: 'not a nextPageToken of this query', code: 'invalid_value' }]));
    }
    try {
      const page = await withDeadline(ctx, timeouts.rpcMs, () =>
        listOnboardings(ctx.client, filters, { pageSize: paging.pageSize ?? DEFAULT_PAGE_SIZE, pageToken: temporalToken }),
      );
      res.status(200).json({ items: page.items, ...(page.nextPageToken ? { nextPageToken: ctx.secrets.signPageToken(page.nextPageToken, scope) } : {}) });
    } catch (err) {
      if (temporalToken && grpcInvalidArgument(err)) throw new ProblemError(problems.badRequest('The pageToken is not valid for this query'));
      const problem = problemForTemporalError(err);
      if (problem) throw new ProblemError(problem);
      throw err;
    }
  });

  router.post('/onboardings/batch/:action', async (req, res) => {
    const action = String(req.params.action) as OpsAction;
    if (!OPS_ACTIONS.includes(action)) throw new ProblemError(problems.notFound('No such batch action; use retry, restart-identification or cancel'));
    const body = parse(batchBodySchema, req.body ?? {}, 'body');
    if (action === 'cancel' && !body.reason) throw new ProblemError(problems.badRequest('A batch cancel needs a "reason"'));
    const { reason, dryRun, ...rest } = body;
    // The body's requestedBy decides nothing: the actor is the key's identity.
    const filters = Object.fromEntries(Object.entries(rest).filter(([k]) => k !== 'requestedBy')) as Omit<typeof rest, 'requestedBy'>;
    const report = await temporalCall(ctx, 120_000, () =>
      runBatch(ctx.client, action, filters, {
        requestedBy: actorOf(res),
        ...(reason ? { reason } : {}),
        dryRun: dryRun ?? false,
        describeError: (err) => {
          const problem = problemForTemporalError(err);
          return { outcome: problem && problem.status < 500 ? 'refused' : 'error', detail: problem?.detail ?? (err instanceof Error ? err.message : String(err)) };
        },
      }),
    );
    ctx.logger.info({ action, actor: actorOf(res), filters, counts: report.counts, matched: report.matched, dryRun: report.dryRun }, 'ops batch');
    res.status(200).json(report);
  });

  router.get('/onboardings/:id', async (req, res) => {
    const id = onboardingIdOf(req);
    res.locals.onboardingId = id;
    let detail;
    try {
      detail = await temporalCall(ctx, timeouts.rpcMs + timeouts.queryMs, () => describeOnboarding(ctx.client, id, { queryTimeoutMs: timeouts.queryMs }), id);
    } catch (err) {
      // Gone from Temporal (retention, deleted): the record still knows it.
      if (!(err instanceof ProblemError && err.problem.status === 404) || !ctx.record) throw err;
      const recorded = await recordCall(ctx, (record) => record.get(id));
      if (!recorded) throw err;
      res.status(200).json(recordDetail(recorded));
      return;
    }
    res.status(200).json(detail);
  });

  router.get('/onboardings/:id/events', async (req, res) => {
    const id = onboardingIdOf(req);
    res.locals.onboardingId = id;
    const items = await recordCall(ctx, async (record) => ((await record.get(id)) ? record.events(id) : undefined));
    if (!items) throw new ProblemError(problems.notFound('The record has no such onboarding'));
    res.status(200).json({ items });
  });

  const action = (name: OpsAction) =>
    async (req: Request, res: express.Response) => {
      const id = onboardingIdOf(req);
      res.locals.onboardingId = id;
      const body: { requestedBy?: string; reason?: string } =
        name === 'cancel' ? parse(cancelBodySchema, req.body ?? {}, 'body') : parse(actionBodySchema, req.body ?? {}, 'body');
      try {
        await temporalCall(
          ctx,
          timeouts.updateMs,
          () => runAction(ctx.client, id, name, { requestedBy: actorOf(res), ...(body.reason ? { reason: body.reason } : {}) }),
          id,
        );
      } catch (err) {
        if (err instanceof OnboardingHasEnded) throw new ProblemError(endedProblem(err));
        throw err;
      }
      ctx.logger.info({ onboardingId: id, action: name, actor: actorOf(res) }, 'ops action');
      res.status(202).json({ onboardingId: id, action: name });
    };
  router.post('/onboardings/:id/retry', action('retry'));
  router.post('/onboardings/:id/restart-identification', action('restart-identification'));
  router.post('/onboardings/:id/cancel', action('cancel'));

  return router;
}

/** `?email=` or `?phoneNumber=`, exactly one, nothing else. */
const personSearchSchema = z
  .object({
    email: z.string().trim().min(3).max(320).optional(),
    phoneNumber: z.string().trim().regex(/^\+?[0-9 ()-]{7,20}$/, 'a phone number such as +359888123456').optional(),
  })
  .strict()
  .refine((q) => (q.email === undefined) !== (q.phoneNumber === undefined), 'search by email or by phoneNumber, one of them');

/** Runs a read of the record; no record configured, or PostgreSQL unreachable, is a 503 to retry. */
async function recordCall<R>(ctx: ApiContext, fn: (record: OnboardingRecord) => Promise<R>): Promise<R> {
  if (!ctx.record) throw new ProblemError(problems.unavailable('The onboarding record is not configured (DATABASE_URL)', 60));
  try {
    return await fn(ctx.record);
  } catch (err) {
    if (err instanceof RecordUnavailableError) {
      ctx.logger.warn({ err: err.message }, 'onboarding record unavailable');
      throw new ProblemError(problems.unavailable('The onboarding record cannot be reached; try again shortly', 5));
    }
    throw err;
  }
}

/** An onboarding of the record, as an item of the ops list. */
function recordListItem(o: RecordedOnboarding) {
  return {
    onboardingId: o.onboardingId,
    stage: o.stage,
    stageEnteredAt: o.stageEnteredAt,
    ...(o.reason ? { reason: o.reason } : {}),
    startedAt: o.createdAt,
    ...(o.endedAt ? { closedAt: o.endedAt } : {}),
    ids: o.ids,
  };
}

/** The ops detail of an onboarding Temporal no longer has, from the record. */
function recordDetail(o: RecordedOnboarding) {
  return {
    onboardingId: o.onboardingId,
    source: 'record',
    stage: o.stage,
    stageEnteredAt: o.stageEnteredAt,
    ...(o.reason ? { reason: o.reason } : {}),
    userType: o.userType,
    ...(o.externalRef ? { externalRef: o.externalRef } : {}),
    ...(o.resumedFrom ? { resumedFrom: o.resumedFrom } : {}),
    ids: o.ids,
    startedAt: o.createdAt,
    ...(o.endedAt ? { endedAt: o.endedAt } : {}),
    ...(o.personalDataErasedAt ? { personalDataErasedAt: o.personalDataErasedAt } : {}),
  };
}

function grpcInvalidArgument(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    if ((e as { code?: unknown }).code === 3) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
