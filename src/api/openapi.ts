// The OpenAPI 3.1 description served at /openapi.json, written from the route table
// (src/api/route-table.ts), the same definitions Express's routes are mounted from: zod 4's own
// JSON Schema output (z.toJSONSchema) for every parameter, body and answer, so that the document
// accepts and refuses what the server does.
import { z } from 'zod';
import { END_STAGES } from '../domain/onboarding';
import { type AnswerSpec, ROUTES, type RouteSpec } from './route-table';
import { problemSchema } from './schemas';

type Json = Record<string, unknown>;

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };

/** The JSON Schema of a zod schema: what it accepts (requests) or what it gives (answers). */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): Json {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  delete json.$schema;
  return json;
}

const SECURITY: Record<RouteSpec['auth'][number], Json[]> = {
  public: [],
  onboarding: [{ accessToken: [] }],
  ops: [{ opsApiKey: [] }],
  partner: [{ partnerWebhookToken: [] }],
};

function parameters(spec: RouteSpec): Json[] {
  const out: Json[] = [];
  const add = (where: 'path' | 'query' | 'header', object: z.ZodObject | undefined) => {
    if (!object) return;
    const json = jsonSchemaOf(object, 'input') as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, schema] of Object.entries(json.properties ?? {})) {
      const { description, ...rest } = schema;
      out.push({
        name,
        in: where,
        required: where === 'path' || (json.required ?? []).includes(name),
        schema: rest,
        ...(typeof description === 'string' ? { description } : {}),
      });
    }
  };
  add('path', spec.params);
  add('query', spec.query);
  add('header', spec.headers);
  return out;
}

function answer(a: AnswerSpec): Json {
  const content = a.problem
    ? { 'application/problem+json': { schema: PROBLEM_REF } }
    : a.json
      ? { 'application/json': { schema: jsonSchemaOf(a.json, 'output') } }
      : a.media
        ? { [a.media]: { schema: { type: 'string' } } }
        : undefined;
  const description = a.problem ? `${a.description} (problem types: ${a.problem.join(', ')})` : a.description;
  return {
    description,
    ...(a.headers ? { headers: Object.fromEntries(Object.entries(a.headers).map(([n, h]) => [n, { description: h.description, schema: h.schema }])) } : {}),
    ...(content ? { content } : {}),
    ...(a.links ? { links: a.links } : {}),
  };
}

function operation(spec: RouteSpec): Json {
  const params = parameters(spec);
  const requestBody = spec.body
    ? { required: spec.body.required, content: { 'application/json': { schema: jsonSchemaOf(spec.body.schema, 'input') } } }
    : spec.multipart
      ? {
          required: true,
          content: {
            // The server tells a file's type by its first bytes, never by the part's Content-Type
            // (browsers send what the OS guesses): any part type is taken, as octet-stream says.
            'multipart/form-data': { schema: spec.multipart, encoding: { files: { contentType: 'application/octet-stream' } } },
          },
        }
      : undefined;
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: spec.tags,
    security: spec.auth.flatMap((a) => SECURITY[a]),
    ...(params.length ? { parameters: params } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses: Object.fromEntries(Object.entries(spec.responses).map(([status, a]) => [status, answer(a)])),
  };
}

export function openApiDocument(): Json {
  const paths: Record<string, Json> = {};
  for (const spec of ROUTES) (paths[spec.path] ??= {})[spec.method] = operation(spec);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Onboarding orchestrator API',
      version: '0.1.0',
      description:
        'Durable onboarding and KYC (10nPay, P100) on Temporal. JSON over HTTP; every error is application/problem+json ' +
        '(RFC 9457). Bad input gets a 4xx and changes nothing. A method a path does not serve answers 405 with Allow; ' +
        `an unknown path 404. Stages in order; the ends: ${END_STAGES.join(', ')}.`,
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
      schemas: { Problem: jsonSchemaOf(problemSchema, 'output') },
    },
    paths,
  };
}
