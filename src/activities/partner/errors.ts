// P100's error answers ({errorCode, errorName, errorMessage}) classified into the shared failure
// types by errorCode, never by the HTTP status alone. Built with the shared failure builder
// (../provider-failures.ts).
import type { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../domain/failures';
import {
  classifyCommonStatus,
  failure,
  prefix,
  redact,
  type HttpOutcome,
  type IdentitySection,
  type ProviderFailureDetails,
} from '../provider-failures';
import { partnerErrorSchema } from './schemas';

export type PartnerOperation =
  | 'createUserAccount'
  | 'addKycFiles'
  | 'createKycVerification'
  | 'getVerificationPage'
  | 'getKycStatus'
  | 'addUserVerification'
  | 'addPoaFiles';

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
 * P100's request fields that carry the person or the identity document, per operation (as
 * src/activities/partner/activities.ts maps the KYC record onto them; `country` is the address's
 * in an account and the document's in a KYC verification).
 */
const IDENTITY_FIELDS: Partial<Record<PartnerOperation, Record<string, IdentitySection>>> = {
  createUserAccount: {
    firstName: 'person',
    lastName: 'person',
    citizenship: 'person',
    nationality: 'person',
    birthCountry: 'person',
    birthDate: 'person',
    userIdentificationNumber: 'person',
  },
  createKycVerification: { documentType: 'document', country: 'document' },
  addUserVerification: { documentType: 'document', documentNumber: 'document', documentExpirationDate: 'document' },
};

/** The identity sections whose P100 fields a validation message names (as whole words). */
export function identitySectionsNamed(operation: PartnerOperation, message: string): IdentitySection[] {
  const fields = IDENTITY_FIELDS[operation] ?? {};
  const named = new Set<IdentitySection>();
  for (const [field, section] of Object.entries(fields)) {
    if (new RegExp(`(^|[^A-Za-z0-9_])${field}([^A-Za-z0-9_]|$)`).test(message)) named.add(section);
  }
  return (['person', 'document'] as const).filter((s) => named.has(s));
}

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
      const identitySections = identitySectionsNamed(operation, e.errorMessage ?? '');
      return failure(known.type, userMessage, known.nonRetryable, { ...base, userMessage, ...(identitySections.length ? { identitySections } : {}) });
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
