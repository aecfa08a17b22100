// The Temporal codec-server protocol, so the Temporal UI and CLI of ops can read encrypted
// histories: POST /codec/encode and /codec/decode with `{payloads:[{metadata:{k:base64},data:base64}]}`.
// Ops key required; CORS for the UI's origins (CODEC_CORS_ORIGINS and the local UI).
import type { Payload } from '@temporalio/common';
import express, { type RequestHandler, Router } from 'express';
import { opsAccess } from '../auth';
import type { ApiContext } from '../context';
import { ProblemError, problems } from '../problem-details';
import { codecBodySchema } from '../schemas';

export const LOCAL_TEMPORAL_UI_ORIGIN = 'http://localhost:8233';

function cors(origins: readonly string[]): RequestHandler {
  const allowed = new Set([...origins, LOCAL_TEMPORAL_UI_ORIGIN].map((o) => o.replace(/\/+$/, '')));
  return (req, res, next) => {
    const origin = req.get('origin');
    if (origin && allowed.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      if (origin && allowed.has(origin)) {
        res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
        res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Namespace');
        res.setHeader('Access-Control-Max-Age', '600');
      }
      res.status(204).end();
      return;
    }
    next();
  };
}

const toPayload = (p: { metadata?: Record<string, string>; data?: string }): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
  data: new Uint8Array(Buffer.from(p.data ?? '', 'base64')),
});

const fromPayload = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

export function codecRouter(ctx: ApiContext): Router {
  const router = Router();
  router.use(cors(ctx.api.CODEC_CORS_ORIGINS));
  const json = express.json({ limit: '4mb', type: ['application/json', 'text/plain'] });
  for (const op of ['encode', 'decode'] as const) {
    router.post(`/${op}`, opsAccess(ctx), json, async (req, res) => {
      const parsed = codecBodySchema.safeParse(req.body);
      if (!parsed.success) throw new ProblemError(problems.validation(parsed.error));
      const payloads = parsed.data.payloads.map(toPayload);
      let out: Payload[];
      try {
        out = op === 'encode' ? await ctx.codec.encode(payloads) : await ctx.codec.decode(payloads);
      } catch (err) {
        // A payload written under a key no longer listed (PAYLOAD_ENCRYPTION_OLD_KEYS) is the case
        // ops meet after a rotation: say so, with the key id (a hash prefix, not the key).
        const reason = err instanceof Error ? `: ${err.message}` : '';
        throw new ProblemError(
          problems.badRequest(op === 'decode' ? `Cannot decrypt the payloads${reason}; list the key that encrypted them in PAYLOAD_ENCRYPTION_OLD_KEYS` : `The payloads could not be encoded`),
        );
      }
      res.status(200).json({ payloads: out.map(fromPayload) });
    });
  }
  return router;
}
