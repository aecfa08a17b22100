// 10nPay's error answers (ASP.NET problem details) classified into the shared failure types: what
// a 400 or 404 means depends on the operation (a wrong code, an e-mail already registered, "not yet"
// on finalize). Built with the shared failure builder (../provider-failures.ts).
import type { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../domain/failures';
import { classifyCommonStatus, failure, prefix, redact, type HttpOutcome, type ProviderFailureDetails } from '../provider-failures';
import { problemDetailsSchema } from './schemas';

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


/**
 * Classifies a non-2xx answer from 10nPay. `operation` decides the meaning of 400/404 where the
 * contract gives one (a wrong code, an already registered e-mail, "not yet" on finalize).
 */
export function classifyTennpayResponse(operation: TennpayOperation, outcome: HttpOutcome): ApplicationFailure {
  const p = parseProblemDetails(outcome.body);
  const fields = Object.keys(p.errors);
  // The one field of the identity add-additional-data carries is the person's gender (locked once
  // 10nPay identified the person: the workflow then cannot ask for a correction).
  const identityRefused = operation === 'addAdditionalData' && fields.some((f) => /(^|\.)gender$/i.test(f));
  const extra: Partial<ProviderFailureDetails> = {
    ...(p.traceId ? { traceId: p.traceId } : {}),
    ...(fields.length ? { fields } : {}),
    ...(identityRefused ? { identitySections: ['person'] } : {}),
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
