// The control API (`/_sandbox/...`): what tests and demos use to read the codes the sandbox
// "sent", count side effects per user, set switches and drive the simulated humans.
import express, { type Router } from 'express';
import { z } from 'zod';
import type { SandboxContext } from './context';
import { ENDPOINTS, SWITCH_NAMES, switchInputSchema } from './faults';
import { decideKyc } from './partner';
import type { SentCode } from './state';

/** Side effects of one user, across both providers (GET /_sandbox/counters/user). */
export interface UserCounters {
  userId: number | null;
  email: string | null;
  externalUserId: string | null;
  usersCreated: number;
  emailCodesSent: number;
  smsCodesSent: number;
  additionalDataAccepted: number;
  identificationsStarted: number;
  finalizeCalls: number;
  finalizeSuccesses: number;
  partnerAccounts: number;
  kycFilesAdded: number;
  kycVerificationsCreated: number;
  userVerificationsAccepted: number;
  poaFilesAdded: number;
  webhooksDelivered: number;
  webhookAttempts: number;
}

export interface InboxEntry {
  recipient: string;
  latest: SentCode;
  all: SentCode[];
}

const userQuery = z.object({
  email: z.string().min(1).optional(),
  userId: z.coerce.number().int().positive().optional(),
  externalUserId: z.string().min(1).optional(),
});

