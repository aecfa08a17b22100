// The P100 Partner API face (CONTRACT part 2): accounts, KYC by files (method A) or by a hosted
// verification (method B), user verification and proof of address, with P100's error bodies and
// the webhooks that follow each asynchronous step.
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import multer from 'multer';
import { z } from 'zod';
import { RISK_LEVELS } from '../activities/partner/schemas';
import type { SandboxContext } from './context';
import { faults, type Subject } from './faults';
import { page } from './html';
import { bump, type PartnerUser } from './state';

/** P100's error catalogue: HTTP status and errorName per code (P403 has no name). */
export const PARTNER_ERRORS: Record<string, { http: number; name?: string; message: string }> = {
  P403: { http: 400, message: 'Validation error' },
  P410: { http: 400, name: 'user-already-exists', message: 'User with this externalUserId already exists' },
  P412: { http: 400, name: 'invalid-user', message: 'User not exist' },
  P426: { http: 400, name: 'invalid-file-type', message: 'Invalid file type' },
  P427: { http: 404, name: 'missing-kyc-files', message: 'Missing KYC files' },
  P430: { http: 400, name: 'too-many-verifications', message: 'Too many verifications' },
  P440: { http: 400, name: 'file-too-large', message: 'File is too large' },
  P442: { http: 400, name: 'user-already-verified', message: 'User already verified' },
  P445: { http: 404, name: 'kyc-not-found', message: 'KYC not found' },
  P446: { http: 400, name: 'kyc-not-valid', message: 'KYC is not valid or expired' },
  P447: { http: 400, name: 'poa-already-verified', message: 'Proof of address already verified' },
  P459: { http: 400, name: 'user-not-verified', message: 'User not verified' },
  P460: { http: 404, name: 'poa-not-required', message: 'Proof of address is not required for this user' },
  P466: { http: 400, name: 'document-number-used', message: 'User exists with this document number' },
  P473: { http: 400, name: 'missing-parameters', message: 'Missing required parameters' },
  P500: { http: 400, name: 'unknown-exception', message: 'Unknown exception' },
  P501: { http: 400, name: 'service-unavailable', message: 'Service temporarily unavailable' },
};

export function sendPartnerError(res: Response, code: string, message?: string): void {
  const e = PARTNER_ERRORS[code] ?? { http: 400, name: 'unknown-exception', message: 'Unknown exception' };
  res.status(e.http).json({ errorCode: code, ...(e.name ? { errorName: e.name } : {}), errorMessage: message ?? e.message });
}

const ALLOWED_TYPES = ['image/jpeg', 'image/png', 'application/pdf'];
const MAX_FILE_BYTES = 5 * 1024 * 1024;

// The sandbox stands for P100, so it keeps its own copy of P100's vocabulary rather than the
// service's (src/domain): a mistake in the service's lists must show up as a P100 refusal.
const DOCUMENT_TYPES = ['ID_CARD', 'PASSPORT', 'RESIDENCE_PERMIT', 'DRIVER_LICENSE'] as const;
const INCOME_SOURCES = ['BUSINESS_ACTIVITY', 'SALARY', 'OTHER', 'MAINTAINED_BY_FAMILY', 'INVESTMENTS', 'SOCIAL_BENEFITS', 'TENANCY'] as const;
const OPEN_ACCOUNT_REASONS = [
  'INVESTMENTS_OR_CRYPTOCURRENCIE',
  'CURRENCY_EXCHANGE',
  'DAILY_USE',
  'GAMING_OR_GAMBLING',
  'TRANSFER_OF_FUNDS_OUTSIDE_OF_EUROPE',
] as const;
const country = z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166 alpha-2 code');
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');
const text = z.string().trim().min(1);

// One schema per call.
const createAccountBody = z.object({
  externalUserId: text,
  email: z.email(),
  phone: z.string().regex(/^\+?[1-9]\d{6,14}$/, 'must be a phone number'),
  firstName: text,
  lastName: text,
  street: text,
  number: text,
  city: text,
  postCode: text,
  country,
  citizenship: country,
  nationality: country,
  birthCountry: country,
  birthDate: date,
  userIdentificationNumber: text,
  hasAcceptedP100Tc: z.literal(true),
});
const requireFor = (d: { incomeSource: string; taxId?: string | undefined; occupation?: string | undefined }, ctx: z.RefinementCtx) => {
  if (d.incomeSource === 'BUSINESS_ACTIVITY' && !d.taxId) ctx.addIssue({ code: 'custom', path: ['taxId'], message: 'taxId is required for BUSINESS_ACTIVITY' });
  if (d.incomeSource === 'SALARY' && !d.occupation) ctx.addIssue({ code: 'custom', path: ['occupation'], message: 'occupation is required for SALARY' });
};
const createKycBody = z
  .object({
    externalUserId: text,
    documentType: z.enum(DOCUMENT_TYPES),
    country,
    incomeSource: z.enum(INCOME_SOURCES),
    openAccountReason: z.enum(OPEN_ACCOUNT_REASONS),
    taxId: text.optional(),
    occupation: text.optional(),
    additionalInfo: z.string().optional(),
  })
  .superRefine(requireFor);
