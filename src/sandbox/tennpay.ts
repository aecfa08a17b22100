// The 10nPay face (CONTRACT parts 1-2): users, codes, additional data, Borica identification
// start/status and finalize, behind Bearer tokens issued by the mTLS token server.
import { randomUUID } from 'node:crypto';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { z } from 'zod';
import { boricaPageUrl } from './borica';
import type { SandboxContext } from './context';
import { faults, intOf, type Subject } from './faults';
import { isLookupValue, LOOKUPS } from './lookups';
import { notFoundProblem, nullNotFound, validationProblem, zodToFieldErrors } from './problem';
import { bump, newCode, type TennpayUser } from './state';

const INT32_MAX = 2147483647;
const userId = z.number().int().min(1).max(INT32_MAX);
const correlationType = z.number().int().optional();
const sixDigits = z.string().regex(/^\d{6}$/, 'The code must be 6 digits.');
const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'The PhoneNumber field is not a valid E.164 phone number.');

// One schema per call, so a provider correction is one line.
const createUserBody = z.object({
  merchantId: z.number().int().positive(),
  email: z.string({ message: 'The Email field is required.' }).min(1, 'The Email field is required.').email('The Email field is not a valid e-mail address.'),
  additionalData: z.object({ type: z.string(), data: z.unknown() }).nullable().optional(),
});
const sendConfirmationBody = z.object({ id: userId, email: z.string().min(1) });
const confirmEmailBody = z.object({ id: userId, token: sixDigits, correlationType });
const sendCodeBody = z.object({ id: userId, phoneNumber: e164, correlationType });
const verifyPhoneBody = z.object({ id: userId, code: z.string().min(1), correlationType });
const initiateBody = z.object({
  userId,
  isRestartIdentification: z.boolean(),
  localTimezone: z.string().nullable().optional(),
  userAgent: z.string().nullable().optional(),
  browserLanguage: z.string().nullable().optional(),
  userLanguage: z.string().nullable().optional(),
  deviceName: z.string().nullable().optional(),
  correlationType,
});
const finalizeBody = z.object({ userId, bTrustAppCallBackId: z.string().nullable().optional(), correlationType });

const country = z.string().regex(/^[A-Z]{2}$/, 'Expected an ISO 3166 alpha-2 country code.');
const code = (list: keyof typeof LOOKUPS) =>
  z
    .string({ message: 'The JSON value could not be converted to System.String.' })
    .refine((v) => isLookupValue(list, v), `Unknown ${list} value.`);

// The EnrollAdditionalData shape, strict: unknown members are refused so that a misspelt field
// is caught here rather than silently dropped by the real provider.
const enrollDataSchema = z
  .strictObject({
    userId,
    BTrustAppCallBackId: z.string().nullable().optional(),
    isCorrespondenceAddressSame: z.boolean(),
    sourceOfFundId: code('source-of-funds'),
    residenceAddressZipCode: z.string().nullable().optional(),
    correspondenceAddress: z
      .strictObject({
        addressType: z.literal('C'),
        addressLine: z.string().min(1),
        city: z.string().min(1),
        stateProvinceCounty: z.string().nullable().optional(),
        zipCode: z.string().min(1),
        countryId: country,
      })
      .nullable()
      .optional(),
    secondaryLanguage: z.string().regex(/^[A-Z]{3}$/, 'Expected an ISO 639-2 code.').nullable().optional(),
    taxResidences: z.string().regex(/^[A-Z]{2}(,[A-Z]{2})*$/, 'Expected ISO country codes such as "BG".'),
    gender: z.enum(['M', 'F']).nullable().optional(),
    accountPurposeCode: code('account-purpose'),
    mainActivityCode: code('main-activity'),
    financingMethodCode: code('financing-method').nullable().optional(),
    enrollIP: z.string().nullable().optional(),
    enrollLatitude: z.number().min(-90).max(90).nullable().optional(),
    enrollLongitude: z.number().min(-180).max(180).nullable().optional(),
    enrollChannel: z.enum(['M', 'W']).nullable().optional(),
  })
  .superRefine((d, ctx) => {
    if (!d.isCorrespondenceAddressSame && !d.correspondenceAddress) {
      ctx.addIssue({ code: 'custom', path: ['correspondenceAddress'], message: 'Required when isCorrespondenceAddressSame is false.' });
    }
  });
const addAdditionalDataBody = z.object({
  id: userId,
  additionalData: z.object({ type: z.literal('EnrollAdditionalData'), data: z.record(z.string(), z.unknown()) }),
});

