// Helpers for the sandbox's own tests: a started sandbox, an mTLS token, JSON calls.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { thumbprintOfFile } from './certificates';
import { startSandbox, type Sandbox, type SandboxOptions } from './index';

/** One certificate folder for every test run on this machine (generated once, race-safe). */
export const TEST_CERT_DIR = path.join(os.tmpdir(), 'onboarding-sandbox-test-certs');

export const startTestSandbox = (options: SandboxOptions = {}): Promise<Sandbox> =>
  startSandbox({ certDir: TEST_CERT_DIR, statusDelayMs: 100, partnerAsyncDelayMs: 20, ...options });

export function mtlsAgent(sandbox: Sandbox, withClientCert = true): Agent {
  const { clientCertPath, clientKeyPath, caCertPath } = sandbox.certs;
  return new Agent({
    connect: {
      ca: readFileSync(caCertPath),
      ...(withClientCert ? { cert: readFileSync(clientCertPath), key: readFileSync(clientKeyPath) } : {}),
    },
  });
}

export async function tokenRequest(sandbox: Sandbox, form: Record<string, string>, agent = mtlsAgent(sandbox)) {
  try {
    const res = await request(`${sandbox.authUrl}/connect/mtls/token`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
  } finally {
    await agent.close();
  }
}

export const goodTokenForm = (sandbox: Sandbox): Record<string, string> => ({
  client_id: 'sandbox-client',
  grant_type: 'client_credentials',
  scope: 'Tenn.CRM IdentityServerApi Tenn.RiskService Tenn.FileStorage',
  'IdentityServer:MTLS:X509Certificate': thumbprintOfFile(sandbox.certs.clientCertPath),
});

export async function getToken(sandbox: Sandbox): Promise<string> {
  const res = await tokenRequest(sandbox, goodTokenForm(sandbox));
  if (res.status !== 200) throw new Error(`token: ${res.status}`);
  return res.body.access_token as string;
}

export interface JsonAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export async function call(
  method: 'GET' | 'POST',
  url: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<JsonAnswer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await request(url, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}

export interface ReceivedWebhook {
  type: string;
  authorization: string | undefined;
  body: Record<string, unknown>;
  at: number;
}

/** A tiny webhook receiver: records every delivery; answers `failFirst` deliveries with 503. */
export async function startWebhookReceiver(opts: { failFirst?: number } = {}) {
  const http = await import('node:http');
  const received: ReceivedWebhook[] = [];
  let failuresLeft = opts.failFirst ?? 0;
  let attempts = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      attempts++;
      if (failuresLeft > 0) {
        failuresLeft--;
        res.statusCode = 503;
        res.end();
        return;
      }
      received.push({
        type: (req.url ?? '').split('/').pop() ?? '',
        authorization: req.headers.authorization,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>,
        at: Date.now(),
      });
      res.statusCode = 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as import('node:net').AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}/webhooks/partner`,
    received,
    attempts: () => attempts,
    failNext: (n: number) => {
      failuresLeft = n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
