// The OpenAPI 3.1 description served at /openapi.json: every route the app serves (test/api/openapi.test.ts
// walks the Express router and checks), request schemas generated from the same zod schemas the
// routes validate with, every status code a route answers, and problem details for every error.
import { z } from 'zod';
import { END_STAGES, STAGES, nextActionSchema, onboardingViewSchema } from '../domain/onboarding';
import { PARTNER_EVENT_TYPES, partnerEventPayloadSchemas } from '../domain/partner-events';
import { OPS_ACTIONS } from '../ops/onboardings';
import {
  codeBodySchema,
  codecBodySchema,
  kycDataBodySchema,
  opsActionBodySchema,
  opsBatchBodySchema,
  opsCancelBodySchema,
  redirectBodySchema,
  startOnboardingBodySchema,
} from './schemas';

type Json = Record<string, unknown>;

const schema = (s: z.ZodType, io: 'input' | 'output' = 'input'): Json => {
  const json = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Json;
  delete json.$schema;
  return json;
};
const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });

const jsonBody = (s: Json, required = true) => ({ required, content: { 'application/json': { schema: s } } });
const jsonAnswer = (description: string, s: Json, headers?: Json) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/json': { schema: s } },
});
const problem = (description: string, headers?: Json) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/problem+json': { schema: ref('Problem') } },
});
const retryAfter = { 'Retry-After': { schema: { type: 'integer', minimum: 1 }, description: 'Seconds to wait before trying again' } };

const r = {
  badRequest: problem('Malformed input: nothing was done (errors[] lists the paths, never the values)'),
  unauthorized: problem('No valid credentials: nothing was done', {
    'WWW-Authenticate': { schema: { type: 'string' }, description: 'The challenge: Bearer' },
  }),
  notFound: problem('No such onboarding, or not the caller’s'),
  conflict: problem('The call does not fit the onboarding’s stage, or the onboarding has ended (failureType, stage)'),
  tooLarge: problem('The body is too large'),
  unsupportedMedia: problem('The body’s charset or media type is not supported'),
  unavailable: problem('Temporal or the worker cannot answer in time: nothing was done, try again', retryAfter),
};

const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' }, description: 'The onboardingId' };
const idempotencyKey = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,200}$' },
  description: 'Makes a retried call apply once (1 to 200 visible ASCII characters)',
};
const frontend = [{ accessToken: [] }];
const ops = [{ opsApiKey: [] }];
const none: unknown[] = [];

const accepted = { type: 'object', properties: { accepted: { const: true } }, required: ['accepted'] };

/** A frontend step on one onboarding (an update of its workflow). */
const step = (
  operationId: string,
  summary: string,
  body: z.ZodType | undefined,
  ok: Json,
  { codes = false, resend = false }: { codes?: boolean; resend?: boolean } = {},
) => ({
  post: {
    operationId,
    summary,
    tags: ['frontend'],
    security: frontend,
    parameters: [idParam, idempotencyKey],
    ...(body ? { requestBody: jsonBody(schema(body)) } : {}),
    responses: {
      ...ok,
      '400': r.badRequest,
      '401': r.unauthorized,
      '404': r.notFound,
      '409': r.conflict,
      ...(body ? { '413': r.tooLarge, '415': r.unsupportedMedia } : {}),
      ...(codes ? { '422': problem('Wrong code: attemptsLeft says how many tries remain') } : {}),
      ...(resend ? { '429': problem('A new code can be sent later (cooldown)', retryAfter) } : {}),
      '503': r.unavailable,
    },
  },
});

const startedSchema = {
  type: 'object',
  properties: {
    onboardingId: { type: 'string', format: 'uuid' },
    accessToken: { type: 'string', description: 'The Bearer token of every frontend call on this onboarding' },
    stage: ref('Stage'),
    nextAction: ref('NextAction'),
  },
  required: ['onboardingId', 'accessToken', 'stage', 'nextAction'],
};