const USER_VERIFICATION_REQUIRED = ['externalUserId', 'documentType', 'documentNumber', 'documentExpirationDate', 'openAccountReason', 'incomeSource', 'riskLvl'];
const userVerificationBody = z
  .object({
    externalUserId: text,
    documentType: z.enum(DOCUMENT_TYPES),
    documentNumber: text,
    documentExpirationDate: date.refine((d) => d >= new Date().toISOString().slice(0, 10), 'document expired'),
    openAccountReason: z.enum(OPEN_ACCOUNT_REASONS),
    incomeSource: z.enum(INCOME_SOURCES),
    occupation: text.optional(),
    taxId: text.optional(),
    riskLvl: z.enum(RISK_LEVELS),
  })
  .superRefine(requireFor);

const issuesText = (e: z.ZodError): string => e.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');

const subjectOf = (req: Request): Subject => {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const ext = req.params.externalUserId ?? body.externalUserId;
  return { externalUserId: typeof ext === 'string' ? ext : undefined };
};

/** The account holder's name as Create User Account gave it, for the hosted page's greeting. */
function nameOf(account: Record<string, unknown>): string | undefined {
  const parts = [account.firstName, account.lastName].filter((p): p is string => typeof p === 'string' && p.length > 0);
  return parts.length ? parts.join(' ') : undefined;
}

