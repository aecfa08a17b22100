// The shared failure builder for both providers (10nPay and P100): every HTTP outcome — a status
// with its parsed body, a timeout, a refused connection, a malformed body — becomes an
// ApplicationFailure whose `type` is one of src/domain/failures.ts, with `nonRetryable` set so that
// Temporal's retry policy does the right thing, and `nextRetryDelay` honouring Retry-After on 429.
// What each provider's own error bodies mean is classified beside its client
// (./tennpay/errors.ts, ./partner/errors.ts).
//
// Messages and details never carry personal data, codes or tokens: only the operation, the HTTP
// status, the provider's error code, field names, trace ids and the provider's error text with
// e-mails, phone numbers, long digit runs and quoted values redacted.
import { ApplicationFailure } from '@temporalio/common';
import type { z } from 'zod';
import { FailureType } from '../domain/failures';

export type Provider = 'tennpay' | 'partner';

const PROVIDER_NAME: Record<Provider, string> = { tennpay: '10nPay', partner: 'P100' };

/** The first element of an ApplicationFailure's `details`, for ops and for the workflow. */
export type IdentitySection = 'person' | 'document';

export interface ProviderFailureDetails {
  provider: Provider;
  operation: string;
  /** HTTP status, when the provider answered. */
  httpStatus?: number;
  /** P100's errorCode (P403, P412, …). */
  errorCode?: string;
  /** 10nPay's problem-details traceId. */
  traceId?: string;
  /** Names of the fields the provider complained about (never their values). */
  fields?: string[];
  /** A message safe to show to the user (P100 validation errors). */
  userMessage?: string;
  /**
   * The sections of the KYC record a P100 validation error names a field of, among the identity's
   * (person, document): locked once 10nPay identified the person, so no correction can change them.
   */
  identitySections?: IdentitySection[];
  /** The activity attempt that failed (stamped by the worker, src/activities/attempt-interceptor.ts). */
  attempt?: number;
}

