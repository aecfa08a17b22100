// Every answer the API tests get is checked against the route table (src/api/route-table.ts):
// the route's answer for that status must exist (an unlisted status fails the test, a 500 too),
// and its body must parse with that answer's schema: the JSON schema, or problem details of one of
// the listed problem types, with the headers the table promises. An unknown path or method must
// be a 404 or 405 problem.
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

/** Thrown when an answer is not what the route table promises (fails the test that made the call). */
export class ContractViolation extends Error {
  override name = 'ContractViolation';
}

function ensure(ok: boolean, message: string): void {
  if (!ok) throw new ContractViolation(message);
}

function issues(error: { issues: Array<{ path: PropertyKey[]; message: string }> }): string {
  return error.issues.map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`).join('; ');
}

function expectProblemOf(answer: Answer, types: readonly string[], where: string): void {
  ensure(answer.contentType.includes('application/problem+json'), `${where}: not problem+json but ${answer.contentType}`);
  const parsed = problemSchema.safeParse(answer.body);
  ensure(parsed.success, `${where}: not problem details (${parsed.success ? '' : issues(parsed.error)})`);
  const slug = String((answer.body as { type?: unknown }).type ?? '').replace(/^.*\/problems\//, '');
  ensure(types.includes(slug), `${where}: problem type ${slug}, not one of ${types.join(', ')}`);
  ensure((answer.body as { status?: unknown }).status === answer.status, `${where}: the status member differs from the status`);
}

export function checkAnswer(method: string, pathname: string, answer: Answer): void {
  if (method.toUpperCase() === 'HEAD') return;
  const spec = routeFor(method, pathname);
  const where = `${method} ${pathname} → ${answer.status}`;
  if (!spec) {
    ensure([404, 405].includes(answer.status), `${where}: no route, so 404 or 405`);
    expectProblemOf(answer, ['not-found', 'method-not-allowed'], where);
    return;
  }
  ensure(answer.status !== 405, `${where}: a 405 on a method the table serves`);
  const promised = spec.responses[answer.status];
  ensure(promised !== undefined, `${where}: not an answer ${spec.operationId} lists (${Object.keys(spec.responses).join(', ')})`);
  if (!promised) return;
  for (const name of Object.keys(promised.headers ?? {})) {
    if (name === 'Retry-After') ensure(/^[1-9][0-9]*$/.test(answer.headers.get(name) ?? ''), `${where}: no ${name}`);
  }
  if (promised.problem) return expectProblemOf(answer, promised.problem, where);
  if (promised.json) {
    ensure(answer.contentType.includes('application/json'), `${where}: not JSON but ${answer.contentType}`);
    const parsed = promised.json.safeParse(answer.body);
    ensure(parsed.success, `${where}: body off ${spec.operationId}'s schema (${parsed.success ? '' : issues(parsed.error)})`);
    return;
  }
  if (promised.media) ensure(answer.contentType.includes(promised.media), `${where}: not ${promised.media} but ${answer.contentType}`);
}
