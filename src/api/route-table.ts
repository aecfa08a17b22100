// The HTTP contract in one table: for each route its method and path, who may call it, the zod
// schemas of its parameters, query, headers and body, and every answer it gives (status, body
// schema, problem types, headers). src/api/app.ts mounts the Express routes from it (with the
// authentication and the validation it states) and src/api/openapi.ts writes /openapi.json from
// it; the API tests parse every answer with the schema listed here for its status.
import { z } from 'zod';
import { MAX_FILES_PER_UPLOAD } from '../domain/files';
import { FILE_PURPOSES } from '../domain/onboarding';
import { PARTNER_EVENT_TYPES, partnerEventPayloadSchemas } from '../domain/partner-events';
import { OPS_ACTIONS } from '../ops/onboardings';
import {
  acceptedSchema,
  batchReportSchema,
  codeBodySchema,
  codecAnswerSchema,
  codecBodySchema,
  healthSchema,
  kycOptionsSchema,
  idempotencyHeadersSchema,
  kycDataBodySchema,
  listPageSchema,
  onboardingAnswerSchema,
  onboardingIdParamsSchema,
  openApiAnswerSchema,
  opsActionAnswerSchema,
  opsActionBodySchema,
  opsBatchBodySchema,
  opsBatchCancelBodySchema,
  opsCancelBodySchema,
  opsDetailSchema,
  opsEventsSchema,
  opsListQuerySchema,
  opsRecordDetailSchema,
  opsStatsSchema,
  opsWhoamiSchema,
  partnerKycQuerySchema,
  readySchema,
  redirectBodySchema,
  startOnboardingBodySchema,
  startedSchema,
  webhookReceivedSchema,
} from './schemas';
import { outboundEventsQuerySchema, redeliverBodySchema, redeliveredSchema, undeliveredListSchema } from './outbound-events-schemas';

/** Who may call a route: anyone, the onboarding's accessToken, P100's webhook token, the ops key. */
export type Auth = 'public' | 'onboarding' | 'partner' | 'ops';

export interface HeaderSpec {
  description: string;
  /** JSON Schema of the header's value. */
  schema: Record<string, unknown>;
}

/** An OpenAPI link: a later call whose parameters come from this answer. */
export interface LinkSpec {
  operationId: string;
  parameters: Record<string, string>;
  description?: string;
}

export interface AnswerSpec {
  description: string;
  /** A JSON body, parsed with this schema. */
  json?: z.ZodType;
  /** application/problem+json, with one of these problem types (the slug after /problems/). */
  problem?: readonly string[];
  /** Another media type (HTML, scripts, metrics): the body is not JSON. */
  media?: string;
  headers?: Record<string, HeaderSpec>;
  links?: Record<string, LinkSpec>;
}

export interface JsonBodySpec {
  schema: z.ZodType;
  required: boolean;
  /** express.json's limit. */
  limit?: string;
  /** Media types parsed as JSON beyond application/json (the codec: the Temporal UI sends text/plain). */
  alsoAs?: string[];
}

export interface RouteSpec {
  operationId: string;
  method: 'get' | 'post' | 'options';
  /** OpenAPI form: `/onboardings/{id}`. */
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  /** Any one of these may call it. */
  auth: readonly Auth[];
  /** Path parameters; a value that does not fit answers 404 (no such resource). */
  params?: z.ZodObject;
  /** Query parameters; a value that does not fit answers 400 (or `refuseInputAs`). */
  query?: z.ZodObject;
  /** Request headers by their canonical name. */
  headers?: z.ZodObject;
  body?: JsonBodySpec;
  /** A multipart form the handler reads itself (files); this is its JSON Schema. */
  multipart?: Record<string, unknown>;
  /** Answer params/query that do not fit with this status instead (the signed link: 403). */
  refuseInputAs?: 403;
  responses: Record<number, AnswerSpec>;
}

// ------------------------------------------------------------------------------------------ answers

const retryAfter: Record<string, HeaderSpec> = {
  'Retry-After': { schema: { type: 'integer', minimum: 1 }, description: 'Seconds to wait before trying again' },
};
const problem = (description: string, types: readonly string[], headers?: Record<string, HeaderSpec>): AnswerSpec => ({
  description,
  problem: types,
  ...(headers ? { headers } : {}),
});
const json = (description: string, schema: z.ZodType, extra: Partial<AnswerSpec> = {}): AnswerSpec => ({ description, json: schema, ...extra });

