// /openapi.json against the app itself: every route Express serves is described (and nothing is
// described that Express does not serve; both come from src/api/route-table.ts, and this keeps it
// so), and the document is structurally valid OpenAPI 3.1:
// operations with responses, declared path parameters, resolvable $refs, known security schemes,
// problem+json for every error. No Temporal needed: the app is built on an unreachable client.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, listRoutes, type App } from '../../src/api/app';
import { openApiDocument } from '../../src/api/openapi';
import { FileStore } from '../../src/files/file-store';
import { createMetrics } from '../../src/observability/metrics';
import { testSettings } from '../support/fixtures';
import { checkAnswer } from './contract';
import { type Answer, WEBHOOK_TOKEN, apiConfig, call, listen, silentLogger, temporalConfig, unreachableClient, type RunningApi } from './harness';

type Json = Record<string, unknown>;
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

let dir: string;
let app: App;
let api: RunningApi;
const doc = openApiDocument() as { openapi: string; info: Json; paths: Record<string, Json>; components: Json };

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'openapi-test-'));
  const deps = {
    client: unreachableClient(),
    api: apiConfig({ FILE_STORE_DIR: dir }),
    temporal: temporalConfig,
    partner: { PARTNER_WEBHOOK_TOKEN: WEBHOOK_TOKEN },
    settings: () => testSettings(),
    fileStore: new FileStore(dir, { current: temporalConfig.PAYLOAD_ENCRYPTION_KEY }),
    partnerKycPage: async () => ({ status: 200, contentType: 'text/html', location: undefined, body: '' }),
    logger: silentLogger,
    metrics: createMetrics({ defaultMetrics: false }),
  };
  app = createApp(deps);
  api = await listen(deps);
});

