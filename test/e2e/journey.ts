// One user's journey through the service's HTTP API alone, as a frontend (and the user's browser)
// would walk it: start, e-mail code, SMS code, KYC data, Borica identification and signing (the
// buttons pressed by HTTP, the redirects relayed by the "frontend"), then P100's KYC (method B:
// the signed link opened through the API and approved; method A: files uploaded) until COMPLETED.
// The sandbox is used only where a human would act: reading the inbox, pressing buttons.
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { KycRecordInput } from '../../src/domain/kyc-record';
import type { OnboardingView } from '../../src/domain/onboarding';
import type { SandboxControl } from '../../src/sandbox/control-client';
import { testKycRecord } from '../support/fixtures';
import { call, type Answer } from '../support/http';

export { call, type Answer };

/** Poll GET every STEP_POLL_MS, for at most STEP_TIMEOUT_MS per step: generous for a loaded 2-core machine. */
export const STEP_POLL_MS = 200;
export const STEP_TIMEOUT_MS = 60_000;


/** A fictitious person whose every personal value is unique, so it can be searched for in raw data. */
export interface Person {
  email: string;
  phoneNumber: string;
  record: KycRecordInput;
}

const letters = (n: number) => Array.from({ length: n }, () => String.fromCharCode(97 + randomInt(0, 26))).join('');
const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function newPerson(): Person {
  const tag = randomBytes(4).toString('hex');
  const base = testKycRecord(`E2E${String(randomInt(10_000_000, 99_999_999))}`);
  return {
    email: `e2e-${tag}@example.test`,
    phoneNumber: `+35987${String(randomInt(1_000_000, 9_999_999))}`,
    record: {
      ...base,
      person: {
        ...base.person,
        firstName: `Testa${capital(letters(8))}`,
        lastName: `Fictiva${capital(letters(8))}`,
        personalNumber: String(randomInt(1_000_000_000, 9_999_999_999)),
      },
    },
  };
}

export interface JourneyOptions {
  /** Send the KYC record as `profile` at start (default) or later with POST kyc-data. */
  kycAtStart?: boolean;
  /** P100's KYC method the onboarding was started with. */
  method?: 'A' | 'B';
  /** Send every code twice (the frontend retried; its first answer was "lost"). */
  retryCodes?: boolean;
  /** Relay each Borica redirect twice, and the first one again while the user signs. */
  duplicateRedirects?: boolean;
}

/** A tiny valid PNG (1×1) and PDF, enough for the file sniffing and the partner's checks. */
export const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
export const TINY_PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n', 'latin1');

export class Journey {
  onboardingId = '';
  accessToken = '';
  readonly codes: { email: string[]; sms: string[] } = { email: [], sms: [] };
  /** Every redirect relayed, in order, as {phase, outcome, query}. */
  readonly relayed: Array<{ purpose: string; outcome: 'success' | 'fail'; query: Record<string, string> }> = [];
  lastView: OnboardingView | undefined;

  constructor(
    readonly apiUrl: string,
    readonly control: SandboxControl,
    readonly person: Person = newPerson(),
    readonly options: JourneyOptions = {},
  ) {}

  private path(suffix = ''): string {
    return `/onboardings/${this.onboardingId}${suffix}`;
  }

  async start(): Promise<Answer> {
    const kycAtStart = this.options.kycAtStart ?? true;
    const res = await call(this.apiUrl, 'POST', '/onboardings', {
      body: {
        email: this.person.email,
        phoneNumber: this.person.phoneNumber,
        userType: 'INDIVIDUAL',
        ...(kycAtStart ? { profile: this.person.record } : {}),
      },
      headers: { 'idempotency-key': `e2e-${randomUUID()}` },
    });
    if (res.status !== 201) throw new Error(`POST /onboardings answered ${res.status}: ${JSON.stringify(res.body)}`);
    this.onboardingId = res.body.onboardingId;
    this.accessToken = res.body.accessToken;
    return res;
  }