// System.Text.Json in ASP.NET binds member names case-insensitively: do the same before the
// strict check, so only truly unknown members are refused.
const ENROLL_KEYS = Object.keys(enrollDataSchema.shape);
function canonicalKeys(data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) out[ENROLL_KEYS.find((c) => c.toLowerCase() === k.toLowerCase()) ?? k] = v;
  return out;
}

const USER_STATUS = { Registered: 50, PendingVerification: 150, Active: 200 } as const;

/** Who the request is about, for per-user switches. */
function subjectOf(req: Request): Subject {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const id = intOf(req.params.id) ?? intOf(body.id) ?? intOf(body.userId);
  return { userId: id, email: typeof body.email === 'string' ? body.email : undefined };
}

export function tennpayRouter(ctx: SandboxContext): Router {
  const { state, switches, opts } = ctx;
  const router = express.Router();
  router.use(express.json({ limit: '1mb' }));

  // Bearer tokens from the token server; 401 with an empty body as ASP.NET's JwtBearer answers.
  router.use((req, res, next) => {
    const m = /^Bearer (.+)$/.exec(req.get('authorization') ?? '');
    const token = m?.[1] ? state.tokens.get(m[1]) : undefined;
    if (!token) {
      res.status(401).set('WWW-Authenticate', 'Bearer').end();
      return;
    }
    if (token.revoked || token.expiresAt <= Date.now()) {
      res.status(401).set('WWW-Authenticate', 'Bearer error="invalid_token", error_description="The token expired"').end();
      return;
    }
    next();
  });

  const route = (method: 'get' | 'post', path: string, endpoint: string, handler: RequestHandler) =>
    router[method](path, faults(switches, endpoint, subjectOf), handler);

  /** Parses the body with `schema`, answering the 400 itself when it does not fit. */
  function parse<T extends z.ZodType>(schema: T, req: Request, res: Response): z.infer<T> | undefined {
    const result = schema.safeParse(req.body ?? {});
    if (result.success) return result.data;
    validationProblem(res, zodToFieldErrors(result.error));
    return undefined;
  }

  const sendEmailCode = (user: TennpayUser) => {
    const c = newCode();
    user.emailCode = { code: c, expiresAt: Date.now() + opts.codeLifetimeMs };
    state.recordCode(state.emailInbox, user.email, c, user.id);
    bump(state.counters.emailCodesSent, user.email.toLowerCase());
  };
  const sendSmsCode = (user: TennpayUser, phone: string) => {
    const c = newCode();
    user.phoneNumber = phone;
    user.smsCode = { code: c, expiresAt: Date.now() + opts.codeLifetimeMs, sentAt: Date.now() };
    user.smsFailures = 0;
    state.recordCode(state.smsInbox, phone, c, user.id);
    bump(state.counters.smsCodesSent, phone);
  };

  route('post', '/User', 'tennpay.createUser', (req, res) => {
    const body = parse(createUserBody, req, res);
    if (!body) return;
    const key = body.email.toLowerCase();
    if (state.usersByEmail.has(key)) return validationProblem(res, { Email: ['Email already registered'] });
    const user: TennpayUser = {
      id: state.newUserId(),
      merchantId: body.merchantId,
      email: body.email,
      emailVerified: false,
      emailCode: null,
      phoneNumber: null,
      phoneVerified: false,
      smsCode: null,
      smsFailures: 0,
      additionalData: body.additionalData ?? null,
      identification: [],
      identificationSessionId: null,
      bTrustAppCallBackId: null,
      finalized: null,
    };
    state.tennpayUsers.set(user.id, user);
    state.usersByEmail.set(key, user.id);
    bump(state.counters.usersCreatedByEmail, key);
    sendEmailCode(user);
    res.status(201).json({ id: user.id });
  });

  route('post', '/User/email/send-confirmation', 'tennpay.sendEmailConfirmation', (req, res) => {
    const body = parse(sendConfirmationBody, req, res);
    if (!body) return;
    const user = state.tennpayUsers.get(body.id);
    if (!user) return notFoundProblem(res, 'User not found.');
    if (user.email.toLowerCase() !== body.email.toLowerCase()) return validationProblem(res, { Email: ['Email does not match the user.'] });
    if (!user.emailVerified) sendEmailCode(user); // already verified: 204 and nothing sent
    res.status(204).end();
  });

  route('post', '/User/email/confirm', 'tennpay.confirmEmail', (req, res) => {
    const body = parse(confirmEmailBody, req, res);
    if (!body) return;
    const user = state.tennpayUsers.get(body.id);
    if (!user) return notFoundProblem(res, 'User not found.');
    // Only the latest code is valid; a repeat of it after success still answers 200 (a retried call).
    const latest = user.emailCode;
    const matches = latest !== null && latest.code === body.token;
    if (!matches || (!user.emailVerified && latest.expiresAt <= Date.now())) {
      return validationProblem(res, { Token: ['Invalid or expired token.'] });
    }
    user.emailVerified = true;
    res.status(200).json({ success: true, message: '', code: 200 });
  });

  route('post', '/User/phone-number/send-code', 'tennpay.sendSmsCode', (req, res) => {
    const body = parse(sendCodeBody, req, res);
    if (!body) return;
    const user = state.tennpayUsers.get(body.id);
    if (!user) return notFoundProblem(res, 'User not found.');
    if (!user.emailVerified) return validationProblem(res, { Error: ['Email is not verified.'] });
    const owner = state.usersByPhone.get(body.phoneNumber);
    if (owner !== undefined && owner !== user.id) return validationProblem(res, { Error: ['Phone already registered'] });
    if (user.phoneVerified) return validationProblem(res, { Error: ['Phone number already verified.'] });
    sendSmsCode(user, body.phoneNumber);
    res.status(204).end();
  });

  route('post', '/User/:id/phone-number/resend-code', 'tennpay.resendSmsCode', (req, res) => {
    const id = intOf(req.params.id);
    if (id === undefined || id < 1 || id > INT32_MAX) return validationProblem(res, { id: [`The value '${String(req.params.id)}' is not valid.`] });
    const user = state.tennpayUsers.get(id);
    if (!user) return notFoundProblem(res, 'User not found.');
    if (!user.phoneNumber || !user.smsCode || user.phoneVerified) {
      return validationProblem(res, { Error: ['Phone number verification is not pending.'] });
    }
    if (Date.now() - user.smsCode.sentAt < opts.smsResendCooldownMs) {
      return validationProblem(res, { Error: ['A code was sent recently. Please wait before requesting a new one.'] });
    }
    sendSmsCode(user, user.phoneNumber);
    res.status(204).end();
  });

  route('post', '/User/phone-number/verify', 'tennpay.verifyPhone', (req, res) => {
    const body = parse(verifyPhoneBody, req, res);
    if (!body) return;
    const user = state.tennpayUsers.get(body.id);
    if (!user) return notFoundProblem(res, 'User not found.');
    const latest = user.smsCode;
    if (user.phoneVerified && latest?.code === body.code) return res.status(200).json({ success: true, message: '', code: 200 });
    if (!latest || user.phoneVerified) return validationProblem(res, { Error: ['Invalid code.'] });
    if (user.smsFailures >= opts.smsMaxAttempts) {
      return validationProblem(res, { Error: ['Too many failed attempts. The code is blocked; request a new code.'] });
    }
    if (latest.code !== body.code || latest.expiresAt <= Date.now()) {
      user.smsFailures++;
      return validationProblem(res, { Error: ['Invalid code.'] });
    }
    user.phoneVerified = true;
    if (user.phoneNumber) state.usersByPhone.set(user.phoneNumber, user.id);
    res.status(200).json({ success: true, message: '', code: 200 });
  });

  route('get', '/User/:id/status', 'tennpay.userStatus', (req, res) => {
    const id = intOf(req.params.id);
    if (id === undefined) return validationProblem(res, { id: [`The value '${String(req.params.id)}' is not valid.`] });
    const user = state.tennpayUsers.get(id);
    if (!user) return nullNotFound(res);
    const status = user.finalized ? USER_STATUS.Active : user.phoneVerified ? USER_STATUS.PendingVerification : USER_STATUS.Registered;
    res.json({
      isEmailVerified: user.emailVerified,
      isPhoneNumberVerified: user.phoneVerified,
      isScaVerified: user.finalized !== null,
      isAdditionalData: user.additionalData !== null,
      isOptionalKyc: false,
      status,
    });
  });

  route('post', '/User/add-additional-data', 'tennpay.addAdditionalData', (req, res) => {
    const body = parse(addAdditionalDataBody, req, res);
    if (!body) return;
    const data = enrollDataSchema.safeParse(canonicalKeys(body.additionalData.data));
    if (!data.success) return validationProblem(res, zodToFieldErrors(data.error, ['AdditionalData', 'Data']));
    const user = state.tennpayUsers.get(body.id);
    if (!user) return notFoundProblem(res, 'User not found.');
    if (data.data.userId !== user.id) return validationProblem(res, { 'AdditionalData.Data.UserId': ['Must equal id.'] });
    if (!user.phoneVerified) return validationProblem(res, { Error: ['The phone number is not verified.'] });
    user.additionalData = data.data;
    bump(state.counters.additionalDataAccepted, user.id);
    res.status(200).end();
  });

  for (const name of Object.keys(LOOKUPS) as (keyof typeof LOOKUPS)[]) {
    route('get', `/User/${name}`, 'tennpay.lookup', (_req, res) => {
      res.json(LOOKUPS[name]);
    });
  }

  route('post', '/Enrollment/initiate-external-identification', 'tennpay.initiateIdentification', (req, res) => {
    const body = parse(initiateBody, req, res);
    if (!body) return;
    const user = state.tennpayUsers.get(body.userId);
    if (!user) return notFoundProblem(res, 'User not found.');
    if (!user.emailVerified || !user.phoneVerified) {
      return validationProblem(res, { Error: ['The user is not eligible for external identification.'] });
    }
    if (user.finalized) return validationProblem(res, { Error: ['The identification is already completed.'] });
    const current = user.identificationSessionId ? state.boricaSessions.get(user.identificationSessionId) : undefined;
    if (current && !body.isRestartIdentification) {
      // A retried start while the user has not yet acted gets the same page (nothing new opened).
      if (current.outcome === 'OPEN' && current.kind === 'identification') {
        return res.json({ videoIdentificationUrl: boricaPageUrl(ctx, current), videoIdentificationStatus: 'STARTED', message: '' });
      }
      return validationProblem(res, { Error: ['An identification was already started; restart it with isRestartIdentification.'] });
    }
    // A (re)start opens a fresh session; any page of the old one is dead from now on.
    for (const s of state.boricaSessions.values()) if (s.userId === user.id && s.outcome === 'OPEN') s.outcome = 'SUPERSEDED';
    const session = { sessionId: randomUUID(), userId: user.id, kind: 'identification' as const, outcome: 'OPEN' as const };
    state.boricaSessions.set(session.sessionId, { ...session });
    user.identificationSessionId = session.sessionId;
    user.bTrustAppCallBackId = null;
    // While the user is at Borica the status call says PROCESSING (waiting upstream).
    user.identification = [{ at: Date.now(), status: 'PROCESSING', url: null }];
    bump(state.counters.identificationsStarted, user.id);
    res.json({ videoIdentificationUrl: boricaPageUrl(ctx, session), videoIdentificationStatus: 'STARTED', message: '' });
  });

  route(
    'get',
    '/Enrollment/:id/:userType/:isIdentificationCompleted/get-identification-process-status',
    'tennpay.identificationStatus',
    (req, res) => {
      const { id: rawId, userType, isIdentificationCompleted } = req.params as Record<string, string>;
      const id = intOf(rawId);
      const errors: Record<string, string[]> = {};
      if (id === undefined || id < 1 || id > INT32_MAX) errors.id = [`The value '${rawId}' is not valid.`];
      if (userType !== '0' && userType !== '1') errors.userType = [`The value '${userType}' is not valid.`];
      if (isIdentificationCompleted !== 'true') errors.isIdentificationCompleted = ['Only true is supported.'];
      if (Object.keys(errors).length || id === undefined) return validationProblem(res, errors);
      const user = state.tennpayUsers.get(id);
      if (!user) return nullNotFound(res);
      const step = state.currentStep(user);
      if (!step) return notFoundProblem(res, 'No identification process for this user.');
      res.json({ videoIdentificationUrl: step.url, videoIdentificationStatus: step.status, message: '' });
    },
  );

  route('post', '/Enrollment/finalize-external-identification', 'tennpay.finalize', (req, res) => {
    const body = parse(finalizeBody, req, res);
    if (!body) return;
    const user = state.tennpayUsers.get(body.userId);
    if (!user) return nullNotFound(res);
    bump(state.counters.finalizeCalls, user.id);
    if (!user.finalized) {
      if (state.currentStep(user)?.status !== 'DOCUMENT_SIGN_SUCCESS') {
        return validationProblem(res, { Error: ['The identification process has not reached DOCUMENT_SIGN_SUCCESS.'] });
      }
      user.finalized = { correlationId: randomUUID(), individualId: state.newIndividualId() };
      user.bTrustAppCallBackId = body.bTrustAppCallBackId ?? user.bTrustAppCallBackId;
      bump(state.counters.finalizeEffects, user.id);
    }
    // The effect above is applied once; the switch only spoils what the client hears.
    if (switches.take('finalizeRejectAfterSuccess', { userId: user.id, email: user.email }, 'tennpay.finalize')) {
      return validationProblem(res, { Error: ['The identification process has not reached DOCUMENT_SIGN_SUCCESS.'] });
    }
    res.json(user.finalized);
  });

  // Body that is not JSON: ASP.NET's model-binding 400.
  router.use(((err, _req, res, next) => {
    if (res.headersSent) return next(err);
    const status = (err as { status?: number }).status;
    if (status === 400 || status === 413) return validationProblem(res, { $: ['The JSON value could not be converted.'] });
    res.status(500).end();
  }) as express.ErrorRequestHandler);

  return router;
}