afterAll(async () => {
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `/onboardings/{id}` as a regex; a described concrete path (`/webhooks/partner/user-status`) matches a templated route. */
const templateRegex = (template: string) =>
  new RegExp(`^${template.split(/\{\w+\}/).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^/]+')}$`);

const documented = () =>
  Object.entries(doc.paths).flatMap(([p, item]) =>
    HTTP_METHODS.filter((m) => item[m] !== undefined).map((m) => ({ method: m.toUpperCase(), path: p, op: item[m] as Json })),
  );

function resolve(pointer: string): unknown {
  expect(pointer.startsWith('#/'), `only local $refs: ${pointer}`).toBe(true);
  let node: unknown = doc;
  for (const raw of pointer.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = node && typeof node === 'object' ? (node as Json)[key] : undefined;
  }
  return node;
}

function refsIn(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => refsIn(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refsIn(v, out);
    }
  }
  return out;
}

describe('/openapi.json', () => {
  it('describes every route Express serves, and only those', () => {
    const routes = listRoutes(app);
    // Sanity: the walk found the mounted routers' routes, not just the app's own.
    expect(routes.length).toBeGreaterThan(20);
    expect(routes).toContainEqual({ method: 'POST', path: '/ops/onboardings/batch/cancel' });
    expect(routes).toContainEqual({ method: 'GET', path: '/ops/console' });

    const ops = documented();
    const missing = routes.filter(
      (r) => !ops.some((o) => o.method === r.method && (o.path === r.path || templateRegex(r.path).test(o.path))),
    );
    expect(missing, 'routes not in /openapi.json').toEqual([]);

    // CORS preflights are answered by the codec router's middleware, not by a route.
    const served = (o: { method: string; path: string }) =>
      routes.some((r) => r.method === o.method && (r.path === o.path || templateRegex(r.path).test(o.path))) ||
      (o.method === 'OPTIONS' && o.path.startsWith('/codec/'));
    expect(ops.filter((o) => !served(o)).map((o) => `${o.method} ${o.path}`), 'described but not served').toEqual([]);
  });

  it('is structurally valid OpenAPI 3.1', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    const schemes = (doc.components.securitySchemes ?? {}) as Record<string, Json>;
    expect(Object.keys(schemes).sort()).toEqual(['accessToken', 'opsApiKey', 'partnerWebhookToken']);
    expect(schemes.accessToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes.opsApiKey).toMatchObject({ type: 'http', scheme: 'bearer' });

    const operationIds = new Set<string>();
    for (const { method, path: p, op } of documented()) {
      const where = `${method} ${p}`;
      expect(p.startsWith('/'), where).toBe(true);
      expect(typeof op.operationId, where).toBe('string');
      expect(operationIds.has(op.operationId as string), `duplicate operationId at ${where}`).toBe(false);
      operationIds.add(op.operationId as string);

      // Path parameters: each {name} declared, in: path, required; no undeclared ones.
      const params = (op.parameters ?? []) as Json[];
      const templated = [...p.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = params.filter((x) => x.in === 'path');
      expect(declared.map((x) => x.name).sort(), where).toEqual([...templated].sort());
      for (const x of declared) expect(x.required, where).toBe(true);
      for (const x of params) {
        expect(['path', 'query', 'header', 'cookie'], where).toContain(x.in);
        expect(x.schema ?? x.content, where).toBeDefined();
      }

      // Security: an explicit list, of known schemes only.
      expect(Array.isArray(op.security), `${where} states its security`).toBe(true);
      for (const requirement of op.security as Json[]) for (const name of Object.keys(requirement)) expect(schemes[name], where).toBeDefined();

      // Responses: at least one success, each with a description; every error is problem+json.
      const responses = op.responses as Record<string, Json>;
      expect(Object.keys(responses).length, where).toBeGreaterThan(0);
      expect(Object.keys(responses).some((s) => /^[23]\d\d$/.test(s)), `${where} has a success answer`).toBe(true);
      for (const [status, response] of Object.entries(responses)) {
        expect(status, where).toMatch(/^[1-5]\d\d$/);
        expect(typeof response.description, `${where} ${status}`).toBe('string');
        if (Number(status) >= 400) {
          expect(Object.keys((response.content ?? {}) as Json), `${where} ${status} is problem+json`).toEqual(['application/problem+json']);
        }
        if (status === '429' || status === '503') expect((response.headers as Json | undefined)?.['Retry-After'], `${where} ${status}`).toBeDefined();
      }
      if (op.requestBody) expect(Object.keys(((op.requestBody as Json).content ?? {}) as Json).length, where).toBeGreaterThan(0);
    }

    // Every $ref resolves.
    for (const pointer of refsIn(doc)) expect(resolve(pointer), pointer).toBeDefined();
  });

  it('documents the status codes of CONTRACT part 3 where they apply', () => {
    const statuses = (method: string, p: string) => Object.keys((doc.paths[p]?.[method] as Json).responses as Json).sort();
    expect(statuses('post', '/onboardings')).toEqual(expect.arrayContaining(['200', '201', '400', '409', '422', '429', '503']));
    expect(statuses('get', '/onboardings/{id}')).toEqual(expect.arrayContaining(['200', '401', '404', '503']));
    for (const p of ['/onboardings/{id}/email-confirmation', '/onboardings/{id}/sms-code']) {
      expect(statuses('post', p)).toEqual(expect.arrayContaining(['200', '400', '401', '404', '409', '422', '503']));
    }
    expect(statuses('get', '/ops/onboardings')).toEqual(expect.arrayContaining(['200', '400', '401', '503']));
    for (const action of ['retry', 'restart-identification', 'cancel']) {
      expect(statuses('post', `/ops/onboardings/{id}/${action}`)).toEqual(expect.arrayContaining(['202', '400', '401', '404', '409', '503']));
    }
    for (const action of ['retry', 'restart-identification', 'cancel']) {
      expect(statuses('post', `/ops/onboardings/batch/${action}`)).toEqual(expect.arrayContaining(['200', '400', '401']));
    }
    expect((doc.paths['/onboardings/{id}']?.get as Json).security).toEqual([{ accessToken: [] }, { opsApiKey: [] }]);
  });

  it('the answer check of the API tests fails an answer the route table does not list, or a body off its schema', () => {
    const answer = (status: number, body: unknown, contentType = 'application/json'): Answer => ({ status, headers: new Headers(), body, contentType });
    const problem = (status: number, slug: string) => answer(status, { type: `https://onboarding.example/problems/${slug}`, title: 't', status }, 'application/problem+json');
    expect(() => checkAnswer('GET', '/healthz', answer(200, { status: 'ok' }))).not.toThrow();
    expect(() => checkAnswer('GET', '/healthz', answer(200, { status: 'ok', extra: 1 }))).toThrow();
    expect(() => checkAnswer('GET', '/healthz', problem(500, 'internal'))).toThrow();
    expect(() => checkAnswer('POST', '/onboardings/6f1c1c1e-0000-4000-8000-000000000000/sms-code', problem(422, 'wrong-code'))).not.toThrow();
    expect(() => checkAnswer('POST', '/onboardings/6f1c1c1e-0000-4000-8000-000000000000/sms-code', problem(422, 'too-many-requests'))).toThrow();
    expect(() => checkAnswer('POST', '/onboardings/6f1c1c1e-0000-4000-8000-000000000000/kyc-data', problem(422, 'wrong-code'))).toThrow();
    expect(() => checkAnswer('GET', '/nowhere', problem(404, 'not-found'))).not.toThrow();
    expect(() => checkAnswer('GET', '/nowhere', answer(200, {}))).toThrow();
  });

  it('is what GET /openapi.json serves', async () => {
    const res = await call(api.url, 'GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(JSON.parse(JSON.stringify(doc)));
  });

  it('answers a method a path does not serve with 405 problem details and Allow; an unknown path with 404', async () => {
    const trace = await call(api.url, 'DELETE', '/onboardings');
    expect(trace.status).toBe(405);
    expect(trace.contentType).toContain('application/problem+json');
    expect(trace.headers.get('allow')).toBe('POST');
    const get = await call(api.url, 'PUT', '/onboardings/6f1c1c1e-0000-4000-8000-000000000000');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('GET, HEAD');
    // Before authentication: the route list is public (this document).
    const ops = await call(api.url, 'PATCH', '/ops/console');
    expect(ops.status).toBe(405);
    expect(ops.headers.get('allow')).toBe('GET, HEAD');
    const preflight = await call(api.url, 'OPTIONS', '/codec/decode', { headers: { origin: 'https://temporal-ui.example' } });
    expect(preflight.status).toBe(204);
    const unknown = await call(api.url, 'GET', '/nowhere');
    expect(unknown.status).toBe(404);
    expect(unknown.contentType).toContain('application/problem+json');
  });

  it('answers a missing credential with 401 problem details and a Bearer challenge', async () => {
    for (const [method, p] of [['GET', '/ops/onboardings'], ['GET', '/onboardings/6f1c1c1e-0000-4000-8000-000000000000'], ['POST', '/codec/decode']] as const) {
      const res = await call(api.url, method, p, { body: method === 'POST' ? { payloads: [] } : undefined });
      expect(res.status, `${method} ${p}`).toBe(401);
      expect(res.contentType).toContain('application/problem+json');
      expect(res.headers.get('www-authenticate'), `${method} ${p}`).toMatch(/^Bearer\b/);
    }
  });
});
