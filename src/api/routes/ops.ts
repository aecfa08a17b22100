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
import type { Request, Response } from 'express';
import type { z } from 'zod';
import {
  DEFAULT_PAGE_SIZE,
  OPS_ACTIONS,
  type OpsAction,
  describeOnboarding,
  type ListFilters,
  listOnboardings,
  runAction,
  runBatch,
  OnboardingHasEnded,
} from '../../ops/onboardings';
import { registerOnboardingGauges } from '../../observability/onboarding-gauges';
import { CONSOLE_HTML, CONSOLE_SCRIPT } from '../console/page';
import { type ApiContext, recordCall, temporalCall, withDeadline } from '../context';
import { type Handlers, inputOf } from '../mount-routes';
import { ProblemError, problems } from '../problem-details';
import type { opsBatchCancelBodySchema, opsListQuerySchema } from '../schemas';
import { canonicalJson } from '../secrets';
import { problemForTemporalError } from '../temporal-errors';
import type { RecordedOnboarding } from '../../record/changes';
import { needsAttention } from '../../temporal/onboarding-handle';
import { workflowIdFor } from '../../domain/onboarding';

/** The onboarding of `/ops/onboardings/{id}/…`, a uuid as the route table checked. */
function onboardingIdOf(res: Response): string {
  return inputOf<{ params: { id: string } }>(res).params.id;
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

/** The ops operations of the route table (the console page and script hold no data). */
export function opsHandlers(ctx: ApiContext): Handlers {
  registerOnboardingGauges(ctx.metrics.registry, ctx.client, { logger: ctx.logger });

  // The console: a static page and script, no data; the key is asked for in the page.
  const opsConsole = (_req: Request, res: Response) => {
    res.setHeader('Content-Security-Policy', "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.status(200).type('text/html; charset=utf-8').send(CONSOLE_HTML);
  };
  const opsConsoleScript = (_req: Request, res: Response) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.status(200).type('text/javascript; charset=utf-8').send(CONSOLE_SCRIPT);
  };
  const { timeouts } = ctx;
  // The actor of an action is the identity of the ops key (auth.ts), never a field of the body.
  const actorOf = (res: Response): string => String(res.locals.opsActor);

  // Who is signed in, for the console: the key's identity, as the trail will name it.
  const opsWhoami = (_req: Request, res: Response) => {
    res.status(200).json({ actor: actorOf(res) });
  };

  const listOnboardingsHandler = async (_req: Request, res: Response) => {
    const { pageSize, pageToken, email, phoneNumber, ...filters } = inputOf<{ query: z.output<typeof opsListQuerySchema> }>(res).query;
    if (email !== undefined || phoneNumber !== undefined) {
      const found = await recordCall(ctx, (record) => record.findByPerson(email !== undefined ? { email } : { phoneNumber: phoneNumber! }));
      res.status(200).json({ items: found.map(recordListItem) });
      return;
    }
    const paging = { pageSize, pageToken };
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
  };

  const batch = (action: OpsAction) => async (_req: Request, res: Response) => {
    // cancel's body needs a reason (the route table's schema for it); the others may give one.
    const body = inputOf<{ body: Partial<z.output<typeof opsBatchCancelBodySchema>> & ListFilters }>(res).body;
    const { reason, dryRun, stage, waitingLongerThan, needsAttention } = body;
    const filters: ListFilters = {
      ...(stage !== undefined ? { stage } : {}),
      ...(waitingLongerThan !== undefined ? { waitingLongerThan } : {}),
      ...(needsAttention !== undefined ? { needsAttention } : {}),
    };
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
  };

  const opsGetOnboarding = async (_req: Request, res: Response) => {
    const id = onboardingIdOf(res);
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
    res.status(200).json({ ...detail, ...temporalUiLink(id, detail.runId) });
  };

  // The workflow in the Temporal Web UI, where TEMPORAL_UI_URL names it (npm start's dev server).
  const temporalUiLink = (onboardingId: string, runId: string): { temporalUiUrl?: string } => {
    const base = ctx.api.TEMPORAL_UI_URL?.replace(/\/+$/, '');
    if (!base) return {};
    const namespace = encodeURIComponent(ctx.client.options.namespace);
    return { temporalUiUrl: `${base}/namespaces/${namespace}/workflows/${encodeURIComponent(workflowIdFor(onboardingId))}/${encodeURIComponent(runId)}/history` };
  };

  const opsOnboardingEvents = async (_req: Request, res: Response) => {
    const id = onboardingIdOf(res);
    res.locals.onboardingId = id;
    const items = await recordCall(ctx, async (record) => ((await record.get(id)) ? record.events(id) : undefined));
    if (!items) throw new ProblemError(problems.notFound('The record has no such onboarding'));
    res.status(200).json({ items });
  };

  const opsStats = async (_req: Request, res: Response) => {
    res.status(200).json(await recordCall(ctx, (record) => record.stats()));
  };

  const action = (name: OpsAction) =>
    async (_req: Request, res: Response) => {
      const id = onboardingIdOf(res);
      res.locals.onboardingId = id;
      const body = inputOf<{ body: { reason?: string } }>(res).body;
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
  return {
    opsConsole,
    opsConsoleScript,
    listOnboardings: listOnboardingsHandler,
    opsGetOnboarding,
    opsOnboardingEvents,
    opsStats,
    opsWhoami,
    ...Object.fromEntries(OPS_ACTIONS.flatMap((a) => [[`ops_${camel(a)}`, action(a)], [`opsBatch_${camel(a)}`, batch(a)]])),
  };
}

/**
 * An onboarding of the record, as an item of the ops list. The record knows no execution status:
 * an onboarding that reached its end stage completed its workflow; one that did not is running.
 */
function recordListItem(o: RecordedOnboarding) {
  return {
    onboardingId: o.onboardingId,
    stage: o.stage,
    stageEnteredAt: o.stageEnteredAt,
    ...(o.reason ? { reason: o.reason } : {}),
    needsAttention: needsAttention({ flagged: false, stage: o.stage }),
    status: o.endedAt ? 'ENDED' : 'RUNNING',
    startedAt: o.createdAt,
    ...(o.endedAt ? { closedAt: o.endedAt } : {}),
    // The list's ids, as the search attributes give them for the others.
    ids: { ...(o.ids.userId !== undefined ? { userId: o.ids.userId } : {}), ...(o.ids.externalUserId ? { externalUserId: o.ids.externalUserId } : {}) },
  };
}

/** The ops detail of an onboarding Temporal no longer has, from the record. */
function recordDetail(o: RecordedOnboarding) {
  return {
    onboardingId: o.onboardingId,
    source: 'record' as const,
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

const camel = (s: string) => s.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase());

function grpcInvalidArgument(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    if ((e as { code?: unknown }).code === 3) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