export function controlRouter(ctx: SandboxContext): Router {
  const { state, switches } = ctx;
  const router = express.Router();
  router.use(express.json());

  const bad = (res: express.Response, message: string) => res.status(400).json({ error: message });

  router.get('/health', (_req, res) => {
    res.json({ ok: true, urls: ctx.urls });
  });

  for (const channel of ['email', 'sms'] as const) {
    router.get(`/inbox/${channel}/:recipient`, (req, res) => {
      const inbox = channel === 'email' ? state.emailInbox : state.smsInbox;
      const all = inbox.get(req.params.recipient.toLowerCase()) ?? [];
      const latest = all.at(-1);
      if (!latest) return res.status(404).json({ error: `no ${channel} sent to this recipient` });
      const entry: InboxEntry = { recipient: req.params.recipient, latest, all };
      res.json(entry);
    });
  }

  router.get('/counters', (_req, res) => {
    res.json(state.counters);
  });

  router.get('/counters/user', (req, res) => {
    const q = userQuery.safeParse(req.query);
    if (!q.success || (!q.data.email && !q.data.userId && !q.data.externalUserId)) {
      return bad(res, 'give email, userId or externalUserId');
    }
    const c = state.counters;
    const byEmail = q.data.email ? state.usersByEmail.get(q.data.email.toLowerCase()) : undefined;
    const user = state.tennpayUsers.get(q.data.userId ?? byEmail ?? -1);
    const email = (q.data.email ?? user?.email ?? null)?.toLowerCase() ?? null;
    const userId = user?.id ?? null;
    const ext = q.data.externalUserId ?? null;
    const n = (map: Record<string, number>, key: string | number | null) => (key === null ? 0 : (map[String(key)] ?? 0));
    const counters: UserCounters = {
      userId,
      email,
      externalUserId: ext,
      usersCreated: n(c.usersCreatedByEmail, email),
      emailCodesSent: n(c.emailCodesSent, email),
      smsCodesSent: n(c.smsCodesSent, user?.phoneNumber ?? null),
      additionalDataAccepted: n(c.additionalDataAccepted, userId),
      identificationsStarted: n(c.identificationsStarted, userId),
      finalizeCalls: n(c.finalizeCalls, userId),
      finalizeSuccesses: n(c.finalizeEffects, userId),
      partnerAccounts: n(c.partnerAccountsCreated, ext),
      kycFilesAdded: n(c.kycFilesAdded, ext),
      kycVerificationsCreated: n(c.kycVerificationsCreated, ext),
      userVerificationsAccepted: n(c.userVerificationsAccepted, ext),
      poaFilesAdded: n(c.poaFilesAdded, ext),
      webhooksDelivered: n(c.webhooksDelivered, ext),
      webhookAttempts: n(c.webhookAttempts, ext),
    };
    res.json(counters);
  });

  router.get('/switches', (_req, res) => {
    res.json({ switches: switches.all(), names: SWITCH_NAMES, endpoints: ENDPOINTS });
  });
  router.post('/switches', (req, res) => {
    const input = switchInputSchema.safeParse(req.body);
    if (!input.success) return bad(res, input.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    if (input.data.name === 'partnerError' && !input.data.code) return bad(res, 'partnerError needs a code such as P430');
    res.status(201).json(switches.add(input.data));
  });
  router.delete('/switches/:id', (req, res) => {
    res.status(switches.remove(req.params.id) ? 204 : 404).end();
  });
  router.delete('/switches', (_req, res) => {
    switches.clear();
    res.status(204).end();
  });

  router.post('/tokens/revoke', (_req, res) => {
    let revoked = 0;
    for (const t of state.tokens.values()) {
      if (t.revoked) continue;
      t.revoked = true;
      revoked++;
    }
    res.json({ revoked });
  });

  router.get('/webhooks', (req, res) => {
    const ext = typeof req.query.externalUserId === 'string' ? req.query.externalUserId : undefined;
    res.json(state.webhooks.filter((w) => !ext || w.payload.externalUserId === ext));
  });
  router.post('/webhooks/idle', async (_req, res) => {
    await ctx.webhooks.idle();
    res.json({ idle: true });
  });

  router.get('/users/:id', (req, res) => {
    const user = state.tennpayUsers.get(Number(req.params.id));
    if (!user) return res.status(404).json({ error: 'unknown user' });
    const step = state.currentStep(user);
    res.json({
      id: user.id,
      emailVerified: user.emailVerified,
      phoneVerified: user.phoneVerified,
      additionalData: user.additionalData,
      identificationStatus: step?.status ?? null,
      identificationUrl: step?.url ?? null,
      bTrustAppCallBackId: user.bTrustAppCallBackId,
      finalized: user.finalized,
    });
  });

  router.get('/partner/users/:externalUserId', (req, res) => {
    const user = state.partnerUsers.get(req.params.externalUserId);
    if (!user) return res.status(404).json({ error: 'unknown user' });
    res.json({
      externalUserId: user.externalUserId,
      userId: user.userId,
      poaRequiredForExtended: user.poaRequiredForExtended,
      kycFiles: user.kycFiles,
      verifications: Object.fromEntries(user.verifications),
      latestVerificationId: user.latestVerificationId,
      verified: user.verified,
      poaStatus: user.poaStatus,
    });
  });

  // Shortcut for the hosted KYC page's buttons: decide the user's latest (or a given) verification.
  router.post('/partner/kyc/:externalUserId', (req, res) => {
    const body = z.object({ decision: z.enum(['approve', 'reject']), verificationId: z.string().optional() }).safeParse(req.body);
    if (!body.success) return bad(res, 'decision must be approve or reject');
    const user = state.partnerUsers.get(req.params.externalUserId);
    const vid = body.data.verificationId ?? user?.latestVerificationId ?? undefined;
    const result = decideKyc(ctx, req.params.externalUserId, vid, body.data.decision === 'approve' ? 'APPROVED' : 'REJECTED');
    res.status(result.http).json({ message: result.text, verificationId: vid ?? null });
  });

  // Decide a proof of address (P100's review), with its webhook.
  router.post('/partner/poa/:externalUserId', (req, res) => {
    const body = z.object({ status: z.enum(['WAITING', 'QUESTIONED', 'APPROVED', 'REJECTED']) }).safeParse(req.body);
    if (!body.success) return bad(res, 'status must be WAITING, QUESTIONED, APPROVED or REJECTED');
    const user = state.partnerUsers.get(req.params.externalUserId);
    if (!user) return res.status(404).json({ error: 'unknown user' });
    user.poaStatus = body.data.status;
    ctx.webhooks.emit('poa-verification-status', { externalUserId: user.externalUserId, status: body.data.status });
    res.json({ status: user.poaStatus });
  });

  router.post('/reset', (_req, res) => {
    state.reset();
    switches.clear();
    res.status(204).end();
  });

  return router;
}
