// The failure classification of both providers: the shared builder (provider-failures.ts) and
// each provider's errors module (tennpay/errors.ts, partner/errors.ts).
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { FailureType } from '../domain/failures';
import { classifyPartnerResponse } from './partner/errors';
import { classifyTransportError, malformedResponse, parseRetryAfter, redact, type HttpOutcome, type ProviderFailureDetails } from './provider-failures';
import { classifyTennpayResponse, parseProblemDetails } from './tennpay/errors';

const outcome = (status: number, body: unknown, headers: HttpOutcome['headers'] = {}): HttpOutcome => ({ status, body, headers });
const problem = (errors: Record<string, string[]> | null, extra: Record<string, unknown> = {}) => ({
  type: 'https://tools.ietf.org/html/rfc9110#section-15.5.1',
  title: 'One or more validation errors occurred.',
  status: 400,
  errors,
  traceId: '00-abc-def-01',
  ...extra,
});
const details = (f: ApplicationFailure) => f.details?.[0] as ProviderFailureDetails;

describe('redact', () => {
  it('removes e-mails, phone numbers, codes and quoted values but keeps the words', () => {
    const text = redact(`User jane.doe+x@example.com with phone +359 888 123 456 entered code 123456 for 'Ivanov' (ref AB12CD34)`);
    expect(text).not.toContain('jane.doe');
    expect(text).not.toContain('888');
    expect(text).not.toContain('123456');
    expect(text).not.toContain('Ivanov');
    expect(text).not.toContain('AB12CD34');
    expect(text).toContain('[email]');
    expect(text).toContain('User');
    expect(text).toContain('entered code');
  });
  it('removes credentials and keeps P100 error codes', () => {
    expect(redact('Authorization: Bearer eyJhbGciOi.abc.def failed with P412')).toBe('Authorization: Bearer [redacted] failed with P412');
  });
  it('truncates long texts', () => {
    expect(redact('word '.repeat(200), 50).length).toBeLessThanOrEqual(50);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter(['2'])).toBe(2000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('parseProblemDetails', () => {
  it('reads errors and traceId', () => {
    const p = parseProblemDetails(problem({ Email: ['Email already registered'] }));
    expect(p.errors).toEqual({ Email: ['Email already registered'] });
    expect(p.traceId).toBe('00-abc-def-01');
  });
  it('survives an all-null 404, an empty body, a string, an array and odd member types', () => {
    expect(parseProblemDetails({ type: null, title: null, status: null, errors: null, traceId: null })).toEqual({ errors: {} });
    expect(parseProblemDetails(undefined)).toEqual({ errors: {} });
    expect(parseProblemDetails('')).toEqual({ errors: {} });
    expect(parseProblemDetails('<html>Bad gateway</html>').detail).toBe('<html>Bad gateway</html>');
    expect(parseProblemDetails([1, 2])).toEqual({ errors: {} });
    expect(parseProblemDetails({ title: 5, errors: 'nope', traceId: 'x' })).toEqual({ errors: {}, traceId: 'x' });
    expect(parseProblemDetails({ errors: { Error: 'Invalid code.' } }).errors).toEqual({ Error: ['Invalid code.'] });
  });
});

describe('classifyTennpayResponse', () => {
  const cases: [string, Parameters<typeof classifyTennpayResponse>[0], HttpOutcome, FailureType, boolean][] = [
    ['e-mail taken', 'createUser', outcome(400, problem({ Email: ['Email already registered'] })), FailureType.EmailAlreadyRegistered, true],
    ['bad e-mail', 'createUser', outcome(400, problem({ Email: ['The Email field is not a valid e-mail address.'] })), FailureType.ValidationFailed, true],
    ['wrong e-mail code', 'confirmEmail', outcome(400, problem({ Token: ['Invalid or expired token.'] })), FailureType.InvalidCode, true],
    ['phone taken', 'sendSmsCode', outcome(400, problem({ Error: ['Phone already registered'] })), FailureType.PhoneAlreadyRegistered, true],
    ['resend throttled', 'resendSmsCode', outcome(400, problem({ Error: ['A code was sent recently.'] })), FailureType.ResendNotAllowed, true],
    ['wrong SMS code', 'verifyPhone', outcome(400, problem({ Error: ['Invalid code.'] })), FailureType.InvalidCode, true],
    ['SMS code blocked', 'verifyPhone', outcome(400, problem({ Error: ['Too many failed attempts. The code is blocked.'] })), FailureType.CodeBlocked, true],
    ['not eligible', 'initiateIdentification', outcome(400, problem({ Error: ['Not eligible'] })), FailureType.NotEligible, true],
    ['finalize too early', 'finalizeIdentification', outcome(400, problem({ Error: ['not DOCUMENT_SIGN_SUCCESS'] })), FailureType.IdentificationNotCompleted, false],
    ['finalize unknown user (all-null 404)', 'finalizeIdentification', outcome(404, { type: null, title: null, status: null, errors: null, traceId: null }), FailureType.UnknownUser, true],
    ['status unknown user', 'getIdentificationStatus', outcome(404, undefined), FailureType.UnknownUser, true],
    ['status bad parameters', 'getIdentificationStatus', outcome(400, problem({ id: ["The value 'x' is not valid."] })), FailureType.ValidationFailed, true],
    ['additional data invalid', 'addAdditionalData', outcome(400, problem({ 'AdditionalData.Data.TaxResidences': ['bad'] })), FailureType.ValidationFailed, true],
    ['empty 500', 'createUser', outcome(500, undefined), FailureType.ProviderUnavailable, false],
    ['502 html', 'verifyPhone', outcome(502, '<html>bad gateway</html>'), FailureType.ProviderUnavailable, false],
    ['401 after the retry', 'confirmEmail', outcome(401, undefined), FailureType.Unauthorized, false],
    ['token invalid_client', 'token', outcome(400, { error: 'invalid_client' }), FailureType.Unauthorized, false],
    ['429', 'createUser', outcome(429, undefined, { 'retry-after': '3' }), FailureType.RateLimited, false],
    ['405', 'createUser', outcome(405, undefined), FailureType.ValidationFailed, true],
  ];
  it.each(cases)('%s', (_name, op, o, type, nonRetryable) => {
    const f = classifyTennpayResponse(op, o);
    expect(f).toBeInstanceOf(ApplicationFailure);
    expect(f.type).toBe(type);
    expect(f.nonRetryable).toBe(nonRetryable);
    expect(details(f)).toMatchObject({ provider: 'tennpay', operation: op, httpStatus: o.status });
  });

  it('honours Retry-After on 429 as nextRetryDelay', () => {
    const f = classifyTennpayResponse('createUser', outcome(429, undefined, { 'retry-after': '3' }));
    expect(f.nextRetryDelay).toBe(3000);
    const g = classifyTennpayResponse('createUser', outcome(429, undefined));
    expect(g.nextRetryDelay).toBeUndefined();
  });

  it('keeps field names and traceId, never the values the provider echoed', () => {
    const f = classifyTennpayResponse(
      'createUser',
      outcome(400, problem({ Email: ["'jane@example.com' is not valid for merchant 12345"] })),
    );
    expect(details(f).fields).toEqual(['Email']);
    expect(details(f).traceId).toBe('00-abc-def-01');
    expect(f.message).toContain('Email');
    expect(f.message).not.toContain('jane');
    expect(f.message).not.toContain('12345');
  });
});

describe('classifyPartnerResponse', () => {
  const err = (code: string, http = 400, message = 'msg', name?: string) =>
    outcome(http, { errorCode: code, ...(name ? { errorName: name } : {}), errorMessage: message });
  const cases: [string, HttpOutcome, FailureType, boolean][] = [
    ['P500 (a 400!) is transient', err('P500'), FailureType.ProviderUnavailable, false],
    ['P501 is transient', err('P501'), FailureType.ProviderUnavailable, false],
    ['P403 validation', err('P403', 400, 'birthDate: must be a date'), FailureType.PartnerValidation, true],
    ['P473 missing parameters', err('P473'), FailureType.PartnerValidation, true],
    ['P410 exists', err('P410'), FailureType.PartnerAccountExists, true],
    ['P442 already verified', err('P442'), FailureType.PartnerAlreadyVerified, true],
    ['P430 too many', err('P430'), FailureType.PartnerTooManyVerifications, true],
    ['P446 KYC invalid', err('P446'), FailureType.PartnerKycInvalid, true],
    ['P445 KYC not found (404)', err('P445', 404), FailureType.PartnerKycNotFound, true],
    ['P459 not verified', err('P459'), FailureType.PartnerKycNotFound, true],
    ['P427 files missing (404)', err('P427', 404), FailureType.PartnerKycFilesMissing, true],
    ['P466 document used', err('P466'), FailureType.PartnerDocumentUsed, true],
    ['P426 file type', err('P426'), FailureType.PartnerFileRejected, true],
    ['P440 file size', err('P440'), FailureType.PartnerFileRejected, true],
    ['P412 user missing', err('P412', 400, 'User not exist', 'invalid-user'), FailureType.PartnerUserMissing, true],
    ['unknown business code', err('P499'), FailureType.ValidationFailed, true],
    ['401 xo2', outcome(401, 'Access Denied. xo2'), FailureType.Unauthorized, false],
    ['503 without body', outcome(503, undefined, { 'retry-after': '5' }), FailureType.ProviderUnavailable, false],
    ['429', outcome(429, undefined, { 'retry-after': '2' }), FailureType.RateLimited, false],
    ['400 without a P100 body (a proxy page)', outcome(400, '<html>Bad request</html>'), FailureType.MalformedResponse, false],
  ];
  it.each(cases)('%s', (_name, o, type, nonRetryable) => {
    const f = classifyPartnerResponse('addUserVerification', o);
    expect(f.type).toBe(type);
    expect(f.nonRetryable).toBe(nonRetryable);
  });

  it('branches on errorCode, not on the HTTP status', () => {
    expect(classifyPartnerResponse('getKycStatus', err('P500', 400)).nonRetryable).toBe(false);
    expect(classifyPartnerResponse('getKycStatus', err('P445', 500)).type).toBe(FailureType.PartnerKycNotFound);
  });

  it('gives validation errors a user-safe message without the values', () => {
    const f = classifyPartnerResponse(
      'createUserAccount',
      err('P403', 400, 'email: "jane@example.com" is invalid; phone: +359888123456 is invalid'),
    );
    const d = details(f);
    expect(d.errorCode).toBe('P403');
    expect(d.userMessage).toBeTruthy();
    expect(d.userMessage).not.toContain('jane');
    expect(d.userMessage).not.toContain('888123456');
    expect(d.userMessage).toContain('email');
    // The message itself is the user-safe text (the workflow shows it with SUBMIT_KYC_DATA).
    expect(f.message).toBe(d.userMessage);
    expect(f.message).not.toContain('P100');
  });

  it('falls back on a generic user message when the provider text is all values', () => {
    const d = details(classifyPartnerResponse('createUserAccount', err('P473', 400, '')));
    expect(d.userMessage).toMatch(/missing/i);
  });

  it('honours Retry-After on 429', () => {
    expect(classifyPartnerResponse('getKycStatus', outcome(429, undefined, { 'retry-after': '2' })).nextRetryDelay).toBe(2000);
  });
});

describe('transport and malformed bodies', () => {
  it('classifies timeouts and connection errors as retryable ProviderUnavailable', () => {
    const t = classifyTransportError('tennpay', 'createUser', Object.assign(new Error('x'), { code: 'UND_ERR_HEADERS_TIMEOUT' }));
    expect(t.type).toBe(FailureType.ProviderUnavailable);
    expect(t.nonRetryable).toBe(false);
    expect(t.message).toContain('timed out');
    const c = classifyTransportError('partner', 'getKycStatus', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }));
    expect(c.message).toContain('ECONNREFUSED');
    expect(c.message).not.toContain('127.0.0.1');
  });
  it('classifies a malformed success body as retryable MalformedResponse naming the fields', () => {
    const f = malformedResponse('tennpay', 'createUser', 201, [{ path: ['id'] }]);
    expect(f.type).toBe(FailureType.MalformedResponse);
    expect(f.nonRetryable).toBe(false);
    expect(details(f).fields).toEqual(['id']);
  });
});

describe('P100 validation errors and the locked identity', () => {
  const refused = (operation: Parameters<typeof classifyPartnerResponse>[0], errorMessage: string) =>
    (classifyPartnerResponse(operation, { status: 400, body: { errorCode: 'P403', errorMessage }, headers: {} }).details?.[0] as ProviderFailureDetails)
      .identitySections;

  it('names the identity sections whose P100 fields the message names, per operation', () => {
    expect(refused('addUserVerification', 'documentNumber: too long')).toEqual(['document']);
    expect(refused('createUserAccount', 'birthDate: invalid date; city: required')).toEqual(['person']);
    expect(refused('createKycVerification', 'country: not a country code')).toEqual(['document']);
  });

  it('names none for fields outside the identity (an account\'s country is the address\'s)', () => {
    expect(refused('createUserAccount', 'country: not a country code')).toBeUndefined();
    expect(refused('addUserVerification', 'occupation: required')).toBeUndefined();
    expect(refused('addUserVerification', 'Some of your details were not accepted')).toBeUndefined();
  });
});

describe('10nPay validation errors and the locked identity', () => {
  const refused = (operation: Parameters<typeof classifyTennpayResponse>[0], errors: Record<string, string[]>) =>
    (classifyTennpayResponse(operation, { status: 400, body: { title: 'One or more validation errors occurred.', status: 400, errors }, headers: {} })
      .details?.[0] as ProviderFailureDetails).identitySections;

  it('add-additional-data refusing the gender names the person; other fields and calls name nothing', () => {
    expect(refused('addAdditionalData', { 'data.gender': ['invalid'] })).toEqual(['person']);
    expect(refused('addAdditionalData', { 'data.residenceAddressZipCode': ['invalid'] })).toBeUndefined();
    expect(refused('createUser', { gender: ['invalid'] })).toBeUndefined();
  });
});
