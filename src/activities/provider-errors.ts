// THE one error classification for both providers (10nPay and P100): every HTTP outcome — a status
// with its parsed body, a timeout, a refused connection, a malformed body — becomes an
// ApplicationFailure whose `type` is one of src/domain/failures.ts, with `nonRetryable` set so that
// Temporal's retry policy does the right thing, and `nextRetryDelay` honouring Retry-After on 429.
//
// Messages and details never carry personal data, codes or tokens: only the operation, the HTTP
// status, the provider's error code, field names, trace ids and the provider's error text with
// e-mails, phone numbers, long digit runs and quoted values redacted.
import { ApplicationFailure } from '@temporalio/common';
import type { z } from 'zod';
import { FailureType } from '../domain/failures';
import { partnerErrorSchema } from './partner/schemas';
import { problemDetailsSchema } from './tennpay/schemas';

export type Provider = 'tennpay' | 'partner';

const PROVIDER_NAME: Record<Provider, string> = { tennpay: '10nPay', partner: 'P100' };

/** The first element of an ApplicationFailure's `details`, for ops and for the workflow. */
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
  /** The activity attempt that failed (stamped by the worker, src/activities/attempt-interceptor.ts). */
  attempt?: number;
}

/** The 10nPay operations whose 4xx answers mean something specific. */
export type TennpayOperation =
  | 'token'
  | 'createUser'
  | 'sendEmailConfirmation'
  | 'confirmEmail'
  | 'sendSmsCode'
  | 'resendSmsCode'
  | 'verifyPhone'
  | 'getUserStatus'
  | 'addAdditionalData'
  | 'lookup'
  | 'initiateIdentification'
  | 'getIdentificationStatus'
  | 'finalizeIdentification';

export type PartnerOperation =
  | 'createUserAccount'
  | 'addKycFiles'
  | 'createKycVerification'
  | 'getVerificationPage'
  | 'getKycStatus'
  | 'addUserVerification'
  | 'addPoaFiles';

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

