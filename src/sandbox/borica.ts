// The Borica / B-Trust face: the identification and signing pages the user opens from
// videoIdentificationUrl. Pressing a button moves the 10nPay status forward (or to ERROR) and
// sends the browser to the tenant's Success or Fail URL with a bTrustAppCallBackId.
import { randomUUID } from 'node:crypto';
import express, { type Response, type Router } from 'express';
import type { SandboxContext } from './context';
import { page } from './html';
import type { BoricaSession, TennpayUser } from './state';

const PAGE_PATH: Record<BoricaSession['kind'], string> = { identification: 'identification', signing: 'signing' };

export const boricaPageUrl = (ctx: SandboxContext, s: Pick<BoricaSession, 'kind' | 'sessionId'>): string =>
  `${ctx.urls.boricaBaseUrl}/${PAGE_PATH[s.kind]}/${s.sessionId}`;

const successUrl = (ctx: SandboxContext) => ctx.opts.boricaSuccessUrl ?? `${ctx.urls.boricaBaseUrl}/landing/success`;
const failUrl = (ctx: SandboxContext) => ctx.opts.boricaFailUrl ?? `${ctx.urls.boricaBaseUrl}/landing/fail`;

function withCallbackId(base: string, id: string): string {
  const url = new URL(base);
  url.searchParams.set('bTrustAppCallBackId', id);
  return url.toString();
}

export function boricaRouter(ctx: SandboxContext): Router {
  const { state, switches, opts } = ctx;
  const router = express.Router();
  router.use(express.urlencoded({ extended: false }));

  const sessionFor = (kind: BoricaSession['kind'], id: string | undefined) => {
    const s = id ? state.boricaSessions.get(id) : undefined;
    return s && s.kind === kind ? s : undefined;
  };
  const BRAND = { brand: 'B-Trust by Borica' };
  const gone = (res: Response, why: string) =>
    res.status(410).type('html').send(page('This session is closed', `${why} Go back to the application you came from to continue.`, [], BRAND));

  for (const kind of ['identification', 'signing'] as const) {
    const title = kind === 'identification' ? 'Confirm your identity' : 'Sign your account documents';

    router.get(`/${PAGE_PATH[kind]}/:sessionId`, (req, res) => {
      const s = sessionFor(kind, req.params.sessionId);
      if (!s) return res.status(404).type('html').send(page('Session not found', 'This identification link is not known.', [], BRAND));
      if (s.outcome !== 'OPEN') return gone(res, `This session has ${s.outcome === 'SUCCEEDED' ? 'already been completed' : 'failed'}.`);
      const base = `${ctx.urls.boricaBaseUrl}/${PAGE_PATH[kind]}/${s.sessionId}`;
      const email = state.tennpayUsers.get(s.userId)?.email;
      const identification = kind === 'identification';
      res.type('html').send(
        page(
          title,
          identification
            ? 'Hold your identity card or passport up to the camera, then look into it. Here the camera is simulated: choose how the identification ends.'
            : 'Your identity is confirmed. Read and sign the 10nPay account agreement with your qualified electronic signature.',
          [
            {
              outcome: 'success',
              label: identification ? 'Complete identification' : 'Sign the documents',
              action: `${base}/success`,
              hint: identification ? 'Your document and face match.' : 'Signs the agreement with your cloud signature.',
            },
            {
              outcome: 'fail',
              label: identification ? 'Identification fails' : 'Refuse to sign',
              action: `${base}/fail`,
              hint: identification ? 'As when the document cannot be read.' : 'Nothing is signed.',
              secondary: true,
            },
          ],
          {
            ...BRAND,
            ...(email ? { who: `Signed in as ${email}` } : {}),
            next: 'When you finish, you are taken back to the application you came from, which continues by itself.',
          },
        ),
      );
    });

    router.post(`/${PAGE_PATH[kind]}/:sessionId/:outcome`, (req, res) => {
      const s = sessionFor(kind, req.params.sessionId);
      const outcome = req.params.outcome;
      if (!s || (outcome !== 'success' && outcome !== 'fail')) {
        return res.status(404).type('html').send(page('Session not found', 'This identification link is not known.', [], BRAND));
      }
      if (s.outcome !== 'OPEN') return gone(res, `This session has ${s.outcome === 'SUCCEEDED' ? 'already been completed' : 'failed'}.`);
      const user = state.tennpayUsers.get(s.userId);
      if (!user) return gone(res, 'The user no longer exists.');
      const callbackId = user.bTrustAppCallBackId ?? randomUUID();
      user.bTrustAppCallBackId = callbackId;
      const now = Date.now();
      if (outcome === 'fail') {
        s.outcome = 'FAILED';
        user.identification.push({ at: now, status: 'ERROR', url: null });
        return res.redirect(302, withCallbackId(failUrl(ctx), callbackId));
      }
      s.outcome = 'SUCCEEDED';
      const subject = { userId: user.id, email: user.email };
      const delay = switches.take('statusDelay', subject)?.delayMs ?? opts.statusDelayMs;
      const stuck = switches.take('identificationStuck', subject) !== undefined;
      if (kind === 'identification') advanceAfterIdentification(ctx, user, now, delay, stuck);
      else advanceAfterSigning(ctx, user, now, delay, stuck);
      res.redirect(302, withCallbackId(successUrl(ctx), callbackId));
    });
  }

  // Default redirect targets when no tenant URL is configured: somewhere harmless to land.
  router.get('/landing/:outcome', (req, res) => {
    res.type('html').send(page(req.params.outcome === 'success' ? 'All done here' : 'The session has ended', 'You may close this page and go back to your application.', [], { brand: 'B-Trust by Borica' }));
  });

  return router;
}

/** Phase A: PROCESSING for a while, then a signing session with its URL. */
function advanceAfterIdentification(ctx: SandboxContext, user: TennpayUser, now: number, delay: number, stuck: boolean): void {
  const signing: BoricaSession = { sessionId: randomUUID(), userId: user.id, kind: 'signing', outcome: 'OPEN' };
  ctx.state.boricaSessions.set(signing.sessionId, signing);
  user.identificationSessionId = signing.sessionId;
  user.identification.push({ at: now, status: 'PROCESSING', url: null });
  if (!stuck) user.identification.push({ at: now + delay, status: 'SIGN_SESSION_ID_SUCCESSFULLY_CREATED', url: boricaPageUrl(ctx, signing) });
}

/** Phase B: SIGN_SESSION_ID_SUCCESSFULLY_CREATED still shows briefly, then DOCUMENT_SIGN_SUCCESS. */
function advanceAfterSigning(ctx: SandboxContext, user: TennpayUser, now: number, delay: number, stuck: boolean): void {
  const signingUrl = user.identificationSessionId
    ? boricaPageUrl(ctx, { kind: 'signing', sessionId: user.identificationSessionId })
    : null;
  user.identification.push({ at: now, status: 'SIGN_SESSION_ID_SUCCESSFULLY_CREATED', url: signingUrl });
  if (!stuck) user.identification.push({ at: now + delay, status: 'DOCUMENT_SIGN_SUCCESS', url: null });
}
