// Who may call what. Frontends carry the onboarding's accessToken as a Bearer token; ops and
// back office carry OPS_API_KEY; P100 carries PARTNER_WEBHOOK_TOKEN as the whole Authorization
// header. Every comparison is constant-time. No caller reaches an onboarding that is not its own:
// a well-formed token that is not this onboarding's answers 404, as an unknown onboarding does.
import type { RequestHandler } from 'express';
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

/** Guards `/onboardings/:id/...`: the onboarding's own token, or (when allowed) the ops key. */
export function onboardingAccess(ctx: ApiContext, { allowOps = false }: { allowOps?: boolean } = {}): RequestHandler {
  return (req, res, next) => {
    const token = bearerOf(req.get('authorization'));
    if (!token) throw new ProblemError(problems.unauthorized());
    const id = String(req.params.id ?? '');
    const opsIdentity = allowOps ? opsIdentityOf(ctx, token) : undefined;
    if (opsIdentity !== undefined) {
      if (!UUID_PATTERN.test(id)) throw new ProblemError(problems.notFound());
      res.locals.caller = 'ops' satisfies Caller;
      res.locals.opsActor = opsIdentity;
      res.locals.onboardingId = id;
      return next();
    }
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
    const identity = opsIdentityOf(ctx, bearerOf(req.get('authorization')));
    if (identity === undefined) throw new ProblemError(problems.unauthorized('The ops API key is required'));
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