/** The problems a workflow update can answer with (src/api/temporal-errors.ts). */
const REFUSED = ['conflict', 'onboarding-ended'] as const;
const r = {
  badRequest: problem('Malformed input: nothing was done (errors[] lists the paths, never the values)', ['invalid-request']),
  unauthorized: problem('No valid credentials: nothing was done', ['unauthorized'], {
    'WWW-Authenticate': { schema: { type: 'string' }, description: 'The challenge: Bearer' },
  }),
  notFound: problem('No such onboarding, or not the caller’s', ['not-found']),
  conflict: problem('The call does not fit the onboarding’s stage, or the onboarding has ended (failureType, stage)', REFUSED),
  tooLarge: problem('The body is too large', ['too-large']),
  unsupportedMedia: problem('The body’s charset is not supported', ['invalid-request']),
  unavailable: problem('Temporal or the worker cannot answer in time: nothing was done, try again', ['unavailable'], retryAfter),
};
/** The onboarding record (PostgreSQL) cannot be reached, or is not configured. */
const recordUnavailable = problem('The onboarding record cannot be reached: nothing was done, try again', ['unavailable'], retryAfter);
/** Answers put together with optional parts. */
const answers = (all: Record<number, AnswerSpec | undefined>): Record<number, AnswerSpec> =>
  Object.fromEntries(Object.entries(all).filter((e): e is [string, AnswerSpec] => e[1] !== undefined));
/** The answers of any route with a JSON body. */
const bodyErrors = { 400: r.badRequest, 413: r.tooLarge, 415: r.unsupportedMedia };

// ------------------------------------------------------------------------------------------ routes

const FRONTEND = ['frontend'];
const OPS = ['ops'];

/** A user's step on one onboarding (an update of its workflow). */
function step(
  operationId: string,
  path: string,
  summary: string,
  body: z.ZodType | undefined,
  ok: Record<number, AnswerSpec>,
  { codes = false, resend = false, limited = false }: { codes?: boolean; resend?: boolean; limited?: boolean } = {},
): RouteSpec {
  return {
    operationId,
    method: 'post',
    path,
    summary,
    tags: FRONTEND,
    auth: ['onboarding'],
    params: onboardingIdParamsSchema,
    headers: idempotencyHeadersSchema,
    ...(body ? { body: { schema: body, required: true } } : {}),
    responses: answers({
      ...ok,
      400: r.badRequest,
      401: r.unauthorized,
      404: r.notFound,
      409: r.conflict,
      ...(body ? { 413: r.tooLarge, 415: r.unsupportedMedia } : {}),
      ...(codes ? { 422: problem('Wrong code: attemptsLeft says how many tries remain', ['wrong-code']) } : {}),
      ...(resend ? { 429: problem('A new code can be sent later (cooldown: Retry-After says when), or no more at all (CODE_MAX_RESENDS reached: failureType LimitReached)', ['too-many-requests'], retryAfter) } : {}),
      ...(limited ? { 429: problem('This onboarding has taken the most of these calls it takes (failureType LimitReached)', ['too-many-requests'], retryAfter) } : {}),
      503: r.unavailable,
    }),
  };
}

const camel = (s: string) => s.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase());

/** The frontend operations that take the onboardingId (and its accessToken) of POST /onboardings. */
const FRONTEND_OPERATIONS_ON_ONE = [
  'getOnboarding',
  'confirmEmail',
  'resendEmailCode',
  'confirmSmsCode',
  'resendSmsCode',
  'submitKycData',
  'relayRedirect',
  'restartIdentification',
  'uploadFiles',
] as const;

/**
 * From a started onboarding to every call on it: the onboardingId as the path's id, the
 * accessToken as the Bearer token (so that a fuzzer following links reaches the frontend routes).
 */
const startedLinks: Record<string, LinkSpec> = Object.fromEntries(
  FRONTEND_OPERATIONS_ON_ONE.map((operationId) => [
    operationId,
    {
      operationId,
      parameters: { 'path.id': '$response.body#/onboardingId', 'header.Authorization': 'Bearer {$response.body#/accessToken}' },
      description: 'The onboarding just started, with its accessToken',
    },
  ]),
);

