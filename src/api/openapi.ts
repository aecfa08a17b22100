// The OpenAPI 3.1 description served at /openapi.json: every route of CONTRACT part 3, request
// schemas generated from the same zod schemas the routes validate with.
import { z } from 'zod';
import { END_STAGES, STAGES, nextActionSchema, onboardingViewSchema } from '../domain/onboarding';
import { PARTNER_EVENT_TYPES, partnerEventPayloadSchemas } from '../domain/partner-events';
import { codeBodySchema, codecBodySchema, kycDataBodySchema, redirectBodySchema, startOnboardingBodySchema } from './schemas';

const schema = (s: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> => {
  const json = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  return json;
};

const jsonBody = (s: z.ZodType) => ({ required: true, content: { 'application/json': { schema: schema(s) } } });
const jsonAnswer = (description: string, s?: Record<string, unknown>) => ({
  description,
  content: { 'application/json': { schema: s ?? { type: 'object' } } },
});
const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});
const retryAfter = { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait before trying again' } };
const unavailable = { ...problem('Temporal or the worker cannot answer in time'), headers: retryAfter };

const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const idempotencyKey = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  schema: { type: 'string', minLength: 1, maxLength: 200 },
  description: 'Makes a retried call apply once',
};
const frontend = [{ accessToken: [] }];
const ops = [{ opsApiKey: [] }];

const common = {
  '400': problem('Malformed input (errors[] lists the paths)'),
  '401': problem('No valid token'),
  '404': problem('Unknown onboarding, or not the caller’s'),
  '503': unavailable,
};

const step = (summary: string, body: z.ZodType | undefined, ok: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  post: {
    summary,
    security: frontend,
    parameters: [idParam, idempotencyKey],
    ...(body ? { requestBody: jsonBody(body) } : {}),
    responses: { ...ok, ...common, '409': problem('The call does not fit the onboarding’s stage, or it has ended'), ...extra },
  },
});