const degradedViewSchema = {
  type: 'object',
  description: 'What Temporal keeps without a worker (search attributes): the worker could not answer in time',
  properties: {
    onboardingId: { type: 'string' },
    stage: ref('Stage'),
    stageEnteredAt: { type: 'string', format: 'date-time' },
    nextAction: ref('NextAction'),
    needsAttention: { type: 'boolean' },
    degraded: { const: true },
  },
  required: ['onboardingId', 'stage', 'stageEnteredAt', 'nextAction', 'needsAttention', 'degraded'],
};

const listStage = { anyOf: [ref('Stage'), { const: 'UNKNOWN', description: 'No stage recorded (not written by this service)' }] };

const listItemSchema = {
  type: 'object',
  properties: {
    onboardingId: { type: 'string' },
    stage: listStage,
    stageEnteredAt: { type: 'string', format: 'date-time' },
    waitingSeconds: { type: 'integer', description: 'Running onboardings: how long in this stage' },
    lastError: { type: 'object', properties: { type: { type: 'string' } }, required: ['type'] },
    needsAttention: { type: 'boolean' },
    status: { type: 'string', description: 'Temporal’s execution status: RUNNING, COMPLETED, FAILED, …' },
    startedAt: { type: 'string', format: 'date-time' },
    closedAt: { type: 'string', format: 'date-time' },
    ids: { type: 'object', properties: { userId: { type: 'integer' }, externalUserId: { type: 'string' } } },
  },
  required: ['onboardingId', 'stage', 'stageEnteredAt', 'needsAttention', 'status', 'startedAt', 'ids'],
};

const pendingActivitySchema = {
  type: 'object',
  properties: {
    activityType: { type: 'string' },
    state: { type: 'string' },
    attempt: { type: 'integer' },
    maximumAttempts: { type: 'integer' },
    scheduledAt: { type: 'string' },
    lastStartedAt: { type: 'string' },
    nextAttemptAt: { type: 'string' },
    expiresAt: { type: 'string' },
    lastFailure: { type: 'object', properties: { type: { type: 'string' }, message: { type: 'string' } }, required: ['type', 'message'] },
  },
  required: ['activityType', 'state', 'attempt'],
};

const opsDetailSchema = {
  type: 'object',
  properties: {
    onboardingId: { type: 'string' },
    status: { type: 'string' },
    runId: { type: 'string' },
    startedAt: { type: 'string', format: 'date-time' },
    closedAt: { type: 'string', format: 'date-time' },
    historyLength: { type: 'integer' },
    view: ref('OnboardingView'),
    viewUnavailable: { type: 'string', description: 'Why the workflow’s own view is missing (no worker answered)' },
    stage: listStage,
    stageEnteredAt: { type: 'string', format: 'date-time' },
    needsAttention: { type: 'boolean' },
    lastError: { type: 'object', properties: { type: { type: 'string' }, message: { type: 'string' } }, required: ['type'] },
    pendingActivities: { type: 'array', items: pendingActivitySchema },
  },
  required: ['onboardingId', 'status', 'runId', 'startedAt', 'historyLength', 'stage', 'stageEnteredAt', 'needsAttention', 'pendingActivities'],
};

const batchReportSchema = {
  type: 'object',
  properties: {
    action: { type: 'string', enum: [...OPS_ACTIONS] },
    filters: { type: 'object' },
    dryRun: { type: 'boolean' },
    matched: { type: 'integer' },
    truncated: { type: 'boolean', description: 'More matched than one batch acts on: run it again' },
    counts: {
      type: 'object',
      properties: { done: { type: 'integer' }, refused: { type: 'integer' }, skipped: { type: 'integer' }, error: { type: 'integer' } },
      required: ['done', 'refused', 'skipped', 'error'],
    },
    results: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          onboardingId: { type: 'string' },
          stage: { type: 'string' },
          outcome: { type: 'string', enum: ['done', 'refused', 'skipped', 'error'] },
          detail: { type: 'string' },
        },
        required: ['onboardingId', 'stage', 'outcome'],
      },
    },
  },
  required: ['action', 'filters', 'dryRun', 'matched', 'truncated', 'counts', 'results'],
};