  async view(): Promise<OnboardingView> {
    const res = await call(this.apiUrl, 'GET', this.path(), { token: this.accessToken });
    if (res.status !== 200) throw new Error(`GET ${this.path()} answered ${res.status}: ${JSON.stringify(res.body)}`);
    this.lastView = res.body as OnboardingView;
    await this.answerProofOfAddress(this.lastView);
    return this.lastView;
  }

  /**
   * Whenever the user sees a request for a proof of address, they upload one: P100 asked for it
   * when the account was created, or the onboarding asks because that answer was lost. A repeat
   * the onboarding no longer waits for is refused (409), which is fine.
   */
  protected async answerProofOfAddress(v: OnboardingView): Promise<void> {
    const action = v.nextAction as { type: string; purpose?: string };
    if (action.type !== 'UPLOAD_FILES' || action.purpose !== 'PROOF_OF_ADDRESS') return;
    const form = new FormData();
    form.set('purpose', 'PROOF_OF_ADDRESS');
    form.append('files', new Blob([TINY_PDF], { type: 'application/pdf' }), 'utility-bill.pdf');
    const res = await call(this.apiUrl, 'POST', this.path('/files'), { token: this.accessToken, body: form });
    if (res.status !== 200 && res.status !== 409) throw new Error(`POST files (proof of address) answered ${res.status}: ${JSON.stringify(res.body)}`);
  }

