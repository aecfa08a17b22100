// Every error the API answers is an RFC 9457 problem document (application/problem+json):
// `type`, `title`, `status`, `detail`, plus extension members (attemptsLeft, onboardingId,
// errors[] of validation issues with their paths but never the offending values).
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { z } from 'zod';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'https://onboarding.example/problems/';

export interface Problem {
  status: number;
  /** A short slug; the `type` URI is derived from it. */
  slug: string;
  title: string;
  detail?: string;
  /** Extension members. */
  extensions?: Record<string, unknown>;
  /** Seconds, sent as the Retry-After header (and a `retryAfterSeconds` member). */
  retryAfterSeconds?: number;
  /** Further response headers (WWW-Authenticate of a 401). */
  headers?: Record<string, string>;
}

/** Thrown anywhere in a route; the error handler turns it into the response. */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = 'ProblemError';
  }
}

export interface ValidationIssue {
  path: string;
  message: string;
  code: string;
}

/** zod issues without their inputs: a path, a message and a code, never the value sent. */
export function issuesOf(error: z.ZodError, prefix: (string | number)[] = []): ValidationIssue[] {
  return error.issues.map((i) => ({
    path: [...prefix, ...i.path].map(String).join('.') || '(body)',
    message: i.message,
    code: i.code,
  }));
}

export const problems = {
  badRequest: (detail: string, errors?: ValidationIssue[]): Problem => ({
    status: 400,
    slug: 'invalid-request',
    title: 'The request is malformed',
    detail,
    extensions: errors ? { errors } : undefined,
  }),
  validation: (error: z.ZodError, what = 'body', prefix: (string | number)[] = []): Problem =>
    problems.badRequest(`The request ${what} does not match the expected shape`, issuesOf(error, prefix)),
  /** A 401; `challenge` is the WWW-Authenticate header RFC 9110 asks for (Bearer unless told). */
  unauthorized: (detail = 'A valid bearer token is required', challenge: string | null = 'Bearer realm="onboarding"'): Problem => ({
    status: 401,
    slug: 'unauthorized',
    title: 'Not authenticated',
    detail,
    ...(challenge ? { headers: { 'WWW-Authenticate': challenge } } : {}),
  }),
  notFound: (detail = 'No such onboarding'): Problem => ({ status: 404, slug: 'not-found', title: 'Not found', detail }),
  conflict: (detail: string, extensions?: Record<string, unknown>): Problem => ({
    status: 409,
    slug: 'conflict',
    title: 'The call does not fit the onboarding now',
    detail,
    extensions,
  }),
  unavailable: (detail: string, retryAfterSeconds = 5): Problem => ({
    status: 503,
    slug: 'unavailable',
    title: 'Temporarily unavailable',
    detail,
    retryAfterSeconds,
  }),
  tooManyRequests: (detail: string, retryAfterSeconds: number): Problem => ({
    status: 429,
    slug: 'too-many-requests',
    title: 'Too many requests',
    detail,
    retryAfterSeconds,
  }),
};

export function sendProblem(res: Response, p: Problem): void {
  if (res.headersSent) return;
  for (const [name, value] of Object.entries(p.headers ?? {})) res.setHeader(name, value);
  if (p.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(Math.max(1, Math.ceil(p.retryAfterSeconds))));
  const body: Record<string, unknown> = {
    type: TYPE_BASE + p.slug,
    title: p.title,
    status: p.status,
    ...(p.detail !== undefined ? { detail: p.detail } : {}),
    ...(p.retryAfterSeconds !== undefined ? { retryAfterSeconds: Math.max(1, Math.ceil(p.retryAfterSeconds)) } : {}),
    ...(p.extensions ?? {}),
  };
  res.status(p.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

export const notFoundHandler: RequestHandler = (_req, res) => {
  sendProblem(res, { status: 404, slug: 'not-found', title: 'Not found', detail: 'No such route' });
};

interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
}

/**
 * The last middleware: ProblemErrors as they are; body-parser errors (malformed JSON, too large,
 * wrong charset) as 4xx; anything else as a 500 with no detail (logged by the caller's logger).
 */
export function errorHandler(log: (err: unknown) => void): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    if (err instanceof ProblemError) return sendProblem(res, err.problem);
    const e = (err ?? {}) as HttpishError;
    const status = e.status ?? e.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const detail =
        e.type === 'entity.parse.failed'
          ? 'The body is not valid JSON'
          : e.type === 'entity.too.large'
            ? 'The body is too large'
            : 'The request could not be read';
      return sendProblem(res, { status, slug: status === 413 ? 'too-large' : 'invalid-request', title: 'The request is malformed', detail });
    }
    log(err);
    sendProblem(res, { status: 500, slug: 'internal', title: 'Internal error', detail: 'The service failed to answer; try again later' });
  };
}