const codecAnswer = {
  type: 'object',
  properties: {
    payloads: {
      type: 'array',
      items: {
        type: 'object',
        properties: { metadata: { type: 'object', additionalProperties: { type: 'string' } }, data: { type: 'string' } },
        required: ['metadata', 'data'],
      },
    },
  },
  required: ['payloads'],
};

export function openApiDocument(): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Onboarding orchestrator API',
      version: '0.1.0',
      description:
        'Durable onboarding and KYC (10nPay, P100) on Temporal. JSON over HTTP; every error is application/problem+json ' +
        '(RFC 9457). Bad input gets a 4xx and changes nothing. A method a path does not serve answers 405 with Allow; ' +
        'an unknown path 404.',
    },
    tags: [
      { name: 'frontend', description: 'The onboarding frontend: the accessToken of POST /onboardings as Bearer token' },
      { name: 'partner', description: 'P100’s webhooks: PARTNER_WEBHOOK_TOKEN as the whole Authorization header' },
      { name: 'ops', description: 'Ops and back office: OPS_API_KEY as Bearer token' },
      { name: 'platform', description: 'Health, readiness, metrics, this document' },
    ],
    components: {
      securitySchemes: {
        accessToken: { type: 'http', scheme: 'bearer', description: 'The onboarding’s accessToken from POST /onboardings' },
        opsApiKey: { type: 'http', scheme: 'bearer', description: 'OPS_API_KEY' },
        partnerWebhookToken: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'PARTNER_WEBHOOK_TOKEN, the whole header' },
      },
      schemas: {
        Problem: {
          type: 'object',
          description: 'RFC 9457 problem details, with extension members where they apply',
          properties: {
            type: { type: 'string', format: 'uri-reference' },
            title: { type: 'string' },
            status: { type: 'integer', minimum: 400, maximum: 599 },
            detail: { type: 'string' },
            instance: { type: 'string' },
            attemptsLeft: { type: 'integer', description: 'Wrong code: tries left' },
            onboardingId: { type: 'string', description: 'The onboarding concerned (e.g. the existing one of a 409 for an externalRef)' },
            stage: { type: 'string' },
            failureType: { type: 'string', description: 'Why the onboarding refused the call: WrongStage, OnboardingEnded, InvalidInput, …' },
            retryAfterSeconds: { type: 'integer', description: 'As the Retry-After header' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                properties: { path: { type: 'string' }, message: { type: 'string' }, code: { type: 'string' } },
                required: ['path', 'message', 'code'],
              },
            },
          },
          required: ['type', 'title', 'status'],
        },
        Stage: { type: 'string', enum: [...STAGES], description: `In order; the ends: ${END_STAGES.join(', ')}` },
        NextAction: schema(nextActionSchema, 'output'),
        OnboardingView: schema(onboardingViewSchema, 'output'),
        KycRecord: schema(kycDataBodySchema),
      },
    },
    paths: {
      '/onboardings': {
        post: {
          operationId: 'startOnboarding',
          summary: 'Start an onboarding',
          description:
            'A repeat with the same Idempotency-Key and the same body gets 200 and the same onboarding with its accessToken; ' +
            'the same key with another body 422; the same externalRef without that key 409 with the onboardingId and no token. ' +
            'Rate-limited per client address.',
          tags: ['frontend'],
          security: none,
          parameters: [idempotencyKey],
          requestBody: jsonBody(schema(startOnboardingBodySchema)),
          responses: {
            '201': jsonAnswer('Started', startedSchema),
            '200': jsonAnswer('The same Idempotency-Key and body again: the same onboarding and accessToken', startedSchema),
            '400': r.badRequest,
            '409': problem('An onboarding with this externalRef exists (onboardingId, no token)'),
            '413': r.tooLarge,
            '415': r.unsupportedMedia,
            '422': problem('This Idempotency-Key was used with another body'),
            '429': problem('Too many starts from this address', retryAfter),
            '503': r.unavailable,
          },
        },
      },
      '/onboardings/{id}': {
        get: {
          operationId: 'getOnboarding',
          summary: 'The onboarding: stage, nextAction, ids, timeline, last error',
          tags: ['frontend', 'ops'],
          security: [...frontend, ...ops],
          parameters: [idParam],
          responses: {
            '200': jsonAnswer(
              'The view; when the worker cannot answer, a degraded view from search attributes (degraded: true, header X-Onboarding-View: degraded)',
              { anyOf: [ref('OnboardingView'), degradedViewSchema] },
              { 'X-Onboarding-View': { schema: { const: 'degraded' }, description: 'Present on the degraded view only' } },
            ),
            '401': r.unauthorized,
            '404': r.notFound,
            '503': r.unavailable,
          },
        },
      },
      '/onboardings/{id}/email-confirmation': step('confirmEmail', 'Confirm the e-mail with its code', codeBodySchema, { '200': jsonAnswer('Accepted', accepted) }, { codes: true }),
      '/onboardings/{id}/email-confirmation/resend': step('resendEmailCode', 'Send the e-mail code again', undefined, { '202': jsonAnswer('Sent', accepted) }, { resend: true }),
      '/onboardings/{id}/sms-code': step('confirmSmsCode', 'Verify the phone with the SMS code', codeBodySchema, { '200': jsonAnswer('Accepted', accepted) }, { codes: true }),
      '/onboardings/{id}/sms-code/resend': step('resendSmsCode', 'Send the SMS code again', undefined, { '202': jsonAnswer('Sent', accepted) }, { resend: true }),
      '/onboardings/{id}/kyc-data': step('submitKycData', 'The KYC/risk data (one domain record, mapped onto both providers)', kycDataBodySchema, {
        '200': jsonAnswer('Accepted', accepted),
      }),
      '/onboardings/{id}/redirects': {
        post: {
          operationId: 'relayRedirect',
          summary: 'Relay a Borica redirect',
          tags: ['frontend'],
          security: frontend,
          parameters: [idParam],
          requestBody: jsonBody(schema(redirectBodySchema)),
          responses: {
            '202': jsonAnswer('Handed to the onboarding', accepted),
            '400': r.badRequest,
            '401': r.unauthorized,
            '404': problem('No such onboarding, not the caller’s, or it has ended'),
            '413': r.tooLarge,
            '415': r.unsupportedMedia,
            '503': r.unavailable,
          },
        },
      },
      '/onboardings/{id}/identification/restart': step('restartIdentification', 'Start web identification again after a failure or timeout', undefined, {
        '200': jsonAnswer('Accepted', accepted),
      }),
      '/onboardings/{id}/files': {
        post: {
          operationId: 'uploadFiles',
          summary: 'Upload KYC or proof-of-address files (jpeg, png, pdf; at most 3, 5 MB each)',
          tags: ['frontend'],
          security: frontend,
          parameters: [idParam, idempotencyKey],
          requestBody: {
            required: true,
            content: {
              'multipart/form-data': {
                schema: {
                  type: 'object',
                  properties: {
                    purpose: { type: 'string', enum: ['KYC', 'PROOF_OF_ADDRESS'] },
                    files: { type: 'array', minItems: 1, maxItems: 3, items: { type: 'string', contentMediaType: 'application/octet-stream' } },
                  },
                  required: ['purpose', 'files'],
                },
                encoding: { files: { contentType: 'image/jpeg, image/png, application/pdf' } },
              },
            },
          },
          responses: {
            '200': jsonAnswer('Stored and handed to the onboarding', accepted),
            '400': problem('Not multipart/form-data, no file, more than 3, or a malformed purpose: nothing was done'),
            '401': r.unauthorized,
            '404': r.notFound,
            '409': problem('The onboarding does not wait for files, or it has ended (the files are not kept)'),
            '413': problem('A file is larger than 5 MB'),
            '415': problem('Not a JPEG, PNG or PDF file (by its content)'),
            '503': r.unavailable,
          },
        },
      },
      '/onboardings/{id}/partner-kyc': {
        get: {
          operationId: 'openPartnerKyc',
          summary: 'The signed, short-lived link of nextAction PARTNER_KYC: forwards the browser to the partner’s verification',
          tags: ['frontend'],
          security: none,
          parameters: [
            idParam,
            { name: 'v', in: 'query', required: true, description: 'The partner verification the link is for (signed with the rest)', schema: { type: 'string', minLength: 1, maxLength: 200 } },
            { name: 'exp', in: 'query', required: true, schema: { type: 'integer' } },
            { name: 'sig', in: 'query', required: true, schema: { type: 'string' } },
          ],
          responses: {
            '200': { description: 'The partner’s page', content: { 'text/html': { schema: { type: 'string' } } } },
            '302': { description: 'On to the verification provider', headers: { Location: { schema: { type: 'string', format: 'uri' } } } },
            '403': problem('Invalid link'),
            '410': problem('Expired link, or the verification no longer waits for the user'),
            '502': problem('The partner refused, or redirected outside TRUSTED_URL_HOSTS'),
            '503': r.unavailable,
          },
        },
      },
      ...Object.fromEntries(
        PARTNER_EVENT_TYPES.map((type) => [
          `/webhooks/partner/${type}`,
          {
            post: {
              operationId: `partnerWebhook_${type.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase())}`,
              summary: `P100 webhook: ${type}`,
              tags: ['partner'],
              security: [{ partnerWebhookToken: [] }],
              requestBody: jsonBody(schema(partnerEventPayloadSchemas[type])),
              responses: {
                '200': jsonAnswer('Handed to the onboarding (or an unknown user, acknowledged)', {
                  type: 'object',
                  properties: { received: { const: true } },
                  required: ['received'],
                }),
                '400': r.badRequest,
                '401': problem('Missing or wrong token; nothing done'),
                '413': r.tooLarge,
                '415': r.unsupportedMedia,
                '503': problem('Not handed over; deliver again', retryAfter),
              },
            },
          },
        ]),
      ),
      '/ops/onboardings': {
        get: {
          operationId: 'listOnboardings',
          summary: 'List and filter onboardings: by stage, by how long they have waited, failed ones',
          tags: ['ops'],
          security: ops,
          parameters: [
            { name: 'stage', in: 'query', schema: ref('Stage') },
            {
              name: 'waitingLongerThan',
              in: 'query',
              schema: { type: 'string', pattern: '^P(?!$)(\\d+Y)?(\\d+M)?(\\d+W)?(\\d+D)?(T(?=\\d)(\\d+H)?(\\d+M)?(\\d+S)?)?$', examples: ['PT15M'] },
              description: 'An ISO 8601 duration: running onboardings in their current stage for longer than this',
            },
            { name: 'needsAttention', in: 'query', schema: { type: 'boolean' }, description: 'true: the failed ones and those whose current step keeps failing' },
            { name: 'pageSize', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500 } },
            {
              name: 'pageToken',
              in: 'query',
              schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{23,4096}$' },
              description: 'The nextPageToken of an earlier answer to the same filters',
            },
          ],
          responses: {
            '200': jsonAnswer('A page', {
              type: 'object',
              properties: { items: { type: 'array', items: listItemSchema }, nextPageToken: { type: 'string' } },
              required: ['items'],
            }),
            '400': r.badRequest,
            '401': r.unauthorized,
            '503': r.unavailable,
          },
        },
      },
      '/ops/onboardings/batch/{action}': {
        post: {
          operationId: 'opsBatchAction',
          summary: 'An ops action on every running onboarding matching the filters (at most 500 a call)',
          tags: ['ops'],
          security: ops,
          parameters: [{ name: 'action', in: 'path', required: true, schema: { type: 'string', enum: [...OPS_ACTIONS] } }],
          requestBody: jsonBody(schema(opsBatchBodySchema)),
          responses: {
            '200': jsonAnswer('What was done to each', batchReportSchema),
            '400': r.badRequest,
            '401': r.unauthorized,
            '404': problem('No such batch action'),
            '413': r.tooLarge,
            '415': r.unsupportedMedia,
            '503': r.unavailable,
          },
        },
      },
      '/ops/onboardings/{id}': {
        get: {
          operationId: 'opsGetOnboarding',
          summary: 'Inspect one onboarding: the view, pending activities, history length',
          tags: ['ops'],
          security: ops,
          parameters: [idParam],
          responses: { '200': jsonAnswer('The detail', opsDetailSchema), '401': r.unauthorized, '404': r.notFound, '503': r.unavailable },
        },
      },
      ...Object.fromEntries(
        OPS_ACTIONS.map((action) => [
          `/ops/onboardings/{id}/${action}`,
          {
            post: {
              operationId: `ops_${action.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase())}`,
              summary: `Ops action: ${action}`,
              tags: ['ops'],
              security: ops,
              parameters: [idParam],
              requestBody: action === 'cancel' ? jsonBody(schema(opsCancelBodySchema)) : jsonBody(schema(opsActionBodySchema), false),
              responses: {
                '202': jsonAnswer('Accepted by the onboarding', {
                  type: 'object',
                  properties: { onboardingId: { type: 'string' }, action: { const: action } },
                  required: ['onboardingId', 'action'],
                }),
                '400': r.badRequest,
                '401': r.unauthorized,
                '404': r.notFound,
                '409': problem('Does not fit the stage (no step waits for it), or the onboarding has ended'),
                '413': r.tooLarge,
                '415': r.unsupportedMedia,
                '503': r.unavailable,
              },
            },
          },
        ]),
      ),
      '/ops/console': {
        get: {
          operationId: 'opsConsole',
          summary: 'The ops console page (no data; it asks for the ops key and calls this API)',
          tags: ['ops'],
          security: none,
          responses: { '200': { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } } },
        },
      },
      '/ops/console/app.js': {
        get: {
          operationId: 'opsConsoleScript',
          summary: 'The ops console’s script',
          tags: ['ops'],
          security: none,
          responses: { '200': { description: 'JavaScript', content: { 'text/javascript': { schema: { type: 'string' } } } } },
        },
      },
      ...Object.fromEntries(
        (['encode', 'decode'] as const).map((op) => [
          `/codec/${op}`,
          {
            post: {
              operationId: `codec_${op}`,
              summary: `Temporal codec server: ${op} payloads (CORS for the Temporal UI’s origins)`,
              tags: ['ops'],
              security: ops,
              requestBody: jsonBody(schema(codecBodySchema)),
              responses: {
                '200': jsonAnswer('The payloads', codecAnswer),
                '400': problem(`Malformed, or payloads that cannot be ${op}d`),
                '401': r.unauthorized,
                '413': r.tooLarge,
                '415': r.unsupportedMedia,
              },
            },
            options: {
              operationId: `codec_${op}_preflight`,
              summary: 'CORS preflight (Access-Control-Allow-* for the allowed origins only)',
              tags: ['ops'],
              security: none,
              responses: { '204': { description: 'Preflight answered' } },
            },
          },
        ]),
      ),
      '/healthz': {
        get: {
          operationId: 'healthz',
          summary: 'Liveness',
          tags: ['platform'],
          security: none,
          responses: { '200': jsonAnswer('Alive', { type: 'object', properties: { status: { const: 'ok' } }, required: ['status'] }) },
        },
      },
      '/readyz': {
        get: {
          operationId: 'readyz',
          summary: 'Readiness: Temporal reachable',
          tags: ['platform'],
          security: none,
          responses: {
            '200': jsonAnswer('Ready', { type: 'object', properties: { status: { const: 'ready' } }, required: ['status'] }),
            '503': problem('Temporal cannot be reached', retryAfter),
          },
        },
      },
      '/metrics': {
        get: {
          operationId: 'metrics',
          summary: 'Prometheus metrics',
          tags: ['platform'],
          security: none,
          responses: { '200': { description: 'Prometheus text exposition', content: { 'text/plain': { schema: { type: 'string' } } } } },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'openapi',
          summary: 'This document',
          tags: ['platform'],
          security: none,
          responses: { '200': jsonAnswer('OpenAPI 3.1', { type: 'object' }) },
        },
      },
    },
  };
}
