// 10nPay's error shapes: ASP.NET Core problem details, including its quirks (a 404 whose members
// are all null, a 500 with an empty body), so the service's client meets them here first.
import type { Response } from 'express';
import type { ZodError } from 'zod';
import { newTraceId } from './state';

const PROBLEM = 'application/problem+json; charset=utf-8';

export type FieldErrors = Record<string, string[]>;

export function validationProblem(res: Response, errors: FieldErrors): void {
  res
    .status(400)
    .type(PROBLEM)
    .send(
      JSON.stringify({
        type: 'https://tools.ietf.org/html/rfc9110#section-15.5.1',
        title: 'One or more validation errors occurred.',
        status: 400,
        errors,
        traceId: newTraceId(),
      }),
    );
}

export function notFoundProblem(res: Response, detail?: string): void {
  res
    .status(404)
    .type(PROBLEM)
    .send(
      JSON.stringify({
        type: 'https://tools.ietf.org/html/rfc9110#section-15.5.5',
        title: 'Not Found',
        status: 404,
        ...(detail ? { errors: { Error: [detail] } } : {}),
        traceId: newTraceId(),
      }),
    );
}

/** The 404 some 10nPay endpoints give for an unknown user: every member present and null. */
export function nullNotFound(res: Response): void {
  res.status(404).type(PROBLEM).send(JSON.stringify({ type: null, title: null, status: null, errors: null, traceId: null }));
}

/** ASP.NET names fields by their C# path: `AdditionalData.Data.UserId`; `$` is the body itself. */
export function zodToFieldErrors(error: ZodError, prefix: string[] = []): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const parts = [...prefix, ...issue.path.map((p) => (typeof p === 'string' ? p.charAt(0).toUpperCase() + p.slice(1) : `[${String(p)}]`))];
    const key = parts.length ? parts.join('.').replace(/\.\[/g, '[') : '$';
    const message =
      issue.code === 'invalid_type' && issue.input === undefined ? `The ${parts.at(-1) ?? 'request'} field is required.` : issue.message;
    (out[key] ??= []).push(message);
  }
  return out;
}
