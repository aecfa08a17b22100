// The reference frontend at /app/ (CONTRACT part 4, "What a frontend needs"): web/index.html,
// web/app.css and web/src/*.ts bundled by esbuild into one script, in memory, the first time /app/
// is asked for. So `npm start` (and the API on its own) serves it with no build step, and no file is
// written next to the sources. The app's own paths (/app/, /app/borica/success, /app/borica/fail)
// all answer the same page; the script reads the path. Nothing is loaded from another origin.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { RequestHandler } from 'express';

export const FRONTEND_PREFIX = '/app';
const WEB_DIR = path.join(__dirname, '..', '..', 'web');

interface Assets {
  html: string;
  css: string;
  js: string;
}

/** Everything the page needs comes from this origin; no inline script, no framing. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

/** Bundles web/src/main.ts (esbuild: TypeScript in, one ES2020 script out). */
export async function buildFrontend(): Promise<Assets> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [path.join(WEB_DIR, 'src', 'main.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const js = result.outputFiles[0]?.text;
  if (js === undefined) throw new Error('esbuild produced no output for web/src/main.ts');
  const [html, css] = await Promise.all([readFile(path.join(WEB_DIR, 'index.html'), 'utf8'), readFile(path.join(WEB_DIR, 'app.css'), 'utf8')]);
  return { html, css, js };
}

/** GET/HEAD under /app: the page for the app's paths, its script and its style sheet. */
export function frontendHandler(build: () => Promise<Assets> = buildFrontend): RequestHandler {
  let assets: Promise<Assets> | undefined;
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const sub = req.path;
    if (!req.originalUrl.startsWith(`${FRONTEND_PREFIX}/`)) {
      res.redirect(301, `${FRONTEND_PREFIX}/`);
      return;
    }
    const kind = sub === '/app.js' ? 'js' : sub === '/app.css' ? 'css' : ['/', '/borica/success', '/borica/fail'].includes(sub) ? 'html' : undefined;
    if (!kind) return next();
    assets ??= build().catch((err: unknown) => {
      assets = undefined; // a broken build is tried again on the next request
      throw err;
    });
    assets.then(
      (a) => {
        res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
        res.setHeader('X-Content-Type-Options', 'nosniff');
        res.setHeader('Referrer-Policy', 'no-referrer');
        // The page carries nothing secret, but the query of a Borica redirect must not be cached.
        res.setHeader('Cache-Control', kind === 'html' ? 'no-store' : 'no-cache');
        if (kind === 'html') res.type('text/html; charset=utf-8').send(a.html);
        else if (kind === 'css') res.type('text/css; charset=utf-8').send(a.css);
        else res.type('text/javascript; charset=utf-8').send(a.js);
      },
      (err: unknown) => next(err),
    );
  };
}
