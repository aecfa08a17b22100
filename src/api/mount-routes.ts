// Mounts the route table (src/api/route-table.ts) on Express: each route gets, in this order, its
// handler's own first steps (a rate limit, CORS), the authentication the table states, its path
// parameters (no fit: 404), headers, JSON body and query checked against the table's schemas
// (no fit: 400 problem details, nothing done), then its handler, which reads the parsed input with
// `inputOf`. A handler for every route and a route for every handler, or the app does not start.
import express, { type RequestHandler, type Response, type Router } from 'express';
import type { z } from 'zod';
import { onboardingAccess, opsAccess, partnerWebhookAccess } from './auth';
import type { ApiContext } from './context';
import { type Problem, ProblemError, problems } from './problem-details';
import { ROUTES, type RouteSpec } from './route-table';

/** A route's handler, or its steps: `before` the authentication (a rate limit, CORS) and after the checks. */
export type Handler = RequestHandler | { before?: RequestHandler[]; handle: RequestHandler | RequestHandler[] };
export type Handlers = Record<string, Handler>;

/** What the table's schemas made of the request. */
export interface Input {
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  headers: Record<string, unknown>;
  body: unknown;
}

export function inputOf<T extends Partial<Input> = Input>(res: Response): Input & T {
  return res.locals.input as Input & T;
}

export function mountRoutes(router: Router, ctx: ApiContext, handlers: Handlers): void {
  const unused = new Set(Object.keys(handlers));
  for (const spec of ROUTES) {
    const handler = handlers[spec.operationId];
    if (!handler) throw new Error(`no handler for ${spec.operationId}`);
    unused.delete(spec.operationId);
    const { before = [], handle } = typeof handler === 'function' ? { handle: handler } : handler;
    const path = spec.path.replace(/\{(\w+)\}/g, ':$1');
    router[spec.method](path, ...before, ...authFor(ctx, spec), ...validation(spec), ...[handle].flat());
  }
  if (unused.size > 0) throw new Error(`handlers without a route: ${[...unused].join(', ')}`);
}

function authFor(ctx: ApiContext, spec: RouteSpec): RequestHandler[] {
  const auth = [...spec.auth].sort().join('+');
  switch (auth) {
    case 'public':
      return [];
    case 'onboarding':
      return [onboardingAccess(ctx)];
    case 'onboarding+ops':
      return [onboardingAccess(ctx, { allowOps: true })];
    case 'ops':
      return [opsAccess(ctx)];
    case 'partner':
      return [partnerWebhookAccess(ctx)];
    default:
      throw new Error(`${spec.operationId}: no authentication for ${auth}`);
  }
}

function check(schema: z.ZodType, value: unknown, refuse: (error: z.ZodError) => Problem): unknown {
  const r = schema.safeParse(value);
  if (!r.success) throw new ProblemError(refuse(r.error));
  return r.data;
}

function validation(spec: RouteSpec): RequestHandler[] {
  const forbidden = (): Problem => ({ status: 403, slug: 'invalid-link', title: 'Invalid link', detail: 'The link is not valid' });
  const steps: RequestHandler[] = [
    (req, res, next) => {
      const input: Input = { params: {}, query: {}, headers: {}, body: undefined };
      if (spec.params) input.params = check(spec.params, req.params, () => (spec.refuseInputAs ? forbidden() : problems.notFound())) as Input['params'];
      if (spec.headers) {
        const sent = Object.fromEntries(Object.keys(spec.headers.shape).flatMap((name) => (req.get(name) === undefined ? [] : [[name, req.get(name)]])));
        input.headers = check(spec.headers, sent, (e) => problems.validation(e, 'headers')) as Input['headers'];
      }
      res.locals.input = input;
      next();
    },
  ];
  if (spec.body) {
    const body = spec.body;
    steps.push(express.json({ limit: body.limit ?? '64kb', type: ['application/json', ...(body.alsoAs ?? [])] }), (req, res, next) => {
      const sent: unknown = req.body === undefined && !body.required ? {} : req.body;
      inputOf(res).body = check(body.schema, sent, (e) => problems.validation(e, 'body'));
      next();
    });
  }
  if (spec.query) {
    const query = spec.query;
    steps.push((req, res, next) => {
      inputOf(res).query = check(query, { ...(req.query as object) }, (e) => (spec.refuseInputAs ? forbidden() : problems.validation(e, 'query'))) as Input['query'];
      next();
    });
  }
  return steps;
}
