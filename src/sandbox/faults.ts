// Switches: faults and behaviours set through the control API, globally or for one user, so a
// test can make one onboarding meet a 5xx burst while the others in the same run do not.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { SandboxState } from './state';

export const SWITCH_NAMES = [
  // HTTP faults, on the endpoints `endpoint` names (an endpoint id, a prefix ending in `*`, or all)
  'serverError', // N× 5xx (status, default 500) with an empty body
  'rateLimit', // N× 429 with Retry-After (retryAfterSec)
  'slow', // delay the response by delayMs
  'malformed', // the handler runs, the body is cut in half (not valid JSON)
  'responseLost', // the handler runs (effects happen), then the socket is destroyed
  // 10nPay behaviour
  'statusDelay', // Borica steps stay PROCESSING / SIGN_SESSION… for delayMs instead of statusDelayMs
  'identificationStuck', // after a Borica success the status never moves on
  'tokenExpiresEarly', // tokens issued while set expire after afterMs (expires_in still says the full life)
  'finalizeRejectAfterSuccess', // finalize applies its effect but answers 400 N times
  // P100 behaviour
  'partnerError', // force errorCode `code` on the P100 call `endpoint` N times (no effect applied)
  'poaRequired', // Create User Account answers poaRequiredForExtended: true
  'webhookDuplicate', // every webhook is delivered `copies` times (default 2)
  'webhookOutOfOrder', // after each KYC/POA status webhook, a stale earlier status is delivered too
] as const;
export type SwitchName = (typeof SWITCH_NAMES)[number];

export const switchInputSchema = z.strictObject({
  name: z.enum(SWITCH_NAMES),
  /** Endpoint id (see ENDPOINTS), a prefix with a trailing `*`, or absent for every endpoint. */
  endpoint: z.string().min(1).optional(),
  // Scope: absent means global; otherwise the user it applies to, by any of their ids.
  email: z.string().min(1).optional(),
  userId: z.number().int().positive().optional(),
  externalUserId: z.string().min(1).optional(),
  /** How many times it applies before it switches itself off; absent: until cleared. */
  times: z.number().int().positive().optional(),
  status: z.number().int().min(500).max(599).optional(),
  retryAfterSec: z.number().int().min(0).optional(),
  delayMs: z.number().int().min(0).optional(),
  afterMs: z.number().int().min(0).optional(),
  code: z.string().regex(/^P\d{3}$/).optional(),
  copies: z.number().int().min(2).max(10).optional(),
});
export type SwitchInput = z.infer<typeof switchInputSchema>;
export interface Switch extends SwitchInput {
  id: string;
  remaining: number | null;
  applied: number;
}

/** Who a request is about, as far as the face can tell. */
export interface Subject {
  userId?: number;
  email?: string;
  externalUserId?: string;
}

/** Every endpoint id a switch may name. */
export const ENDPOINTS = [
  'auth.token',
  'tennpay.createUser',
  'tennpay.sendEmailConfirmation',
  'tennpay.confirmEmail',
  'tennpay.sendSmsCode',
  'tennpay.resendSmsCode',
  'tennpay.verifyPhone',
  'tennpay.userStatus',
  'tennpay.addAdditionalData',
  'tennpay.lookup',
  'tennpay.initiateIdentification',
  'tennpay.identificationStatus',
  'tennpay.finalize',
  'p100.createUser',
  'p100.kycFiles',
  'p100.createKyc',
  'p100.kycPage',
  'p100.kycStatus',
  'p100.userVerification',
  'p100.poaFiles',
] as const;

let nextSwitchId = 1;

export class Switches {
  private list: Switch[] = [];

  constructor(private readonly state: SandboxState) {}

  add(input: SwitchInput): Switch {
    const sw: Switch = { ...input, id: `sw-${nextSwitchId++}`, remaining: input.times ?? null, applied: 0 };
    this.list.push(sw);
    return sw;
  }

  all(): Switch[] {
    return [...this.list];
  }

  remove(id: string): boolean {
    const before = this.list.length;
    this.list = this.list.filter((s) => s.id !== id);
    return this.list.length !== before;
  }

  clear(): void {
    this.list = [];
  }

  /**
   * The first active switch of that name matching the subject and endpoint, consumed once
   * (a switch with `times` turns itself off when used up).
   */
  take(name: SwitchName, subject: Subject, endpoint?: string): Switch | undefined {
    const sw = this.list.find((s) => s.name === name && this.inScope(s, subject) && endpointMatches(s.endpoint, endpoint));
    if (!sw) return undefined;
    sw.applied++;
    if (sw.remaining !== null && --sw.remaining <= 0) this.remove(sw.id);
    return sw;
  }

  private inScope(sw: Switch, subject: Subject): boolean {
    if (sw.userId === undefined && sw.email === undefined && sw.externalUserId === undefined) return true;
    if (sw.userId !== undefined && subject.userId === sw.userId) return true;
    if (sw.externalUserId !== undefined && subject.externalUserId === sw.externalUserId) return true;
    if (sw.email !== undefined) {
      const want = sw.email.toLowerCase();
      if (subject.email?.toLowerCase() === want) return true;
      // A request naming only the 10nPay id still belongs to the user with that e-mail.
      if (subject.userId !== undefined && this.state.tennpayUsers.get(subject.userId)?.email.toLowerCase() === want) return true;
      // P100 accounts carry the e-mail given at creation.
      if (subject.externalUserId !== undefined) {
        const account = this.state.partnerUsers.get(subject.externalUserId)?.account;
        if (typeof account?.email === 'string' && account.email.toLowerCase() === want) return true;
      }
    }
    return false;
  }
}

function endpointMatches(pattern: string | undefined, endpoint: string | undefined): boolean {
  if (pattern === undefined) return true;
  if (endpoint === undefined) return false;
  if (pattern.endsWith('*')) return endpoint.startsWith(pattern.slice(0, -1));
  return pattern === endpoint;
}

/**
 * The switch middleware in front of every provider endpoint: applies the HTTP-level faults
 * (delay, 5xx, 429, malformed body, lost response) before or around the real handler.
 */
export function faults(switches: Switches, endpoint: string, subjectOf: (req: Request) => Subject): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const subject = subjectOf(req);
    const slow = switches.take('slow', subject, endpoint);
    if (slow) await sleep(slow.delayMs ?? 1000);

    const error = switches.take('serverError', subject, endpoint);
    if (error) {
      res.status(error.status ?? 500).end();
      return;
    }
    const limited = switches.take('rateLimit', subject, endpoint);
    if (limited) {
      res.status(429).set('Retry-After', String(limited.retryAfterSec ?? 1)).end();
      return;
    }
    if (switches.take('malformed', subject, endpoint)) {
      // The handler's effect happens; only the body the client sees is broken.
      const send = res.send.bind(res);
      res.send = ((body?: unknown) => {
        const text = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : JSON.stringify(body ?? '');
        res.type('application/json');
        return send(text.length > 1 ? text.slice(0, Math.floor(text.length / 2)) : '{"');
      }) as Response['send'];
    }
    if (switches.take('responseLost', subject, endpoint)) {
      // The effect is applied, but the client never hears about it: the connection just dies.
      res.end = ((..._args: unknown[]) => {
        req.socket.destroy();
        return res;
      }) as Response['end'];
    }
    next();
  };
}

/** Reads a positive integer from a request value (path or body), or undefined. */
export function intOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d{1,10}$/.test(value)) return Number(value);
  return undefined;
}
