// Who may call what. Frontends carry the onboarding's accessToken as a Bearer token; ops and
// back office carry OPS_API_KEY; P100 carries PARTNER_WEBHOOK_TOKEN as the whole Authorization
// header. Every comparison is constant-time. No caller reaches an onboarding that is not its own:
// a well-formed token that is not this onboarding's answers 404, as an unknown onboarding does.
// Wrong ops keys are counted (ops_auth_failures_total) and, past OPS_AUTH_MAX_FAILURES a minute
// from one address (the address as TRUST_PROXY decides it), that address is answered 429 until
// the minute is over, right key or not, so the key cannot be guessed at speed.
import type { Request, RequestHandler } from 'express';
import type { ApiContext } from './context';
import { ProblemError, problems } from './problem-details';
import { ACCESS_TOKEN_PATTERN, constantTimeEqual } from './secrets';

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export type Caller = 'frontend' | 'ops';

export function bearerOf(header: string | undefined): string | undefined {
  const m = header ? /^Bearer[ ]+(\S+)[ ]*$/i.exec(header) : null;
  return m?.[1];
}

/**
 * The ops identity a bearer key stands for: OPS_API_KEY is `ops`, each OPS_API_KEYS entry its
 * name. Every key is compared (constant time), so the answer takes as long whichever matches.
 */
export function opsIdentityOf(ctx: Pick<ApiContext, 'api'>, token: string | undefined): string | undefined {
  if (!token) return undefined;
  let identity: string | undefined;
  if (constantTimeEqual(token, ctx.api.OPS_API_KEY)) identity = 'ops';
  for (const { name, key } of ctx.api.OPS_API_KEYS ?? []) if (constantTimeEqual(token, key) && identity === undefined) identity = name;
  return identity;
}

const OPS_FAILURE_WINDOW_MS = 60_000;

/** Wrong ops keys per client address, in fixed one-minute windows; one per app (per ApiContext). */
class OpsFailureThrottle {
  private readonly failures = new Map<string, { count: number; resetAt: number }>();

  constructor(private readonly limit: number) {}

  /** Seconds until the address may try again, when it is over the limit. */
  blockedFor(address: string, now = Date.now()): number | undefined {
    const entry = this.failures.get(address);
    if (!entry || entry.resetAt <= now) return undefined;
    return entry.count >= this.limit ? Math.ceil((entry.resetAt - now) / 1000) : undefined;
  }

  fail(address: string, now = Date.now()): void {
    if (this.failures.size > 10_000) for (const [a, e] of this.failures) if (e.resetAt <= now) this.failures.delete(a);
    const entry = this.failures.get(address);
    if (!entry || entry.resetAt <= now) this.failures.set(address, { count: 1, resetAt: now + OPS_FAILURE_WINDOW_MS });
    else entry.count += 1;
  }
}

const throttles = new WeakMap<ApiContext, OpsFailureThrottle>();
const throttleOf = (ctx: ApiContext): OpsFailureThrottle => {
  let t = throttles.get(ctx);
  if (!t) throttles.set(ctx, (t = new OpsFailureThrottle(ctx.api.OPS_AUTH_MAX_FAILURES)));
  return t;
};

/** 429 when the caller's address has sent too many wrong ops keys this minute. */
function refuseThrottled(ctx: ApiContext, req: Request): void {
  const wait = throttleOf(ctx).blockedFor(req.ip ?? '');
  if (wait === undefined) return;
  ctx.metrics.opsAuthFailures.inc({ outcome: 'throttled' });
  throw new ProblemError(problems.tooManyRequests('Too many wrong ops keys from this address', wait));
}

function wrongOpsKey(ctx: ApiContext, req: Request, detail: string): ProblemError {
  throttleOf(ctx).fail(req.ip ?? '');
  ctx.metrics.opsAuthFailures.inc({ outcome: 'rejected' });
  return new ProblemError(problems.unauthorized(detail));
}

/** Guards `/onboardings/:id/...`: the onboarding's own token, or (when allowed) the ops key. */
export function onboardingAccess(ctx: ApiContext, { allowOps = false }: { allowOps?: boolean } = {}): RequestHandler {
  return (req, res, next) => {
    const token = bearerOf(req.get('authorization'));
    if (!token) throw new ProblemError(problems.unauthorized());
    const id = String(req.params.id ?? '');
    // A token that cannot be an access token, where an ops key is accepted, is a try at an ops key.
    const opsKeyTry = allowOps && !ACCESS_TOKEN_PATTERN.test(token);
    if (opsKeyTry) refuseThrottled(ctx, req);
    const opsIdentity = allowOps ? opsIdentityOf(ctx, token) : undefined;
    if (opsIdentity !== undefined) {
      if (!UUID_PATTERN.test(id)) throw new ProblemError(problems.notFound());
      res.locals.caller = 'ops' satisfies Caller;
      res.locals.opsActor = opsIdentity;
      res.locals.onboardingId = id;
      return next();
    }
    if (opsKeyTry) throw wrongOpsKey(ctx, req, 'The bearer token is neither an access token nor the ops key');
    if (!ACCESS_TOKEN_PATTERN.test(token)) throw new ProblemError(problems.unauthorized('The bearer token is not a valid access token'));
    if (!UUID_PATTERN.test(id) || !ctx.secrets.checkAccessToken(id, token)) throw new ProblemError(problems.notFound());
    res.locals.caller = 'frontend' satisfies Caller;
    res.locals.onboardingId = id;
    next();
  };
}

/**
 * Ops and back office: `Authorization: Bearer <key>`, OPS_API_KEY or one of OPS_API_KEYS; the
 * key's identity is `res.locals.opsActor`, the actor of whatever the request does.
 */
export function opsAccess(ctx: ApiContext): RequestHandler {
  return (req, res, next) => {
    refuseThrottled(ctx, req);
    const token = bearerOf(req.get('authorization'));
    if (!token) throw new ProblemError(problems.unauthorized('The ops API key is required'));
    const identity = opsIdentityOf(ctx, token);
    if (identity === undefined) throw wrongOpsKey(ctx, req, 'The ops API key is required');
    res.locals.caller = 'ops' satisfies Caller;
    res.locals.opsActor = identity;
    next();
  };
}

/** P100 webhooks: the whole Authorization header equals PARTNER_WEBHOOK_TOKEN. */
export function partnerWebhookAccess(ctx: ApiContext): RequestHandler {
  return (req, _res, next) => {
    const header = req.get('authorization');
    if (header === undefined || !constantTimeEqual(header, ctx.partner.PARTNER_WEBHOOK_TOKEN)) {
      throw new ProblemError(problems.unauthorized('The webhook token is missing or wrong', null));
    }
    next();
  };
}
