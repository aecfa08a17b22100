// The HTTP API: an Express 5 application built from injected dependencies, so tests give it a real
// Temporal client and main.ts gives it the one from the environment. Its routes come from the
// route table (src/api/route-table.ts); the handlers are grouped by audience in src/api/routes:
// frontends (and the signed partner-KYC link for browsers), P100's webhooks, the codec and ops
// (OPS_API_KEY), and the platform endpoints.
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import express, { type Express, type RequestHandler } from 'express';
import type { ApiConfig, PartnerConfig, TemporalConfig } from '../config';
import type { OnboardingSettings } from '../domain/onboarding';
import type { FileStore } from '../files/file-store';
import { EncryptionCodec } from '../temporal/encryption-codec';
import { createLogger, type Logger } from '../observability/logger';
import { createMetrics, type Metrics } from '../observability/metrics';
import { type ApiContext, DEFAULT_TIMEOUTS, type Timeouts } from './context';
import { FRONTEND_PREFIX, frontendHandler } from './frontend';
import type { KycOptionsCache } from './kyc-options';
import type { PartnerKycPageFetcher } from './partner-kyc-page';
import { errorHandler, notFoundHandler, sendProblem } from './problem-details';
import { mountRoutes } from './mount-routes';
import { codecHandlers } from './routes/codec';
import { onboardingsHandlers } from './routes/onboardings';
import { opsHandlers } from './routes/ops';
import { outboundEventsHandlers } from './routes/outbound-events';
import { platformHandlers } from './routes/platform';
import { referenceHandlers } from './routes/reference';
import { webhooksHandlers } from './routes/webhooks';
import { ApiSecrets } from './secrets';
import type { OnboardingRecord } from '../record/repository';
import type { ViewFeed } from '../record/view-feed';

export interface AppDeps {
  /** A Temporal client with the service's data converter (src/temporal/client.ts). */
  client: Client;
  api: ApiConfig;
  temporal: Pick<TemporalConfig, 'TASK_QUEUE' | 'PAYLOAD_ENCRYPTION_KEY' | 'PAYLOAD_ENCRYPTION_OLD_KEYS'>;
  partner: Pick<PartnerConfig, 'PARTNER_WEBHOOK_TOKEN'>;
  /** The settings each new onboarding starts with (loadOnboardingSettings). */
  settings: () => OnboardingSettings;
  fileStore: FileStore;
  /** Fetches P100's verification page (createPartnerKycPageFetcher). */
  partnerKycPage: PartnerKycPageFetcher;
  /** 10nPay's lookup lists (main.ts: read through the 10nPay client); without it no list is served or checked. */
  kycOptions?: KycOptionsCache;
  logger?: Logger;
  metrics?: Metrics;
  timeouts?: Partial<Timeouts>;
  /** The codec served at /codec; by default the EncryptionCodec of the temporal config. */
  codec?: PayloadCodec;
  /** The onboarding record (openRecord), when DATABASE_URL is set. */
  record?: OnboardingRecord;
  /** The views as written (openRecord's `views`), for the streams. */
  viewFeed?: ViewFeed;
}

export interface App extends Express {
  locals: Express['locals'] & { ctx: ApiContext };
}

export function createApp(deps: AppDeps): App {
  const ctx: ApiContext = {
    client: deps.client,
    api: deps.api,
    temporal: deps.temporal,
    partner: deps.partner,
    settings: deps.settings,
    fileStore: deps.fileStore,
    partnerKycPage: deps.partnerKycPage,
    ...(deps.kycOptions ? { kycOptions: deps.kycOptions } : {}),
    codec: deps.codec ?? new EncryptionCodec(deps.temporal.PAYLOAD_ENCRYPTION_KEY, deps.temporal.PAYLOAD_ENCRYPTION_OLD_KEYS),
    secrets: new ApiSecrets(deps.api.API_SIGNING_KEY, deps.api.API_SIGNING_OLD_KEYS),
    timeouts: { ...DEFAULT_TIMEOUTS, ...deps.timeouts },
    logger: deps.logger ?? createLogger(),
    metrics: deps.metrics ?? createMetrics(),
    ...(deps.record ? { record: deps.record } : {}),
    ...(deps.viewFeed ? { viewFeed: deps.viewFeed } : {}),
  };

  const app = express() as App;
  app.locals.ctx = ctx;
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  // Which address the start limit and the ops-key throttle count (TRUST_PROXY; default: the socket's).
  app.set('trust proxy', ctx.api.TRUST_PROXY);
  app.use(observe(ctx));
  // Before the routers, so that a method no route serves is a 405 whatever the path's authentication.
  app.use(methodNotAllowed(app));

  // Answers that carry an accessToken, personal data or decrypted payloads are never cached.
  app.use(['/onboardings', '/ops', '/codec'], noStore);

  // Every route from the one table that /openapi.json is written from (src/api/route-table.ts).
  const routes = express.Router();
  mountRoutes(routes, ctx, {
    ...platformHandlers(ctx),
    ...onboardingsHandlers(ctx),
    ...webhooksHandlers(ctx),
    ...codecHandlers(ctx),
    ...opsHandlers(ctx),
    ...outboundEventsHandlers(ctx),
    ...referenceHandlers(ctx),
  });
  app.use(routes);
  app.use(FRONTEND_PREFIX, frontendHandler());

  app.use(notFoundHandler);
  app.use(errorHandler((err) => ctx.logger.error({ err }, 'unhandled error')));
  return app;
}

