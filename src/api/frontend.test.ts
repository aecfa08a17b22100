// Serving the reference frontend: the app's paths answer its page with a strict Content-Security-
// Policy (nothing from another origin), /app goes to /app/, anything else under /app is not found;
// and the real web/ sources bundle with esbuild (what the API does on the first request).
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFrontend, frontendHandler } from './frontend';

let base: string;
let close: () => Promise<void>;
let builds = 0;

beforeAll(async () => {
  const app = express();
  app.use(
    '/app',
    frontendHandler(async () => {
      builds++;
      return { html: '<!doctype html><title>t</title>', css: 'body{}', js: 'void 0' };
    }),
  );
  app.use((_req, res) => {
    res.status(404).end();
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((r) => server.close(() => r(undefined)));
});

afterAll(async () => {
  await close?.();
});

describe('the reference frontend’s files', () => {
  it('answers its page on /app/ and the Borica landing paths, with a CSP that allows only this origin', async () => {
    for (const path of ['/app/', '/app/borica/success?bTrustAppCallBackId=abc', '/app/borica/fail']) {
      const res = await fetch(base + path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('cache-control')).toBe('no-store');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).not.toMatch(/https?:|\*/);
    }
    expect((await fetch(`${base}/app/app.js`)).headers.get('content-type')).toContain('text/javascript');
    expect((await fetch(`${base}/app/app.css`)).headers.get('content-type')).toContain('text/css');
    expect(builds).toBe(1);
  });

  it('sends /app to /app/ and leaves other paths and methods to the rest of the API', async () => {
    const bare = await fetch(`${base}/app`, { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/app/');
    expect((await fetch(`${base}/app/secrets.txt`)).status).toBe(404);
    expect((await fetch(`${base}/app/`, { method: 'POST' })).status).toBe(404);
  });

  it('bundles web/ with esbuild into one script holding every screen', async () => {
    const assets = await buildFrontend();
    expect(assets.html).toContain('/app/app.js');
    expect(assets.js).toContain('one-time-code');
    expect(assets.js).toContain('/reference/kyc-options');
    expect(assets.js).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
  });
});