export function partnerRouter(ctx: SandboxContext): Router {
  const { state, switches, opts, webhooks } = ctx;
  const router = express.Router();
  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: 4 * MAX_FILE_BYTES, files: 10 } });

  // The page behind the hosted verification (what the verification provider would be): no API key,
  // a browser posts here. Registered before the key check.
  router.post('/_verification/:externalUserId/:verificationId/:decision', express.urlencoded({ extended: false }), (req, res) => {
    const { externalUserId, verificationId, decision } = req.params;
    const result = decideKyc(ctx, externalUserId, verificationId, decision === 'approve' ? 'APPROVED' : decision === 'reject' ? 'REJECTED' : null);
    res.status(result.http).type('html').send(
      page(result.http === 200 ? 'Thank you' : 'Nothing to do here', result.text, [], {
        brand: 'P100 identity verification',
        next: 'Go back to the tab of your application: it continues by itself once P100 has decided.',
      }),
    );
  });

  router.use((req, res, next) => {
    const key = req.get('x-api-key');
    if (!key) return res.status(401).type('text').send('Access Denied. xo1');
    if (key !== opts.partnerApiKey) return res.status(401).type('text').send('Access Denied. xo2');
    next();
  });
  router.use(express.json({ limit: '1mb' }));

  // Every call: its body parsers first (a per-user switch needs the user), then the switches.
  const route = (method: 'get' | 'post', path: string, endpoint: string, pre: express.RequestHandler[], handler: express.RequestHandler) =>
    router[method](path, ...pre, faults(switches, endpoint, subjectOf), forcedError(endpoint), handler);

  // partnerError switch: the call answers the forced code and does nothing else.
  function forcedError(endpoint: string): express.RequestHandler {
    return (req, res, next) => {
      const sw = switches.take('partnerError', subjectOf(req), endpoint);
      if (sw) return sendPartnerError(res, sw.code ?? 'P500');
      next();
    };
  }

  const userOr412 = (res: Response, externalUserId: unknown): PartnerUser | undefined => {
    const user = typeof externalUserId === 'string' ? state.partnerUsers.get(externalUserId) : undefined;
    if (!user) sendPartnerError(res, 'P412');
    return user;
  };

  /** Checks uploaded files as P100 does; answers the error itself and returns false. */
  const filesOk = (res: Response, files: Express.Multer.File[], max: number): boolean => {
    if (files.length === 0) return (sendPartnerError(res, 'P403', 'files: at least one file is required'), false);
    if (files.length > max) return (sendPartnerError(res, 'P403', `files: at most ${max} files`), false);
    if (files.some((f) => !ALLOWED_TYPES.includes(f.mimetype))) return (sendPartnerError(res, 'P426'), false);
    if (files.some((f) => f.size > MAX_FILE_BYTES)) return (sendPartnerError(res, 'P440'), false);
    return true;
  };
  const filesOf = (req: Request): Express.Multer.File[] => (Array.isArray(req.files) ? req.files : []);

  route('post', '/v1/user/balances/crypto-and-fiat', 'p100.createUser', [], (req, res) => {
    const body = createAccountBody.safeParse(req.body ?? {});
    if (!body.success) return sendPartnerError(res, 'P403', issuesText(body.error));
    if (state.partnerUsers.has(body.data.externalUserId)) return sendPartnerError(res, 'P410');
    const poaRequired = switches.take('poaRequired', { externalUserId: body.data.externalUserId, email: body.data.email }) !== undefined;
    const user: PartnerUser = {
      externalUserId: body.data.externalUserId,
      userId: randomUUID(),
      account: body.data,
      poaRequiredForExtended: poaRequired,
      kycFiles: 0,
      verifications: new Map(),
      latestVerificationId: null,
      verified: false,
      documentNumber: null,
      poaFiles: 0,
      poaStatus: 'NONE',
    };
    state.partnerUsers.set(user.externalUserId, user);
    bump(state.counters.partnerAccountsCreated, user.externalUserId);
    res.status(201).json({ userId: user.userId, poaRequiredForExtended: user.poaRequiredForExtended });
  });

  route('post', '/v1/user/kyc-files/:externalUserId', 'p100.kycFiles', [multerArray(upload)], (req, res) => {
    const user = userOr412(res, req.params.externalUserId);
    if (!user) return;
    const files = filesOf(req);
    if (!filesOk(res, files, 10)) return;
    user.kycFiles += files.length;
    bump(state.counters.kycFilesAdded, user.externalUserId, files.length);
    res.status(201).json({ message: 'KYC files added successfully' });
    webhooks.emit('kyc-file-added', { externalUserId: user.externalUserId, status: 'ADDED' }, opts.partnerAsyncDelayMs);
  });

  route('post', '/v1/kyc', 'p100.createKyc', [], (req, res) => {
    const body = createKycBody.safeParse(req.body ?? {});
    if (!body.success) return sendPartnerError(res, 'P403', issuesText(body.error));
    const user = userOr412(res, body.data.externalUserId);
    if (!user) return;
    if (user.verified) return sendPartnerError(res, 'P442');
    const verificationId = randomUUID();
    user.verifications.set(verificationId, { status: 'PENDING' });
    user.latestVerificationId = verificationId;
    bump(state.counters.kycVerificationsCreated, user.externalUserId);
    res.status(201).json({ verificationId });
  });

  route('get', '/v1/kyc/verification/:externalUserId/:verificationId', 'p100.kycPage', [], (req, res) => {
    const user = userOr412(res, req.params.externalUserId);
    if (!user) return;
    const verificationId = String(req.params.verificationId);
    const v = user.verifications.get(verificationId);
    if (!v) return sendPartnerError(res, 'P445');
    const base = `${ctx.urls.partnerBaseUrl}/_verification/${encodeURIComponent(user.externalUserId)}/${encodeURIComponent(verificationId)}`;
    res
      .status(200)
      .type('html')
      .send(
        page(
          'Verify your identity for P100',
          v.status === 'PENDING'
            ? 'Show your identity document to the camera, then take a selfie. Here the check is simulated: choose its outcome.'
            : `This verification is already ${v.status.toLowerCase()}.`,
          v.status === 'PENDING'
            ? [
                { outcome: 'approve', label: 'Approve my verification', action: `${base}/approve`, hint: 'P100 accepts your identity.' },
                { outcome: 'reject', label: 'Reject', action: `${base}/reject`, hint: 'As when the document does not match.', secondary: true },
              ]
            : [],
          {
            brand: 'P100 identity verification',
            ...(nameOf(user.account) ? { who: `Hello, ${nameOf(user.account)}` } : {}),
            next: 'After you decide, P100 tells your application, which moves on by itself.',
          },
        ),
      );
  });

  route('get', '/v1/kyc/status/:externalUserId', 'p100.kycStatus', [], (req, res) => {
    const user = userOr412(res, req.params.externalUserId);
    if (!user) return;
    const v = user.latestVerificationId ? user.verifications.get(user.latestVerificationId) : undefined;
    if (!v) return sendPartnerError(res, 'P445');
    res.json({ status: v.status, ...(v.reason ? { reason: v.reason } : {}) });
  });

  route('post', '/v1/user/verification', 'p100.userVerification', [], (req, res) => {
    const raw = (req.body ?? {}) as Record<string, unknown>;
    const missing = USER_VERIFICATION_REQUIRED.filter((k) => raw[k] === undefined || raw[k] === null || raw[k] === '');
    if (missing.length) return sendPartnerError(res, 'P473', `Missing required parameters: ${missing.join(', ')}`);
    const body = userVerificationBody.safeParse(raw);
    if (!body.success) return sendPartnerError(res, 'P403', issuesText(body.error));
    const user = userOr412(res, body.data.externalUserId);
    if (!user) return;
    if (user.verified) return sendPartnerError(res, 'P442');
    const other = [...state.partnerUsers.values()].find(
      (u) => u !== user && u.verified && u.documentNumber === body.data.documentNumber,
    );
    if (other) return sendPartnerError(res, 'P466');
    // KYC must be done first: method B needs an approved verification, method A files.
    if (user.latestVerificationId) {
      if (user.verifications.get(user.latestVerificationId)?.status !== 'APPROVED') return sendPartnerError(res, 'P446');
    } else if (user.kycFiles === 0) {
      return sendPartnerError(res, 'P427');
    }
    user.verified = true;
    user.documentNumber = body.data.documentNumber;
    bump(state.counters.userVerificationsAccepted, user.externalUserId);
    res.status(201).json({ message: 'Verification documents to user added successfully' });
    // The balances are generated asynchronously, then the user-status webhook says ACTIVE.
    webhooks.emit('user-status', { externalUserId: user.externalUserId, status: 'ACTIVE' }, opts.partnerAsyncDelayMs);
  });

  route('post', '/v1/user/poa-files/:externalUserId', 'p100.poaFiles', [multerArray(upload)], (req, res) => {
    const user = userOr412(res, req.params.externalUserId);
    if (!user) return;
    if (!user.poaRequiredForExtended) return sendPartnerError(res, 'P460');
    if (user.poaStatus === 'APPROVED') return sendPartnerError(res, 'P447');
    const files = filesOf(req);
    if (!filesOk(res, files, 3)) return;
    user.poaFiles += files.length;
    user.poaStatus = 'WAITING';
    bump(state.counters.poaFilesAdded, user.externalUserId, files.length);
    res.status(201).json({ message: 'POA files added successfully' });
    // Reviewed "by P100": waiting first, then approved (control API can decide otherwise).
    webhooks.emit('poa-verification-status', { externalUserId: user.externalUserId, status: 'WAITING' }, opts.partnerAsyncDelayMs);
    setTimeout(() => {
      if (user.poaStatus !== 'WAITING') return;
      user.poaStatus = 'APPROVED';
      webhooks.emit('poa-verification-status', { externalUserId: user.externalUserId, status: 'APPROVED' });
    }, 2 * opts.partnerAsyncDelayMs).unref();
  });

  router.use(((err, _req, res, next) => {
    if (res.headersSent) return next(err);
    if (err instanceof multer.MulterError) {
      return sendPartnerError(res, err.code === 'LIMIT_FILE_SIZE' ? 'P440' : 'P403', `files: ${err.message}`);
    }
    const status = (err as { status?: number }).status;
    if (status === 400 || status === 413) return sendPartnerError(res, 'P403', 'body: malformed JSON');
    sendPartnerError(res, 'P500');
  }) as express.ErrorRequestHandler);

  return router;
}

