// A typed client for the sandbox's control API and its simulated humans (the Borica pages and
// P100's hosted KYC page), for tests and demos. Only undici, no sandbox internals: it works
// against an in-process sandbox and against `npm run sandbox` alike.
import { request } from 'undici';
import type { UserCounters, InboxEntry } from './control';
import type { Switch, SwitchInput } from './faults';
import type { Counters, SentCode, WebhookRecord } from './state';

export type { UserCounters, InboxEntry } from './control';
export type { Switch, SwitchInput, SwitchName } from './faults';
export type { Counters, SentCode, WebhookRecord } from './state';

export interface UserRef {
  email?: string;
  userId?: number;
  externalUserId?: string;
}

export class SandboxControlError extends Error {
  override name = 'SandboxControlError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const unescapeHtml = (s: string) =>
  s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** The forms of a sandbox page, by their `data-outcome` (success/fail, approve/reject). */
export function formsOf(html: string): Map<string, string> {
  const forms = new Map<string, string>();
  for (const m of html.matchAll(/<form\b[^>]*>/g)) {
    const tag = m[0];
    const action = /\baction="([^"]*)"/.exec(tag)?.[1];
    const outcome = /\bdata-outcome="([^"]*)"/.exec(tag)?.[1];
    if (action && outcome) forms.set(unescapeHtml(outcome), unescapeHtml(action));
  }
  return forms;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class SandboxControl {
  private readonly base: string;

  /** `controlUrl` as startSandbox returns it, e.g. http://127.0.0.1:4010/_sandbox */
  constructor(controlUrl: string) {
    this.base = controlUrl.replace(/\/$/, '');
  }

  private async call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, okStatuses = [200, 201, 204]): Promise<T> {
    const res = await request(`${this.base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    if (!okStatuses.includes(res.statusCode)) throw new SandboxControlError(`${method} ${path}: ${res.statusCode} ${text}`, res.statusCode);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  health(): Promise<{ ok: boolean }> {
    return this.call('GET', '/health');
  }

  // --- inbox -----------------------------------------------------------------------------------

  /** Every code sent to the recipient, oldest first; empty when none. */
  async codes(channel: 'email' | 'sms', recipient: string): Promise<SentCode[]> {
    try {
      return (await this.call<InboxEntry>('GET', `/inbox/${channel}/${encodeURIComponent(recipient)}`)).all;
    } catch (err) {
      if (err instanceof SandboxControlError && err.status === 404) return [];
      throw err;
    }
  }

  /** The latest code, waiting up to `waitMs` (default 5 s) for one to be sent; throws if none. */
  async latestCode(channel: 'email' | 'sms', recipient: string, opts: { waitMs?: number; after?: number } = {}): Promise<string> {
    const deadline = Date.now() + (opts.waitMs ?? 5000);
    for (;;) {
      const all = await this.codes(channel, recipient);
      const latest = all.at(-1);
      // `after`: only a code sent after that many codes (a resend) counts.
      if (latest && all.length > (opts.after ?? 0)) return latest.code;
      if (Date.now() >= deadline) throw new SandboxControlError(`no ${channel} code for this recipient`, 404);
      await sleep(50);
    }
  }

  latestEmailCode(email: string, opts?: { waitMs?: number; after?: number }): Promise<string> {
    return this.latestCode('email', email, opts);
  }

  latestSmsCode(phone: string, opts?: { waitMs?: number; after?: number }): Promise<string> {
    return this.latestCode('sms', phone, opts);
  }

  // --- counters, state, webhooks ---------------------------------------------------------------

  counters(who: UserRef): Promise<UserCounters> {
    const q = new URLSearchParams();
    if (who.email) q.set('email', who.email);
    if (who.userId !== undefined) q.set('userId', String(who.userId));
    if (who.externalUserId) q.set('externalUserId', who.externalUserId);
    return this.call('GET', `/counters/user?${q.toString()}`);
  }

  allCounters(): Promise<Counters> {
    return this.call('GET', '/counters');
  }

  user(userId: number): Promise<Record<string, unknown>> {
    return this.call('GET', `/users/${userId}`);
  }

  partnerUser(externalUserId: string): Promise<Record<string, unknown>> {
    return this.call('GET', `/partner/users/${encodeURIComponent(externalUserId)}`);
  }

  webhooks(externalUserId?: string): Promise<WebhookRecord[]> {
    return this.call('GET', `/webhooks${externalUserId ? `?externalUserId=${encodeURIComponent(externalUserId)}` : ''}`);
  }

  /** Resolves once no webhook is queued or being retried. */
  async webhooksIdle(): Promise<void> {
    await this.call('POST', '/webhooks/idle', {});
  }

  // --- switches --------------------------------------------------------------------------------

  setSwitch(input: SwitchInput): Promise<Switch> {
    return this.call('POST', '/switches', input);
  }

  async switches(): Promise<Switch[]> {
    return (await this.call<{ switches: Switch[] }>('GET', '/switches')).switches;
  }

  async removeSwitch(id: string): Promise<void> {
    await this.call('DELETE', `/switches/${encodeURIComponent(id)}`);
  }

  async clearSwitches(): Promise<void> {
    await this.call('DELETE', '/switches');
  }

  /** Revokes every token issued so far (the next 10nPay call answers 401). */
  async revokeTokens(): Promise<number> {
    return (await this.call<{ revoked: number }>('POST', '/tokens/revoke', {})).revoked;
  }

  async reset(): Promise<void> {
    await this.call('POST', '/reset', {});
  }

  // --- simulated humans ------------------------------------------------------------------------

  /**
   * Opens a Borica page (identification or signing, the videoIdentificationUrl) and presses its
   * success or fail button, as the user's browser would; returns the redirect's Location (the
   * tenant's Success/Fail URL with bTrustAppCallBackId).
   */
  async pressBorica(pageUrl: string, outcome: 'success' | 'fail'): Promise<string> {
    const page = await request(pageUrl);
    const html = await page.body.text();
    if (page.statusCode !== 200) throw new SandboxControlError(`Borica page answered ${page.statusCode}`, page.statusCode);
    const action = formsOf(html).get(outcome);
    if (!action) throw new SandboxControlError(`no ${outcome} button on the Borica page`, 500);
    const res = await request(new URL(action, pageUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `outcome=${outcome}`,
    });
    await res.body.dump();
    const location = res.headers.location;
    if (res.statusCode !== 302 || typeof location !== 'string') {
      throw new SandboxControlError(`Borica ${outcome} answered ${res.statusCode}`, res.statusCode);
    }
    return location;
  }

  /**
   * Presses approve or reject on P100's hosted KYC page. `page` is the page's HTML, or a URL
   * that leads to it (P100's own URL with `headers: {'x-api-key': …}`, or the service's signed
   * partner-kyc link; redirects are followed). Returns the page answer's status.
   */
  async pressPartnerKyc(
    page: string,
    decision: 'approve' | 'reject',
    opts: { headers?: Record<string, string> } = {},
  ): Promise<{ status: number; text: string }> {
    let html = page;
    let pageUrl: string | undefined;
    if (!page.trimStart().startsWith('<')) {
      let url = page;
      for (let hop = 0; ; hop++) {
        const res = await request(url, { headers: opts.headers });
        const location = res.headers.location;
        if (res.statusCode >= 300 && res.statusCode < 400 && typeof location === 'string' && hop < 5) {
          await res.body.dump();
          url = new URL(location, url).toString();
          continue;
        }
        html = await res.body.text();
        if (res.statusCode !== 200) throw new SandboxControlError(`KYC page answered ${res.statusCode}: ${html}`, res.statusCode);
        pageUrl = url;
        break;
      }
    }
    const action = formsOf(html).get(decision);
    if (!action) throw new SandboxControlError(`no ${decision} button on the KYC page`, 500);
    const res = await request(pageUrl ? new URL(action, pageUrl) : action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `outcome=${decision}`,
    });
    return { status: res.statusCode, text: await res.body.text() };
  }

  /** The same decision without the page: approves or rejects the user's latest verification. */
  decidePartnerKyc(externalUserId: string, decision: 'approve' | 'reject', verificationId?: string): Promise<{ verificationId: string | null }> {
    return this.call('POST', `/partner/kyc/${encodeURIComponent(externalUserId)}`, { decision, verificationId });
  }

  /** P100's review of a proof of address, with its webhook. */
  decidePoa(externalUserId: string, status: 'WAITING' | 'QUESTIONED' | 'APPROVED' | 'REJECTED'): Promise<{ status: string }> {
    return this.call('POST', `/partner/poa/${encodeURIComponent(externalUserId)}`, { status });
  }
}