const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};

/**
 * One log line and the metrics per request: method, route template, status, duration and the
 * onboarding id when there is one. Never bodies, query strings, codes, tokens, e-mails or phones.
 */
function observe(ctx: ApiContext): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const route = req.route?.path !== undefined ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      const labels = { method: req.method, route, status: String(res.statusCode) };
      ctx.metrics.httpRequests.inc(labels);
      ctx.metrics.httpDuration.observe(labels, seconds);
      if (route === '/metrics' || route === '/healthz' || route === '/readyz') return;
      const entry = {
        method: req.method,
        route,
        status: res.statusCode,
        durationMs: Math.round(seconds * 1000),
        ...(typeof res.locals.onboardingId === 'string' ? { onboardingId: res.locals.onboardingId } : {}),
      };
      if (res.statusCode >= 500) ctx.logger.warn(entry, 'request');
      else ctx.logger.info(entry, 'request');
    });
    next();
  };
}

export interface RouteEntry {
  method: string;
  /** In OpenAPI form: `/onboardings/{id}`. */
  path: string;
}

interface StackLayer {
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: StackLayer[] };
}

/**
 * Every route the app serves, read from Express's router stack (mounted routers included): the
 * OpenAPI test checks each is described, and the 405 answer lists the methods of a path.
 */
export function listRoutes(app: Express): RouteEntry[] {
  const out: RouteEntry[] = [];
  const walk = (stack: StackLayer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route && typeof layer.route.path === 'string') {
        const joined = layer.route.path === '/' && prefix ? prefix : prefix + layer.route.path;
        const path = joined.replace(/:(\w+)/g, '{$1}') || '/';
        for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') out.push({ method: method.toUpperCase(), path });
      } else if (layer.handle?.stack && typeof layer.rawPath === 'string') {
        walk(layer.handle.stack, layer.rawPath === '/' ? prefix : prefix + layer.rawPath);
      }
    }
  };
  walk(((app as unknown as { router: { stack: StackLayer[] } }).router).stack, '');
  return out;
}

/**
 * A path the app serves, called with a method it does not: 405 problem details with `Allow`
 * (rather than the 404 of an unknown path).
 */
function methodNotAllowed(app: Express): RequestHandler {
  let routes: Array<{ pattern: RegExp; methods: Set<string> }> | undefined;
  return (req, res, next) => {
    routes ??= Object.values(
      listRoutes(app).reduce<Record<string, { pattern: RegExp; methods: Set<string> }>>((acc, r) => {
        const entry = (acc[r.path] ??= {
          pattern: new RegExp(`^${r.path.split(/\{\w+\}/).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^/]+')}/?$`),
          methods: new Set<string>(),
        });
        entry.methods.add(r.method);
        if (r.method === 'GET') entry.methods.add('HEAD');
        return acc;
      }, {}),
    );
    if (req.method === 'OPTIONS') return next(); // Express's automatic answer, and the codec's CORS preflight
    const allowed = new Set<string>();
    for (const r of routes) if (r.pattern.test(req.path)) for (const m of r.methods) allowed.add(m);
    if (allowed.size === 0 || allowed.has(req.method)) return next();
    res.setHeader('Allow', [...allowed].sort().join(', '));
    sendProblem(res, { status: 405, slug: 'method-not-allowed', title: 'Method not allowed', detail: `Use ${[...allowed].sort().join(' or ')}` });
  };
}