const accepted = { type: 'object', properties: { accepted: { const: true } }, required: ['accepted'] };

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Onboarding orchestrator API',
      version: '0.1.0',
      description: 'Durable onboarding and KYC (10nPay, P100) on Temporal. Every error is application/problem+json (RFC 9457).',
    },
    components: {
      securitySchemes: {
        accessToken: { type: 'http', scheme: 'bearer', description: 'The onboarding’s accessToken from POST /onboardings' },
        opsApiKey: { type: 'http', scheme: 'bearer', description: 'OPS_API_KEY' },
        partnerWebhookToken: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'PARTNER_WEBHOOK_TOKEN, the whole header' },
      },
      schemas: {
        Problem: {
          type: 'object',
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            attemptsLeft: { type: 'integer' },
            onboardingId: { type: 'string' },
            retryAfterSeconds: { type: 'integer' },
            errors: {
              type: 'array',
              items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' }, code: { type: 'string' } } },
            },
          },
          required: ['type', 'title', 'status'],
        },
        Stage: { type: 'string', enum: [...STAGES], description: `Ends: ${END_STAGES.join(', ')}` },
        NextAction: schema(nextActionSchema, 'output'),
        OnboardingView: schema(onboardingViewSchema, 'output'),
        KycRecord: schema(kycDataBodySchema),
      },
    },
    paths: {
      '/onboardings': {
        post: {
          summary: 'Start an onboarding',
          parameters: [idempotencyKey],
          requestBody: jsonBody(startOnboardingBodySchema),
          responses: {
            '201': jsonAnswer('Started', {
              type: 'object',
              properties: {
                onboardingId: { type: 'string', format: 'uuid' },
                accessToken: { type: 'string' },
                stage: { $ref: '#/components/schemas/Stage' },
                nextAction: { $ref: '#/components/schemas/NextAction' },
              },
            }),
            '200': jsonAnswer('The same Idempotency-Key and body again: the same onboarding and accessToken'),
            '400': common['400'],
            '409': problem('An onboarding with this externalRef exists (onboardingId, no token)'),
            '422': problem('This Idempotency-Key was used with another body'),
            '429': { ...problem('Too many starts from this address'), headers: retryAfter },
            '503': unavailable,
          },
        },
      },
      '/onboardings/{id}': {
        get: {
          summary: 'The onboarding: stage, nextAction, ids, timeline, last error',
          security: [...frontend, ...ops],
          parameters: [idParam],
          responses: {
            '200': {
              ...jsonAnswer('The view; when the worker cannot answer, a degraded view from search attributes (degraded: true, header X-Onboarding-View: degraded)', {
                $ref: '#/components/schemas/OnboardingView',
              }),
            },
            '401': common['401'],
            '404': common['404'],
            '503': unavailable,
          },
        },
      },
      '/onboardings/{id}/email-confirmation': step('Confirm the e-mail with its code', codeBodySchema, { '200': jsonAnswer('Accepted', accepted) }, {
        '422': problem('Wrong code (attemptsLeft)'),
      }),
      '/onboardings/{id}/email-confirmation/resend': step('Send the e-mail code again', undefined, { '202': jsonAnswer('Sent', accepted) }, {
        '429': { ...problem('Cooldown'), headers: retryAfter },
      }),
      '/onboardings/{id}/sms-code': step('Verify the phone with the SMS code', codeBodySchema, { '200': jsonAnswer('Accepted', accepted) }, {
        '422': problem('Wrong code (attemptsLeft)'),
      }),
      '/onboardings/{id}/sms-code/resend': step('Send the SMS code again', undefined, { '202': jsonAnswer('Sent', accepted) }, {
        '429': { ...problem('Cooldown'), headers: retryAfter },
      }),
      '/onboardings/{id}/kyc-data': step('The KYC/risk data', kycDataBodySchema, { '200': jsonAnswer('Accepted', accepted) }),
      '/onboardings/{id}/redirects': step('Relay a Borica redirect', redirectBodySchema, { '202': jsonAnswer('Handed to the onboarding', accepted) }),
      '/onboardings/{id}/identification/restart': step('Start web identification again', undefined, { '200': jsonAnswer('Accepted', accepted) }),
      '/onboardings/{id}/files': {
        post: {
          summary: 'Upload KYC or proof-of-address files (jpeg, png, pdf; at most 3, 5 MB each)',
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
                    files: { type: 'array', maxItems: 3, items: { type: 'string', contentMediaType: 'application/octet-stream' } },
                  },
                  required: ['purpose', 'files'],
                },
              },
            },
          },
          responses: {
            '200': jsonAnswer('Stored and handed to the onboarding', accepted),
            ...common,
            '409': problem('The onboarding does not wait for files'),
            '413': problem('A file is larger than 5 MB'),
            '415': problem('Not a JPEG, PNG or PDF file'),
          },
        },
      },
      '/onboardings/{id}/partner-kyc': {
        get: {
          summary: 'The signed, short-lived link of nextAction PARTNER_KYC: forwards the browser to the partner’s verification',
          parameters: [
            idParam,
            { name: 'exp', in: 'query', required: true, schema: { type: 'integer' } },
            { name: 'sig', in: 'query', required: true, schema: { type: 'string' } },
          ],
          responses: {
            '200': { description: 'The partner’s page', content: { 'text/html': {} } },
            '302': { description: 'On to the verification provider' },
            '403': problem('Invalid link'),
            '410': problem('Expired link'),
            '502': problem('The partner refused'),
            '503': unavailable,
          },
        },
      },
      ...Object.fromEntries(
        PARTNER_EVENT_TYPES.map((type) => [
          `/webhooks/partner/${type}`,
          {
            post: {
              summary: `P100 webhook: ${type}`,
              security: [{ partnerWebhookToken: [] }],
              requestBody: jsonBody(partnerEventPayloadSchemas[type]),
              responses: {
                '200': jsonAnswer('Handed to the onboarding (or an unknown user, acknowledged)'),
                '400': common['400'],
                '401': problem('Missing or wrong token; nothing done'),
                '503': { ...unavailable, description: 'Not handed over; deliver again' },
              },
            },
          },
        ]),
      ),
      '/ops/onboardings': {
        get: {
          summary: 'List and filter onboardings (ops)',
          security: ops,
          parameters: [
            { name: 'stage', in: 'query', schema: { $ref: '#/components/schemas/Stage' } },
            { name: 'waitingLongerThan', in: 'query', schema: { type: 'string', examples: ['PT15M'] } },
            { name: 'needsAttention', in: 'query', schema: { type: 'boolean' } },
            { name: 'pageSize', in: 'query', schema: { type: 'integer' } },
            { name: 'pageToken', in: 'query', schema: { type: 'string' } },
          ],
          responses: { '200': jsonAnswer('{items, nextPageToken?}'), '401': common['401'] },
        },
      },
      '/ops/onboardings/{id}': {
        get: { summary: 'Inspect one onboarding (ops)', security: ops, parameters: [idParam], responses: { '200': jsonAnswer('The view'), '401': common['401'], '404': common['404'] } },
      },
      ...Object.fromEntries(
        ['retry', 'restart-identification', 'cancel'].map((action) => [
          `/ops/onboardings/{id}/${action}`,
          {
            post: {
              summary: `Ops action: ${action}`,
              security: ops,
              parameters: [idParam],
              ...(action === 'cancel'
                ? { requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: { reason: { type: 'string' } }, required: ['reason'] } } } } }
                : {}),
              responses: { '202': jsonAnswer('{onboardingId, action}'), '401': common['401'], '404': common['404'], '409': problem('Does not fit the stage') },
            },
          },
        ]),
      ),
      ...Object.fromEntries(
        (['encode', 'decode'] as const).map((op) => [
          `/codec/${op}`,
          {
            post: {
              summary: `Temporal codec server: ${op} payloads`,
              security: ops,
              requestBody: jsonBody(codecBodySchema),
              responses: { '200': jsonAnswer('{payloads}'), '400': common['400'], '401': common['401'] },
            },
          },
        ]),
      ),
      '/healthz': { get: { summary: 'Liveness', responses: { '200': jsonAnswer('ok') } } },
      '/readyz': { get: { summary: 'Readiness: Temporal reachable', responses: { '200': jsonAnswer('ready'), '503': unavailable } } },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text/plain exposition' } } } },
      '/openapi.json': { get: { summary: 'This document', responses: { '200': jsonAnswer('OpenAPI 3.1') } } },
    },
  };
}
