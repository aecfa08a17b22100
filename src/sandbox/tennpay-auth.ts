// 10nPay's token endpoint: OAuth 2.0 client credentials over mutual TLS. The TLS layer refuses a
// client without a certificate signed by the sandbox CA; the form's thumbprint must match the
// certificate actually presented (RFC 8705 style binding), else invalid_client.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import express from 'express';
import { thumbprintOfDer, type CertificatePaths } from './certificates';
import type { SandboxContext } from './context';
import { faults } from './faults';

export const KNOWN_SCOPES = ['Tenn.CRM', 'IdentityServerApi', 'Tenn.RiskService', 'Tenn.FileStorage'] as const;
export const THUMBPRINT_FIELD = 'IdentityServer:MTLS:X509Certificate';

const oauthError = (res: express.Response, error: string, description?: string) =>
  res.status(400).json({ error, ...(description ? { error_description: description } : {}) });

export function createAuthServer(ctx: SandboxContext, certs: CertificatePaths): https.Server {
  const { state, switches, opts } = ctx;
  const app = express();
  app.disable('x-powered-by');
  app.use(express.urlencoded({ extended: false }));

  app.post('/connect/mtls/token', faults(switches, 'auth.token', () => ({})), (req, res) => {
    const form = (req.body ?? {}) as Record<string, unknown>;
    const str = (k: string) => (typeof form[k] === 'string' ? (form[k] as string) : undefined);
    // Some clients send the client id as HTTP Basic instead of a form field.
    const basic = /^Basic (.+)$/.exec(req.get('authorization') ?? '')?.[1];
    const basicId = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':')[0] : undefined;
    const clientId = str('client_id') ?? basicId;

    if (str('grant_type') !== 'client_credentials') return oauthError(res, 'unsupported_grant_type');
    if (clientId !== opts.tennpayClientId) return oauthError(res, 'invalid_client');
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    const presented = peer?.raw ? thumbprintOfDer(peer.raw) : undefined;
    const claimed = str(THUMBPRINT_FIELD)?.toUpperCase();
    if (!presented || claimed !== presented) return oauthError(res, 'invalid_client', 'certificate thumbprint mismatch');

    const requested = (str('scope') ?? KNOWN_SCOPES.join(' ')).split(' ').filter(Boolean);
    if (requested.some((s) => !(KNOWN_SCOPES as readonly string[]).includes(s))) return oauthError(res, 'invalid_scope');

    const accessToken = randomBytes(32).toString('base64url');
    // tokenExpiresEarly: the token dies sooner than expires_in says (a clock skew or revocation).
    const early = switches.take('tokenExpiresEarly', {}, 'auth.token');
    const lifeMs = early ? (early.afterMs ?? 0) : opts.tokenLifetimeSec * 1000;
    state.tokens.set(accessToken, { expiresAt: Date.now() + lifeMs, revoked: false });
    state.counters.tokensIssued++;
    res.set('Cache-Control', 'no-store').json({
      access_token: accessToken,
      expires_in: opts.tokenLifetimeSec,
      token_type: 'Bearer',
      scope: requested.join(' '),
    });
  });

  app.use((_req, res) => {
    res.status(404).end();
  });

  return https.createServer(
    {
      key: readFileSync(certs.serverKeyPath),
      cert: readFileSync(certs.serverCertPath),
      ca: readFileSync(certs.caCertPath),
      requestCert: true,
      rejectUnauthorized: true,
    },
    app,
  );
}