// Multipart is parsed before the switches so that a per-user switch sees the path's user.
function multerArray(upload: multer.Multer): express.RequestHandler {
  const handler = upload.array('files');
  return (req: Request, res: Response, next: NextFunction) => handler(req, res, next);
}

/** Approves or rejects a method-B verification and tells the partner by webhook. */
export function decideKyc(
  ctx: SandboxContext,
  externalUserId: string | undefined,
  verificationId: string | undefined,
  status: 'APPROVED' | 'REJECTED' | null,
): { http: number; text: string } {
  const user = externalUserId ? ctx.state.partnerUsers.get(externalUserId) : undefined;
  const v = verificationId ? user?.verifications.get(verificationId) : undefined;
  if (!user || !v || !verificationId || !status) return { http: 404, text: 'Unknown verification.' };
  if (v.status !== 'PENDING') return { http: 409, text: `This verification is already ${v.status}.` };
  v.status = status;
  if (status === 'REJECTED') v.reason = 'Document could not be verified (sandbox)';
  ctx.webhooks.emit('kyc-verification-status', {
    externalUserId: user.externalUserId,
    verificationId,
    status,
    ...(v.reason ? { reason: v.reason } : {}),
  });
  return { http: 200, text: `Verification ${status.toLowerCase()}. You may close this page.` };
}