function failure(
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

function prefix(provider: Provider, operation: string): string {
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
function classifyCommonStatus(
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
// 10nPay: ASP.NET problem details

export interface ProblemDetails {
  title?: string;
  detail?: string;
  traceId?: string;
  /** field → messages (ASP.NET ModelState), never null. */
  errors: Record<string, string[]>;
  /** OAuth token endpoint errors (RFC 6749). */
  error?: string;
}

/**
 * Parses whatever body 10nPay sent with an error: problem details (possibly with every member
 * null), an OAuth error, a bare string, or nothing at all. Never throws.
 */
export function parseProblemDetails(body: unknown): ProblemDetails {
  const out: ProblemDetails = { errors: {} };
  if (typeof body === 'string') {
    if (body.trim()) out.detail = body.trim();
    return out;
  }
  const parsed = problemDetailsSchema.safeParse(body);
  if (!parsed.success) return out;
  const b = parsed.data;
  if (b.title) out.title = b.title;
  if (b.detail) out.detail = b.detail;
  else if (b.message) out.detail = b.message;
  if (b.traceId) out.traceId = b.traceId;
  if (b.error) out.error = b.error;
  for (const [field, messages] of Object.entries(b.errors ?? {})) {
    out.errors[field] = Array.isArray(messages)
      ? messages.filter((m): m is string => typeof m === 'string')
      : typeof messages === 'string'
        ? [messages]
        : [];
  }
  return out;
}

/** Every message of the problem, lower-cased, for matching. */
function allMessages(p: ProblemDetails): string[] {
  return [...Object.values(p.errors).flat(), p.title ?? '', p.detail ?? '', p.error ?? ''].filter(Boolean);
}

function fieldMessages(p: ProblemDetails, field: string): string[] {
  const key = Object.keys(p.errors).find((k) => k.toLowerCase() === field.toLowerCase());
  return key ? (p.errors[key] ?? []) : [];
}

/** "Email: Email already registered; Error: …" with values redacted. */
function describeProblem(p: ProblemDetails): string {
  const parts = Object.entries(p.errors).map(([field, msgs]) =>
    msgs.length ? `${field}: ${msgs.map((m) => redact(m, 160)).join(' / ')}` : field,
  );
  if (!parts.length) {
    const text = p.error ?? p.detail ?? p.title;
    if (text) parts.push(redact(text, 200));
  }
  return parts.join('; ');
}

export interface HttpOutcome {
  status: number;
  /** The parsed JSON body, the raw text when it is not JSON, or undefined when empty. */
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Classifies a non-2xx answer from 10nPay. `operation` decides the meaning of 400/404 where the
 * contract gives one (a wrong code, an already registered e-mail, "not yet" on finalize).
 */
export function classifyTennpayResponse(operation: TennpayOperation, outcome: HttpOutcome): ApplicationFailure {
  const p = parseProblemDetails(outcome.body);
  const fields = Object.keys(p.errors);
  const extra: Partial<ProviderFailureDetails> = {
    ...(p.traceId ? { traceId: p.traceId } : {}),
    ...(fields.length ? { fields } : {}),
  };
  const details: ProviderFailureDetails = { provider: 'tennpay', operation, httpStatus: outcome.status, ...extra };
  const described = describeProblem(p);
  const msg = (what: string) =>
    `${prefix('tennpay', operation)}: ${what} (HTTP ${outcome.status}${described ? `: ${described}` : ''})`;
  const make = (type: FailureType, what: string, nonRetryable: boolean) =>
    failure(type, msg(what), nonRetryable, details);

  const status = outcome.status;
  const texts = allMessages(p).map((t) => t.toLowerCase());
  const mentions = (...needles: string[]) => texts.some((t) => needles.some((n) => t.includes(n)));

  if (operation === 'token') {
    // The token endpoint: invalid_client / unauthorized_client / invalid_scope are configuration
    // problems (retryable so that ops can fix them without failing onboardings).
    if (status === 400 || status === 401 || status === 403) {
      return make(FailureType.Unauthorized, 'token request refused', false);
    }
  }

  const common = classifyCommonStatus(status, outcome.headers['retry-after'], details, msg);
  if (common) return common;

  if (status === 404) {
    return make(FailureType.UnknownUser, 'unknown user or session', true);
  }

  if (status === 400 || status === 409 || status === 422) {
    switch (operation) {
      case 'createUser': {
        const emailMsgs = [...fieldMessages(p, 'Email'), ...fieldMessages(p, 'Error')].map((m) => m.toLowerCase());
        if (emailMsgs.some((m) => m.includes('already')) || mentions('already registered', 'already exists', 'already taken')) {
          return make(FailureType.EmailAlreadyRegistered, 'e-mail already registered', true);
        }
        return make(FailureType.ValidationFailed, 'rejected', true);
      }
      case 'confirmEmail':
        if (mentions('block', 'too many')) return make(FailureType.CodeBlocked, 'e-mail code blocked', true);
        return make(FailureType.InvalidCode, 'wrong or expired e-mail code', true);
      case 'sendSmsCode':
        if (mentions('phone already registered', 'already registered', 'already exists', 'already in use')) {
          return make(FailureType.PhoneAlreadyRegistered, 'phone number already registered', true);
        }
        if (mentions('block', 'too many')) return make(FailureType.ResendNotAllowed, 'sending not allowed now', true);
        return make(FailureType.ValidationFailed, 'rejected', true);
      case 'resendSmsCode':
        if (mentions('phone already registered')) {
          return make(FailureType.PhoneAlreadyRegistered, 'phone number already registered', true);
        }
        return make(FailureType.ResendNotAllowed, 'resend not allowed', true);
      case 'verifyPhone':
        if (mentions('block', 'too many', 'locked')) return make(FailureType.CodeBlocked, 'SMS code blocked', true);
        return make(FailureType.InvalidCode, 'wrong or expired SMS code', true);
      case 'initiateIdentification':
        return make(FailureType.NotEligible, 'not eligible for identification', true);
      case 'finalizeIdentification':
        // 400 before DOCUMENT_SIGN_SUCCESS; the status may lag, so this one is retried.
        return make(FailureType.IdentificationNotCompleted, 'identification not completed yet', false);
      default:
        return make(FailureType.ValidationFailed, 'rejected', true);
    }
  }

  // Any other 4xx (405, 410, 413, 415 …): our request is wrong; retrying cannot help.
  return make(FailureType.ValidationFailed, 'request rejected', true);
}

// ---------------------------------------------------------------------------------------------
// P100: {errorCode, errorName, errorMessage}

export interface PartnerError {
  errorCode?: string;
  errorName?: string;
  errorMessage?: string;
}

export function parsePartnerError(body: unknown): PartnerError {
  const out: PartnerError = {};
  if (typeof body === 'string') {
    if (body.trim()) out.errorMessage = body.trim();
    return out;
  }
  const parsed = partnerErrorSchema.safeParse(body);
  if (!parsed.success) return out;
  const b = parsed.data;
  const code = b.errorCode?.trim().toUpperCase();
  if (code && /^P\d{3}$/.test(code)) out.errorCode = code;
  if (b.errorName) out.errorName = b.errorName;
  if (b.errorMessage) out.errorMessage = b.errorMessage;
  else if (b.message) out.errorMessage = b.message;
  return out;
}

/** P100 codes whose meaning the workflow branches on; the rest fall back on the status class. */
const PARTNER_CODES: Record<string, { type: FailureType; what: string; nonRetryable: boolean }> = {
  P500: { type: FailureType.ProviderUnavailable, what: 'unknown exception at the provider', nonRetryable: false },
  P501: { type: FailureType.ProviderUnavailable, what: 'service temporarily unavailable', nonRetryable: false },
  P403: { type: FailureType.PartnerValidation, what: 'validation error', nonRetryable: true },
  P473: { type: FailureType.PartnerValidation, what: 'missing required parameters', nonRetryable: true },
  P410: { type: FailureType.PartnerAccountExists, what: 'user account already exists', nonRetryable: true },
  P442: { type: FailureType.PartnerAlreadyVerified, what: 'user already verified', nonRetryable: true },
  P447: { type: FailureType.PartnerAlreadyVerified, what: 'proof of address already verified', nonRetryable: true },
  P430: { type: FailureType.PartnerTooManyVerifications, what: 'too many verifications', nonRetryable: true },
  P446: { type: FailureType.PartnerKycInvalid, what: 'KYC not valid or expired', nonRetryable: true },
  P445: { type: FailureType.PartnerKycNotFound, what: 'KYC not found', nonRetryable: true },
  P459: { type: FailureType.PartnerKycNotFound, what: 'KYC not verified', nonRetryable: true },
  P427: { type: FailureType.PartnerKycFilesMissing, what: 'missing KYC files', nonRetryable: true },
  P466: { type: FailureType.PartnerDocumentUsed, what: 'document number used by another user', nonRetryable: true },
  P426: { type: FailureType.PartnerFileRejected, what: 'file type rejected', nonRetryable: true },
  P440: { type: FailureType.PartnerFileRejected, what: 'file too large', nonRetryable: true },
  P412: { type: FailureType.PartnerUserMissing, what: 'user does not exist', nonRetryable: true },
  P460: { type: FailureType.PartnerPoaNotRequired, what: 'proof of address not expected', nonRetryable: true },
};

/**
 * A message for the user from a P100 validation error: the provider's text made safe (no values
 * echoed back), or a generic sentence when there is nothing usable.
 */
export function partnerUserMessage(e: PartnerError): string {
  const text = e.errorMessage ? redact(e.errorMessage, 200) : '';
  if (text && /[a-z]/i.test(text.replace(/\[(value|email|number)\]/g, ''))) return text;
  return e.errorCode === 'P473'
    ? 'Some required information is missing. Please review your details.'
    : 'Some of your details were not accepted. Please review and submit them again.';
}

/**
 * Classifies a non-2xx answer from P100 by its errorCode, never by the HTTP status alone (P500 and
 * P501 are 400s and transient). Without a code, the status class decides.
 */
export function classifyPartnerResponse(operation: PartnerOperation, outcome: HttpOutcome): ApplicationFailure {
  const e = parsePartnerError(outcome.body);
  const known = e.errorCode ? PARTNER_CODES[e.errorCode] : undefined;
  const base: ProviderFailureDetails = {
    provider: 'partner',
    operation,
    httpStatus: outcome.status,
    ...(e.errorCode ? { errorCode: e.errorCode } : {}),
  };
  const text = e.errorMessage ? redact(e.errorMessage, 200) : '';
  const msg = (what: string) =>
    `${prefix('partner', operation)}: ${what} (HTTP ${outcome.status}${e.errorCode ? ` ${e.errorCode}` : ''}${text ? `: ${text}` : ''})`;

  if (known) {
    if (known.type === FailureType.PartnerValidation) {
      // The workflow shows this failure's message to the user (nextAction SUBMIT_KYC_DATA), so the
      // message is the user-safe text itself; the operation and code are in the details.
      const userMessage = partnerUserMessage(e);
      return failure(known.type, userMessage, known.nonRetryable, { ...base, userMessage });
    }
    return failure(known.type, msg(known.what), known.nonRetryable, base);
  }

  const common = classifyCommonStatus(outcome.status, outcome.headers['retry-after'], base, msg);
  if (common) return common;

  if (e.errorCode) {
    // A business error code the contract does not name: the request was understood and refused;
    // retrying the same request cannot help. Ops see the code.
    return failure(FailureType.ValidationFailed, msg('rejected'), true, base);
  }
  // A 4xx without any P100 error body: a proxy or gateway page, not P100's answer. Retryable.
  return failure(FailureType.MalformedResponse, msg('unexpected error response'), false, base);
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