  /** Polls GET /onboardings/{id} until `ok`; fails at once when the onboarding ends some other way. */
  async waitFor(what: string, ok: (v: OnboardingView) => boolean, timeoutMs = STEP_TIMEOUT_MS): Promise<OnboardingView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await this.view();
      if (ok(v)) return v;
      if (['COMPLETED', 'FAILED', 'CANCELLED', 'ABANDONED'].includes(v.stage)) {
        throw new Error(`onboarding ${this.onboardingId} ended ${v.stage} (${v.reason ?? ''}) while waiting for ${what}: ${JSON.stringify(v)}`);
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last view: ${JSON.stringify(v)}`);
      await new Promise((r) => setTimeout(r, STEP_POLL_MS));
    }
  }

  waitForAction(type: string, purpose?: string): Promise<OnboardingView> {
    return this.waitFor(`nextAction ${type}${purpose ? ` ${purpose}` : ''}`, (v) => {
      const a = v.nextAction as { type: string; purpose?: string };
      return a.type === type && (purpose === undefined || a.purpose === purpose);
    });
  }

  waitForStage(stage: string): Promise<OnboardingView> {
    return this.waitFor(`stage ${stage}`, (v) => v.stage === stage);
  }

  /** Waits for the onboarding to end (any end stage) and returns its last view. */
  async waitForEnd(): Promise<OnboardingView> {
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    for (;;) {
      const v = await this.view();
      if (['COMPLETED', 'FAILED', 'CANCELLED', 'ABANDONED'].includes(v.stage)) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for the end; last view: ${JSON.stringify(v)}`);
      await new Promise((r) => setTimeout(r, STEP_POLL_MS));
    }
  }

  private async submitCode(kind: 'email' | 'sms', code: string): Promise<void> {
    const route = kind === 'email' ? '/email-confirmation' : '/sms-code';
    const times = this.options.retryCodes ? 2 : 1;
    for (let i = 0; i < times; i++) {
      const res = await call(this.apiUrl, 'POST', this.path(route), { token: this.accessToken, body: { code } });
      if (res.status !== 200 || res.body.accepted !== true) {
        throw new Error(`POST ${route} (try ${i + 1}) answered ${res.status}: ${JSON.stringify(res.body)}`);
      }
    }
  }

  async confirmEmail(): Promise<void> {
    await this.waitForAction('CONFIRM_EMAIL');
    const code = await this.control.latestEmailCode(this.person.email, { waitMs: STEP_TIMEOUT_MS });
    this.codes.email.push(code);
    await this.submitCode('email', code);
  }

  async enterSmsCode(): Promise<void> {
    await this.waitForAction('ENTER_SMS_CODE');
    const code = await this.control.latestSmsCode(this.person.phoneNumber, { waitMs: STEP_TIMEOUT_MS });
    this.codes.sms.push(code);
    await this.submitCode('sms', code);
  }

  async submitKycData(): Promise<void> {
    await this.waitForAction('SUBMIT_KYC_DATA');
    const res = await call(this.apiUrl, 'POST', this.path('/kyc-data'), { token: this.accessToken, body: this.person.record });
    if (res.status !== 200) throw new Error(`POST kyc-data answered ${res.status}: ${JSON.stringify(res.body)}`);
  }

  async relay(purpose: string, outcome: 'success' | 'fail', query: Record<string, string>): Promise<void> {
    const res = await call(this.apiUrl, 'POST', this.path('/redirects'), { token: this.accessToken, body: { outcome, query } });
    if (res.status !== 202) throw new Error(`POST redirects answered ${res.status}: ${JSON.stringify(res.body)}`);
    this.relayed.push({ purpose, outcome, query });
  }

  /** Opens the Borica page of `purpose`, presses its button and relays where Borica sent the browser. */
  async borica(purpose: 'IDENTIFICATION' | 'DOCUMENT_SIGNING', outcome: 'success' | 'fail' = 'success'): Promise<Record<string, string>> {
    const v = await this.waitForAction('OPEN_URL', purpose);
    const url = (v.nextAction as { url: string }).url;
    const location = new URL(await this.control.pressBorica(url, outcome));
    const query = Object.fromEntries(location.searchParams);
    const relayedOutcome = location.pathname.endsWith('/success') ? 'success' : 'fail';
    if (relayedOutcome !== outcome) throw new Error(`Borica sent the browser to ${location.pathname} after ${outcome}`);
    await this.relay(purpose, relayedOutcome, query);
    if (this.options.duplicateRedirects) await this.relay(purpose, relayedOutcome, query);
    return query;
  }

  async identifyAndSign(): Promise<void> {
    const first = await this.borica('IDENTIFICATION');
    if (this.options.duplicateRedirects) {
      // The identification's redirect comes again (a reloaded tab) while the user is to sign.
      await this.waitForAction('OPEN_URL', 'DOCUMENT_SIGNING');
      await this.relay('IDENTIFICATION', 'success', first);
    }
    await this.borica('DOCUMENT_SIGNING');
  }

  /** P100's KYC by method B: the signed link, opened through the API, approved on P100's page. */
  async partnerKycB(): Promise<void> {
    const v = await this.waitForAction('OPEN_URL', 'PARTNER_KYC');
    const url = (v.nextAction as { url: string }).url;
    if (!url.startsWith(this.apiUrl)) throw new Error(`the partner KYC link is not the API's own: ${url}`);
    const page = await fetch(url, { redirect: 'manual' });
    const html = await page.text();
    if (page.status !== 200 || !(page.headers.get('content-type') ?? '').startsWith('text/html')) {
      throw new Error(`the partner KYC link answered ${page.status}: ${html.slice(0, 300)}`);
    }
    const pressed = await this.control.pressPartnerKyc(html, 'approve');
    if (pressed.status !== 200) throw new Error(`approving on the partner page answered ${pressed.status}: ${pressed.text}`);
  }

  /** P100's KYC by method A: the ID's front and back, uploaded through the API. */
  async partnerKycA(): Promise<void> {
    await this.waitForAction('UPLOAD_FILES', 'KYC');
    const form = new FormData();
    form.set('purpose', 'KYC');
    form.append('files', new Blob([TINY_PNG], { type: 'image/png' }), 'id-front.png');
    form.append('files', new Blob([TINY_PDF], { type: 'application/pdf' }), 'id-back.pdf');
    const res = await call(this.apiUrl, 'POST', this.path('/files'), { token: this.accessToken, body: form });
    if (res.status !== 200) throw new Error(`POST files answered ${res.status}: ${JSON.stringify(res.body)}`);
  }

  /** The whole journey, from POST /onboardings to COMPLETED; returns the final view. */
  async run(): Promise<OnboardingView> {
    await this.start();
    await this.confirmEmail();
    await this.enterSmsCode();
    if (!(this.options.kycAtStart ?? true)) await this.submitKycData();
    await this.identifyAndSign();
    if ((this.options.method ?? 'B') === 'B') await this.partnerKycB();
    else await this.partnerKycA();
    return this.waitForStage('COMPLETED');
  }
}
