// The Temporal codec-server protocol, so the Temporal UI and CLI of ops can read encrypted
// histories: POST /codec/encode and /codec/decode with `{payloads:[{metadata:{k:base64},data:base64}]}`.
// Ops key required; CORS for the UI's origins (CODEC_CORS_ORIGINS and the local UI).
import type { Payload } from '@temporalio/common';
import type { Request, RequestHandler, Response } from 'express';
import type { ApiContext } from '../context';
import { type Handlers, inputOf } from '../mount-routes';
import { ProblemError, problems } from '../problem-details';
import type { codecBodySchema } from '../schemas';
import type { z } from 'zod';

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

/** The codec's operations of the route table: CORS first (preflights included), then the ops key. */
export function codecHandlers(ctx: ApiContext): Handlers {
  const corsForUi = cors(ctx.api.CODEC_CORS_ORIGINS);
  const handlers: Handlers = {};
  for (const op of ['encode', 'decode'] as const) {
    handlers[`codec_${op}_preflight`] = corsForUi;
    handlers[`codec_${op}`] = { before: [corsForUi], handle: async (_req: Request, res: Response) => {
      const body = inputOf(res).body as z.output<typeof codecBodySchema>;
      const payloads = body.payloads.map(toPayload);
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
    } };
  }
  return handlers;
}