/** The ops reads on one onboarding: linked with its onboardingId only (ops bring their own key). */
const OPS_READS_ON_ONE = ['opsGetOnboarding', 'opsOnboardingEvents'] as const;
for (const operationId of OPS_READS_ON_ONE) {
  startedLinks[operationId] = { operationId, parameters: { 'path.id': '$response.body#/onboardingId' }, description: 'The onboarding just started, read with the ops key' };
}

const started = (description: string) =>
  json(description, startedSchema, {
    headers: { 'Cache-Control': { schema: { const: 'no-store' }, description: 'The answer carries an accessToken' } },
    links: startedLinks,
  });

const ROUTE_SPECS: readonly RouteSpec[] = [
  // ---------------------------------------------------------------- platform
  { operationId: 'healthz', method: 'get', path: '/healthz', summary: 'Liveness', tags: ['platform'], auth: ['public'], responses: { 200: json('Alive', healthSchema) } },
  {
    operationId: 'readyz',
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: Temporal reachable',
    tags: ['platform'],
    auth: ['public'],
    responses: { 200: json('Ready', readySchema), 503: problem('Temporal cannot be reached', ['unavailable'], retryAfter) },
  },
  {
    operationId: 'metrics',
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    tags: ['platform'],
    auth: ['public'],
    responses: { 200: { description: 'Prometheus text exposition', media: 'text/plain' } },
  },
  {
    operationId: 'openapi',
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    tags: ['platform'],
    auth: ['public'],
    responses: { 200: json('OpenAPI 3.1', openApiAnswerSchema) },
  },

  // ---------------------------------------------------------------- frontend
  {
    operationId: 'kycOptions',
    method: 'get',
    path: '/reference/kyc-options',
    summary: 'The values a KYC form may offer: 10nPay’s four lookup lists (cached) and P100’s enumerations',
    description:
      'The codes of the KYC record (finances.sourceOfFundId, accountPurposeCode, mainActivityCode, financingMethodCode) must be `value`s of ' +
      'these lists, as strings (digits or words, as 10nPay gives them); any other value is a 400 naming the field.',
    tags: FRONTEND,
    auth: ['public'],
    responses: {
      200: json('The lists (the last good ones while 10nPay cannot be reached)', kycOptionsSchema, {
        headers: { 'Cache-Control': { schema: { type: 'string' }, description: 'public, max-age up to 300 s' } },
      }),
      503: problem('10nPay’s lists have never been read and 10nPay cannot be reached', ['unavailable'], retryAfter),
    },
  },
  {
    operationId: 'startOnboarding',
    method: 'post',
    path: '/onboardings',
    summary: 'Start an onboarding',
    description:
      'A repeat with the same Idempotency-Key and the same body gets 200 and the same onboarding with its accessToken; ' +
      'the same key with another body 422; the same externalRef without that key 409 with the onboardingId and no token. ' +
      'A person who comes back: an e-mail whose earlier onboarding created the 10nPay user and ended without completing starts ' +
      'a new onboarding on that user (201 with resumedFrom); an e-mail with a completed or a running onboarding answers 409 with ' +
      'its onboardingId (onboarding-completed, onboarding-running). Rate-limited per client address.',
    tags: FRONTEND,
    auth: ['public'],
    headers: idempotencyHeadersSchema,
    body: { schema: startOnboardingBodySchema, required: true },
    responses: {
      201: started('Started'),
      200: started('The same Idempotency-Key and body again: the same onboarding and accessToken'),
      ...bodyErrors,
      409: problem('An onboarding with this externalRef exists, or this e-mail has a completed or running onboarding (onboardingId, no token)', [
        'conflict',
        'onboarding-completed',
        'onboarding-running',
      ]),
      422: problem('This Idempotency-Key was used with another body', ['idempotency-key-reused']),
      429: problem('Too many starts from this address', ['too-many-requests'], retryAfter),
      503: r.unavailable,
    },
  },
  {
    operationId: 'getOnboarding',
    method: 'get',
    path: '/onboardings/{id}',
    summary: 'The onboarding: stage, nextAction, ids, timeline, last error',
    tags: ['frontend', 'ops'],
    auth: ['onboarding', 'ops'],
    params: onboardingIdParamsSchema,
    responses: {
      200: json(
        'The view; when the worker cannot answer, a degraded view from search attributes (degraded: true, header X-Onboarding-View: degraded)',
        onboardingAnswerSchema,
        { headers: { 'X-Onboarding-View': { schema: { const: 'degraded' }, description: 'Present on the degraded view only' } } },
      ),
      401: r.unauthorized,
      404: r.notFound,
      409: problem('The onboarding cannot answer now', ['conflict']),
      503: r.unavailable,
    },
  },
  step('confirmEmail', '/onboardings/{id}/email-confirmation', 'Confirm the e-mail with its code', codeBodySchema, { 200: json('Accepted', acceptedSchema) }, { codes: true }),
  step('resendEmailCode', '/onboardings/{id}/email-confirmation/resend', 'Send the e-mail code again', undefined, { 202: json('Sent', acceptedSchema) }, { resend: true }),
  step('confirmSmsCode', '/onboardings/{id}/sms-code', 'Verify the phone with the SMS code', codeBodySchema, { 200: json('Accepted', acceptedSchema) }, { codes: true }),
  step('resendSmsCode', '/onboardings/{id}/sms-code/resend', 'Send the SMS code again', undefined, { 202: json('Sent', acceptedSchema) }, { resend: true }),
  step('submitKycData', '/onboardings/{id}/kyc-data', 'The KYC/risk data (one domain record, mapped onto both providers); person and document locked once identified (409 IdentityLocked)', kycDataBodySchema, {
    200: json('Accepted', acceptedSchema),
  }, { limited: true }),
  {
    operationId: 'relayRedirect',
    method: 'post',
    path: '/onboardings/{id}/redirects',
    summary: 'Relay a Borica redirect',
    tags: FRONTEND,
    auth: ['onboarding'],
    params: onboardingIdParamsSchema,
    body: { schema: redirectBodySchema, required: true },
    responses: {
      202: json('Handed to the onboarding', acceptedSchema),
      ...bodyErrors,
      401: r.unauthorized,
      404: r.notFound,
      409: problem('The onboarding has ended (failureType, stage)', ['onboarding-ended']),
      429: problem('This onboarding has taken the most redirects it takes (failureType LimitReached)', ['too-many-requests'], retryAfter),
      503: r.unavailable,
    },
  },
  step('restartIdentification', '/onboardings/{id}/identification/restart', 'Start web identification again after a failure or timeout', undefined, {
    200: json('Accepted', acceptedSchema),
  }),
  {
    operationId: 'uploadFiles',
    method: 'post',
    path: '/onboardings/{id}/files',
    summary: 'Upload KYC or proof-of-address files (jpeg, png, pdf; at most 3, 5 MB each)',
    tags: FRONTEND,
    auth: ['onboarding'],
    params: onboardingIdParamsSchema,
    headers: idempotencyHeadersSchema,
    multipart: {
      type: 'object',
      properties: {
        purpose: { type: 'string', enum: [...FILE_PURPOSES] },
        files: {
          type: 'array',
          minItems: 1,
          maxItems: MAX_FILES_PER_UPLOAD,
          items: {
            type: 'string',
            contentMediaType: 'application/octet-stream',
            // What the server checks is the content's first bytes: a PDF as text here; JPEG and PNG
            // too, whose binary signatures a text pattern cannot state.
            pattern: '^%PDF-',
            description: 'A JPEG, PNG or PDF file (by its first bytes), at most 5 MB',
          },
        },
      },
      required: ['purpose', 'files'],
      additionalProperties: false,
    },
    responses: {
      200: json('Stored and handed to the onboarding', acceptedSchema),
      400: problem('Not multipart/form-data, no file, more than 3, or a malformed purpose: nothing was done', ['invalid-request']),
      401: r.unauthorized,
      404: r.notFound,
      409: problem('The onboarding does not wait for files, or it has ended (the files are not kept)', REFUSED),
      413: problem('A file is larger than 5 MB', ['too-large']),
      415: problem('Not a JPEG, PNG or PDF file (by its content)', ['unsupported-file-type']),
      429: problem('This onboarding has taken the most uploads it takes (failureType LimitReached; the files are not kept)', ['too-many-requests'], retryAfter),
      503: r.unavailable,
    },
  },
  {
    operationId: 'openPartnerKyc',
    method: 'get',
    path: '/onboardings/{id}/partner-kyc',
    summary: 'The signed, short-lived link of nextAction PARTNER_KYC: forwards the browser to the partner’s verification',
    tags: FRONTEND,
    auth: ['public'],
    params: onboardingIdParamsSchema,
    query: partnerKycQuerySchema,
    refuseInputAs: 403,
    responses: {
      200: { description: 'The partner’s page', media: 'text/html' },
      302: { description: 'On to the verification provider', headers: { Location: { schema: { type: 'string', format: 'uri' }, description: 'The provider’s page' } } },
      403: problem('Invalid link', ['invalid-link']),
      410: problem('Expired link, or the verification no longer waits for the user', ['link-expired']),
      502: problem('The partner refused', ['partner-error']),
      503: r.unavailable,
    },
  },

  // ---------------------------------------------------------------- partner
  ...PARTNER_EVENT_TYPES.map(
    (type): RouteSpec => ({
      operationId: `partnerWebhook_${camel(type)}`,
      method: 'post',
      path: `/webhooks/partner/${type}`,
      summary: `P100 webhook: ${type}`,
      tags: ['partner'],
      auth: ['partner'],
      body: { schema: partnerEventPayloadSchemas[type], required: true },
      responses: {
        200: json('Handed to the onboarding (or an unknown user, acknowledged)', webhookReceivedSchema),
        ...bodyErrors,
        401: problem('Missing or wrong token; nothing done', ['unauthorized']),
        503: problem('Not handed over; deliver again', ['unavailable'], retryAfter),
      },
    }),
  ),

  // ---------------------------------------------------------------- ops
  {
    operationId: 'opsConsole',
    method: 'get',
    path: '/ops/console',
    summary: 'The ops console page (no data; it asks for the ops key and calls this API)',
    tags: OPS,
    auth: ['public'],
    responses: { 200: { description: 'HTML', media: 'text/html' } },
  },
  {
    operationId: 'opsConsoleScript',
    method: 'get',
    path: '/ops/console/app.js',
    summary: 'The ops console’s script',
    tags: OPS,
    auth: ['public'],
    responses: { 200: { description: 'JavaScript', media: 'text/javascript' } },
  },
  {
    operationId: 'opsWhoami',
    method: 'get',
    path: '/ops/whoami',
    summary: 'Who is signed in: the identity of the ops key the call carries (the actor of its actions)',
    tags: OPS,
    auth: ['ops'],
    responses: { 200: json('The key’s identity', opsWhoamiSchema), 401: r.unauthorized },
  },
  {
    operationId: 'listOnboardings',
    method: 'get',
    path: '/ops/onboardings',
    summary: 'List and filter onboardings: by stage, by how long they have waited, failed ones',
    description:
      'waitingLongerThan: running onboardings in their current stage for longer than this ISO 8601 duration. ' +
      'needsAttention=true: the failed ones and those whose current step keeps failing.',
    tags: OPS,
    auth: ['ops'],
    query: opsListQuerySchema,
    responses: {
      200: json('A page', listPageSchema),
      400: problem('Malformed filters, or a pageToken that is not a nextPageToken of the same filters', ['invalid-request']),
      401: r.unauthorized,
      503: r.unavailable,
    },
  },
  ...OPS_ACTIONS.map(
    (action): RouteSpec => ({
      operationId: `opsBatch_${camel(action)}`,
      method: 'post',
      path: `/ops/onboardings/batch/${action}`,
      summary: `Ops action ${action} on every running onboarding matching the filters (at most 500 a call)`,
      tags: OPS,
      auth: ['ops'],
      body: { schema: action === 'cancel' ? opsBatchCancelBodySchema : opsBatchBodySchema, required: true },
      responses: { 200: json('What was done to each', batchReportSchema), ...bodyErrors, 401: r.unauthorized, 503: r.unavailable },
    }),
  ),
  {
    operationId: 'opsGetOnboarding',
    method: 'get',
    path: '/ops/onboardings/{id}',
    summary: 'Inspect one onboarding: the view, pending activities, history length',
    tags: OPS,
    auth: ['ops'],
    params: onboardingIdParamsSchema,
    responses: {
      200: json('The detail; from the onboarding record (source: record) once the workflow is gone from Temporal', z.union([opsDetailSchema, opsRecordDetailSchema])),
      401: r.unauthorized,
      404: r.notFound,
      503: r.unavailable,
    },
  },
  {
    operationId: 'opsOnboardingEvents',
    method: 'get',
    path: '/ops/onboardings/{id}/events',
    summary: 'The onboarding’s trail in the record, oldest first: stage changes, ops actions with their actor, provider failures, refused messages',
    tags: OPS,
    auth: ['ops'],
    params: onboardingIdParamsSchema,
    responses: { 200: json('The trail', opsEventsSchema), 401: r.unauthorized, 404: r.notFound, 503: recordUnavailable },
  },
  {
    operationId: 'opsStats',
    method: 'get',
    path: '/ops/stats',
    summary: 'Over the record: running onboardings by stage, ended ones by end stage, p50 and p90 of the time spent in each stage',
    tags: OPS,
    auth: ['ops'],
    responses: { 200: json('The figures', opsStatsSchema), 401: r.unauthorized, 503: recordUnavailable },
  },
  ...OPS_ACTIONS.map(
    (action): RouteSpec => ({
      operationId: `ops_${camel(action)}`,
      method: 'post',
      path: `/ops/onboardings/{id}/${action}`,
      summary: `Ops action: ${action}`,
      tags: OPS,
      auth: ['ops'],
      params: onboardingIdParamsSchema,
      body: action === 'cancel' ? { schema: opsCancelBodySchema, required: true } : { schema: opsActionBodySchema, required: false },
      responses: {
        202: json('Accepted by the onboarding', opsActionAnswerSchema(action)),
        ...bodyErrors,
        401: r.unauthorized,
        404: r.notFound,
        409: problem('Does not fit the stage (no step waits for it), or the onboarding has ended', REFUSED),
        503: r.unavailable,
      },
    }),
  ),

  // ---------------------------------------------------------------- ops: outbound events
  {
    operationId: 'listUndeliveredOutboundEvents',
    method: 'get',
    path: '/ops/outbound-events',
    summary: 'Onboardings whose events to the integrator’s back office are not yet accepted, with the delivery’s attempt and last failure',
    tags: OPS,
    auth: ['ops'],
    query: outboundEventsQuerySchema,
    responses: { 200: json('The undelivered events, per onboarding', undeliveredListSchema), 400: r.badRequest, 401: r.unauthorized, 503: r.unavailable },
  },
  {
    operationId: 'redeliverOutboundEvents',
    method: 'post',
    path: '/ops/outbound-events/redeliver',
    summary: 'Attempt undelivered events now, in order: one onboarding’s (onboardingId) or every onboarding’s',
    tags: OPS,
    auth: ['ops'],
    body: { schema: redeliverBodySchema, required: false },
    responses: {
      202: json('Asked of each delivery', redeliveredSchema),
      ...bodyErrors,
      401: r.unauthorized,
      404: problem('No outbound events for this onboarding', ['not-found']),
      503: r.unavailable,
    },
  },

  // ---------------------------------------------------------------- codec
  ...(['encode', 'decode'] as const).flatMap((op): RouteSpec[] => [
    {
      operationId: `codec_${op}`,
      method: 'post',
      path: `/codec/${op}`,
      summary: `Temporal codec server: ${op} payloads (CORS for the Temporal UI’s origins)`,
      tags: OPS,
      auth: ['ops'],
      body: { schema: codecBodySchema, required: true, limit: '4mb', alsoAs: ['text/plain'] },
      responses: {
        200: json('The payloads', codecAnswerSchema),
        400: problem(`Malformed, or payloads that cannot be ${op}d`, ['invalid-request']),
        401: r.unauthorized,
        413: r.tooLarge,
        415: r.unsupportedMedia,
      },
    },
    {
      operationId: `codec_${op}_preflight`,
      method: 'options',
      path: `/codec/${op}`,
      summary: 'CORS preflight (Access-Control-Allow-* for the allowed origins only)',
      tags: OPS,
      auth: ['public'],
      responses: { 204: { description: 'Preflight answered' } },
    },
  ]),
];

/** Wrong ops keys are throttled per address (src/api/auth.ts): every route taking the ops key may answer 429. */
const opsThrottled = problem('Too many wrong ops keys from this address: wait, right key or not', ['too-many-requests'], retryAfter);
export const ROUTES: readonly RouteSpec[] = ROUTE_SPECS.map((spec) =>
  spec.auth.includes('ops') && !spec.responses[429] ? { ...spec, responses: { ...spec.responses, 429: opsThrottled } } : spec,
);

export type OperationId = (typeof ROUTES)[number]['operationId'];

/** The route of an operation id (the handlers are keyed by it). */
export function routeOf(operationId: string): RouteSpec {
  const spec = ROUTES.find((s) => s.operationId === operationId);
  if (!spec) throw new Error(`no route ${operationId}`);
  return spec;
}
