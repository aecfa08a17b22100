// The provider sandbox: one HTTP port serving the 10nPay API, the Borica pages, the P100 Partner
// API and the control API under path prefixes, plus the mTLS token server on its own HTTPS port.
// Everything is in memory; ports default to 0 so many sandboxes can run side by side in tests.
import http from 'node:http';
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { boricaRouter } from './borica';
import { ensureCertificates } from './certificates';
import { controlRouter } from './control';
import { DEFAULTS, type ResolvedOptions, type SandboxContext, type SandboxOptions, type SandboxUrls } from './context';
import { Switches } from './faults';
import { integratorRouter, type IntegratorArrival } from './integrator';
import { partnerRouter } from './partner';
import { SandboxState } from './state';
import { createAuthServer } from './tennpay-auth';
import { tennpayRouter } from './tennpay';
import { WebhookSender } from './webhooks';

export type { SandboxOptions, SandboxUrls } from './context';
export { SWITCH_NAMES, ENDPOINTS, type SwitchInput, type SwitchName } from './faults';
export { thumbprintOfFile, thumbprintOfPem, ensureCertificates } from './certificates';

/** Path prefixes on the main port. */
export const PREFIXES = { tennpay: '/tennpay', borica: '/borica', partner: '/p100', control: '/_sandbox', integrator: '/integrator' } as const;

export interface Sandbox extends SandboxUrls {
  certs: { clientCertPath: string; clientKeyPath: string; caCertPath: string };
  /** What the integrator's receiver got, newest first. */
  integratorArrivals(): IntegratorArrival[];
  /** Waits until no webhook is queued or being retried. */
  webhooksIdle(): Promise<void>;
  close(): Promise<void>;
}

function listen(server: http.Server | https.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: http.Server | https.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const opts: ResolvedOptions = { ...DEFAULTS, ...defined };
  const certs = await ensureCertificates(opts.certDir);
  const state = new SandboxState();
  const switches = new Switches(state);
  const urls: SandboxUrls = { tennpayBaseUrl: '', authUrl: '', partnerBaseUrl: '', boricaBaseUrl: '', controlUrl: '', integratorWebhookUrl: '' };
  const integrator = integratorRouter(opts.integratorWebhookSecret);
  const ctx: SandboxContext = { opts, state, switches, webhooks: new WebhookSender(opts, state, switches), urls };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(PREFIXES.tennpay, tennpayRouter(ctx));
  app.use(PREFIXES.borica, boricaRouter(ctx));
  app.use(PREFIXES.partner, partnerRouter(ctx));
  app.use(PREFIXES.control, controlRouter(ctx));
  app.use(PREFIXES.integrator, integrator.router);
  app.use((_req, res) => {
    res.status(404).end();
  });

  const main = http.createServer(app);
  const auth = createAuthServer(ctx, certs);
  const port = await listen(main, opts.port, opts.host);
  let authPort: number;
  try {
    authPort = await listen(auth, opts.authPort, opts.host);
  } catch (err) {
    await closeServer(main);
    throw err;
  }
  const base = `http://${opts.host}:${port}`;
  Object.assign(urls, {
    tennpayBaseUrl: `${base}${PREFIXES.tennpay}`,
    authUrl: `https://${opts.host}:${authPort}`,
    partnerBaseUrl: `${base}${PREFIXES.partner}`,
    boricaBaseUrl: `${base}${PREFIXES.borica}`,
    controlUrl: `${base}${PREFIXES.control}`,
    integratorWebhookUrl: `${base}${PREFIXES.integrator}/events`,
  } satisfies SandboxUrls);

  let closing: Promise<void> | undefined;
  return {
    ...urls,
    certs: { clientCertPath: certs.clientCertPath, clientKeyPath: certs.clientKeyPath, caCertPath: certs.caCertPath },
    integratorArrivals: integrator.arrivals,
    webhooksIdle: () => ctx.webhooks.idle(),
    close: () =>
      (closing ??= (async () => {
        await ctx.webhooks.close();
        await Promise.all([closeServer(main), closeServer(auth)]);
      })()),
  };
}
