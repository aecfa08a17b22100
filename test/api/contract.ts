// Every answer the API tests get is checked against the route table (src/api/route-table.ts):
// the route's answer for that status must exist (an unlisted status fails the test, a 500 too),
// and its body must parse with that answer's schema: the JSON schema, or problem details of one of
// the listed problem types, with the headers the table promises. An unknown path or method must
// be a 404 or 405 problem.
import { expect } from 'vitest';
import { ROUTES, type RouteSpec } from '../../src/api/route-table';
import { problemSchema } from '../../src/api/schemas';
import type { Answer } from '../support/http';

const templateRegex = (template: string) =>
  new RegExp(`^${template.split(/\{\w+\}/).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^/]+')}/?$`);
const MATCHERS = ROUTES.map((spec) => ({ spec, pattern: templateRegex(spec.path) }));

/** The route Express serves this call with: the first of the table that matches, as Express mounts them. */
export function routeFor(method: string, pathname: string): RouteSpec | undefined {
  const path = new URL(pathname, 'http://x').pathname;
  const m = method.toLowerCase() === 'head' ? 'get' : method.toLowerCase();
  return MATCHERS.find((r) => r.spec.method === m && r.pattern.test(path))?.spec;
}

function expectProblemOf(answer: Answer, types: readonly string[], where: string): void {
  expect(answer.contentType, `${where}: problem+json`).toContain('application/problem+json');
  const parsed = problemSchema.safeParse(answer.body);
  expect(parsed.success ? [] : parsed.error.issues, `${where}: problem details`).toEqual([]);
  const slug = String((answer.body as { type?: unknown }).type ?? '').replace(/^.*\/problems\//, '');
  expect(types, `${where}: problem type ${slug}`).toContain(slug);
  expect((answer.body as { status?: unknown }).status, `${where}: status member`).toBe(answer.status);
}

export function checkAnswer(method: string, pathname: string, answer: Answer): void {
  if (method.toUpperCase() === 'HEAD') return;
  const spec = routeFor(method, pathname);
  const where = `${method} ${pathname} → ${answer.status}`;
  if (!spec) {
    expect([404, 405], `${where}: no route, so 404 or 405`).toContain(answer.status);
    expectProblemOf(answer, ['not-found', 'method-not-allowed'], where);
    return;
  }
  const spec405 = answer.status === 405;
  expect(spec405, `${where}: a 405 on a served method`).toBe(false);
  const promised = spec.responses[answer.status];
  expect(promised, `${where}: not an answer ${spec.operationId} lists (${Object.keys(spec.responses).join(', ')})`).toBeDefined();
  if (!promised) return;
  for (const name of Object.keys(promised.headers ?? {})) {
    if (name === 'Retry-After') expect(answer.headers.get(name), `${where}: ${name}`).toMatch(/^[1-9][0-9]*$/);
  }
  if (promised.problem) return expectProblemOf(answer, promised.problem, where);
  if (promised.json) {
    expect(answer.contentType, `${where}: JSON`).toContain('application/json');
    const parsed = promised.json.safeParse(answer.body);
    expect(parsed.success ? [] : parsed.error.issues, `${where}: body against ${spec.operationId}'s schema`).toEqual([]);
    return;
  }
  if (promised.media) expect(answer.contentType, where).toContain(promised.media);
}