export interface HttpOutcome {
  status: number;
  /** The parsed JSON body, the raw text when it is not JSON, or undefined when empty. */
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

// ---------------------------------------------------------------------------------------------
// Redaction

const EMAIL_RE = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
// E.164 or locally formatted phone numbers: a + or digit, then at least 6 more digits with
// optional spaces, dashes, dots or parentheses in between.
const PHONE_RE = /\+?\(?\d[\d\s().-]{5,}\d/g;
// Long alphanumeric runs that contain digits (document numbers, personal numbers, tokens, codes).
const CODE_RE = /\b(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{4,}\b/g;
const QUOTED_RE = /(["'`“‘])(?:(?!\1).){1,200}\1/g;
const BEARER_RE = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;

/**
 * Removes personal data from provider text: e-mails, phone numbers, digit-bearing tokens (codes,
 * document numbers, ids), quoted values (providers often echo the value they rejected) and
 * credentials. Keeps the words, so "Email already registered" stays readable.
 */
export function redact(text: string, maxLength = 300): string {
  const cleaned = text
    .replace(BEARER_RE, '$1 [redacted]')
    .replace(EMAIL_RE, '[email]')
    .replace(QUOTED_RE, '[value]')
    .replace(PHONE_RE, '[number]')
    .replace(CODE_RE, (m) => (/^P\d{3}$/.test(m) ? m : '[value]'))
    .replace(/\s+/g, ' ')
    .trim();
  return cleaned.length > maxLength ? `${cleaned.slice(0, maxLength - 1)}…` : cleaned;
}

// ---------------------------------------------------------------------------------------------
// Retry-After

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unusable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    return Math.round(Number(trimmed) * 1000);
  }
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Caps a provider-supplied delay so that a hostile or broken header cannot park an activity for days. */
const MAX_RETRY_AFTER_MS = 10 * 60_000;

// ---------------------------------------------------------------------------------------------
// Building failures

export function failure(
  type: FailureType,
  message: string,
  nonRetryable: boolean,
  details: ProviderFailureDetails,
  nextRetryDelay?: number,
): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable,
    details: [details],
    ...(nextRetryDelay !== undefined ? { nextRetryDelay } : {}),
  });
}

export function prefix(provider: Provider, operation: string): string {
  return `${PROVIDER_NAME[provider]} ${operation}`;
}

/** A failure raised by this module's callers for an outcome that is not an HTTP error as such. */
export function providerFailure(
  provider: Provider,
  operation: string,
  type: FailureType,
  text: string,
  options: { nonRetryable: boolean; httpStatus?: number; extra?: Partial<ProviderFailureDetails> },
): ApplicationFailure {
  return failure(type, `${prefix(provider, operation)}: ${text}`, options.nonRetryable, {
    provider,
    operation,
    ...(options.httpStatus !== undefined ? { httpStatus: options.httpStatus } : {}),
    ...options.extra,
  });
}

/** Transport failures: timeouts, refused or reset connections, aborted sockets. Always retryable. */
export function classifyTransportError(provider: Provider, operation: string, err: unknown): ApplicationFailure {
  const e = err as { name?: unknown; code?: unknown; cause?: { code?: unknown } } | null;
  const code = typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  const name = typeof e?.name === 'string' ? e.name : 'Error';
  const isTimeout =
    name === 'TimeoutError' ||
    name === 'HeadersTimeoutError' ||
    name === 'BodyTimeoutError' ||
    name === 'ConnectTimeoutError' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'ETIMEDOUT';
  const what = isTimeout ? 'timed out' : `connection failed (${code ?? name})`;
  return failure(FailureType.ProviderUnavailable, `${prefix(provider, operation)}: ${what}`, false, {
    provider,
    operation,
  });
}

/** A 2xx whose body does not have the agreed shape: retryable (a proxy page, a deploy in progress). */
export function malformedResponse(
  provider: Provider,
  operation: string,
  httpStatus: number,
  issues: { path: PropertyKey[] }[] = [],
): ApplicationFailure {
  const fields = [...new Set(issues.map((i) => i.path.map(String).join('.')).filter(Boolean))];
  const where = fields.length ? ` (fields: ${fields.join(', ')})` : '';
  return failure(
    FailureType.MalformedResponse,
    `${prefix(provider, operation)}: unexpected response body for HTTP ${httpStatus}${where}`,
    false,
    { provider, operation, httpStatus, ...(fields.length ? { fields } : {}) },
  );
}

/** The status-only classes common to both providers; undefined when the status needs the body. */
export function classifyCommonStatus(
  status: number,
  retryAfter: string | string[] | undefined,
  details: ProviderFailureDetails,
  msg: (what: string) => string,
): ApplicationFailure | undefined {
  const bound = (delay: number | undefined) =>
    delay === undefined ? undefined : Math.min(Math.max(delay, 1), MAX_RETRY_AFTER_MS);
  if (status === 429) {
    const delay = bound(parseRetryAfter(retryAfter));
    const what = `rate limited${delay !== undefined ? `, retry after ${delay} ms` : ''}`;
    return failure(FailureType.RateLimited, msg(what), false, details, delay);
  }
  if (status >= 500 || status === 408 || status === 425) {
    const delay = status === 503 ? bound(parseRetryAfter(retryAfter)) : undefined;
    return failure(FailureType.ProviderUnavailable, msg('provider unavailable'), false, details, delay);
  }
  if (status === 401 || status === 403) {
    // Credentials or network allowlisting: a configuration problem that ops can fix while the
    // activity keeps retrying, so it must not fail the onboarding.
    return failure(FailureType.Unauthorized, msg('not authorized'), false, details);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Our own requests

/**
 * Checks a request against its schema before it is sent: a request the provider would refuse is
 * a non-retryable ValidationFailed naming the fields (never their values).
 */
export function checkRequest<S extends z.ZodType>(provider: Provider, operation: string, schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const fields = [...new Set(r.error.issues.map((i) => i.path.map(String).join('.')).filter(Boolean))];
  throw failure(
    FailureType.ValidationFailed,
    `${prefix(provider, operation)}: request not valid${fields.length ? ` (fields: ${fields.join(', ')})` : ''}`,
    true,
    { provider, operation, ...(fields.length ? { fields } : {}) },
  );
}
