// The frontend of the fault tests: test/e2e/journey.ts's Journey (one user through the HTTP API
// alone), made to behave like a real frontend during outages: a refused connection (the API is
// restarting) or a 503 (Temporal or the worker cannot answer) is retried after a short wait; any
// other 5xx is recorded as a violation (no client, mistaken or not, may ever get a 500) and the
// call is retried too, so one run reports every problem instead of stopping at the first.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { type OnboardingView, workflowIdFor } from '../../src/domain/onboarding';
import type { SandboxControl, UserCounters } from '../../src/sandbox/control-client';
import { type Answer, Journey, type JourneyOptions, type Person, call, newPerson } from '../e2e/journey';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `pred` until it holds; past the deadline, fails naming `what` and the processes' last lines (`tail`). */
export async function waitUntil(what: string, pred: () => boolean | Promise<boolean>, tail: () => string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${tail()}`);
    await sleep(100);
  }
}

export const END_STAGES = ['COMPLETED', 'FAILED', 'CANCELLED', 'ABANDONED'];
/** One step may wait this long: a SIGKILLed worker's tasks come back after their timeouts. */
export const FAULT_STEP_TIMEOUT_MS = 90_000;

/** What every client of a run saw: violations and the outage answers it retried. */
export class Observations {
  readonly violations: string[] = [];
  readonly retried = { unavailable503: 0, connection: 0, degradedViews: 0 };
  readonly statuses = new Map<number, number>();

  violation(message: string): void {
    this.violations.push(message);
  }

  count(status: number): void {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
  }
}

/**
 * An HTTP call that rides out outages: connection errors and 503 are retried (503 must carry
 * Retry-After); other 5xx are violations and retried; any other answer is returned.
 */
export async function resilientCall(
  obs: Observations,
  base: string,
  method: string,
  pathname: string,
  opts: Parameters<typeof call>[3] = {},
  { timeoutMs = FAULT_STEP_TIMEOUT_MS }: { timeoutMs?: number } = {},
): Promise<Answer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let res: Answer | undefined;
    try {
      res = await call(base, method, pathname, opts);
    } catch (err) {
      // fetch failed: refused, reset, or the API closed the socket as it stopped.
      obs.retried.connection++;
      if (Date.now() > deadline) throw new Error(`${method} ${pathname}: no answer within ${timeoutMs} ms (${(err as Error).message})`);
      await sleep(300);
      continue;
    }
    obs.count(res.status);
    if (res.status < 500) return res;
    if (res.status === 503) {
      obs.retried.unavailable503++;
      const retryAfter = res.headers.get('retry-after');
      if (!retryAfter || !/^\d+$/.test(retryAfter)) obs.violation(`${method} ${pathname}: 503 without a Retry-After`);
      // A frontend honours Retry-After; the test waits at most a second to keep the run short.
      await sleep(Math.min(1000, Number(retryAfter ?? 1) * 1000));
    } else {
      obs.violation(`${method} ${pathname}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
      await sleep(500);
    }
    if (Date.now() > deadline) throw new Error(`${method} ${pathname}: still ${res.status} after ${timeoutMs} ms`);
  }
}

/** The Journey of test/e2e, with the resilient calls and longer step timeouts. */
/** A view answered without the workflow (the stage from Temporal alone), marked by view(). */
const isDegraded = (v: OnboardingView): boolean => (v as { degraded?: boolean }).degraded === true;

export class FaultJourney extends Journey {
  /** KYC attempts at P100 made by this user (method B: verifications opened). */
  kycAttempts = 0;
  readonly idempotencyKey = `faults-${randomUUID()}`;

  constructor(
    apiUrl: string,
    control: SandboxControl,
    readonly obs: Observations,
    options: JourneyOptions & { externalRef?: string } = {},
    person: Person = newPerson(),
  ) {
    super(apiUrl, control, person, options);
  }

  request(method: string, suffix: string, opts: Parameters<typeof call>[3] = {}): Promise<Answer> {
    return resilientCall(this.obs, this.apiUrl, method, `/onboardings/${this.onboardingId}${suffix}`, { token: this.accessToken, ...opts });
  }

  startBody(): Record<string, unknown> {
    const o = this.options as JourneyOptions & { externalRef?: string };
    return {
      email: this.person.email,
      phoneNumber: this.person.phoneNumber,
      userType: 'INDIVIDUAL',
      ...((o.kycAtStart ?? true) ? { profile: this.person.record } : {}),
      ...(o.externalRef ? { externalRef: o.externalRef } : {}),
    };
  }

  /** POST /onboardings with a stable Idempotency-Key: a retry after a lost answer gets 200 and the same onboarding. */
  override async start(): Promise<Answer> {
    const res = await resilientCall(this.obs, this.apiUrl, 'POST', '/onboardings', {
      body: this.startBody(),
      headers: { 'idempotency-key': this.idempotencyKey },
    });
    if (res.status !== 201 && res.status !== 200) throw new Error(`POST /onboardings answered ${res.status}: ${JSON.stringify(res.body)}`);
    this.onboardingId = res.body.onboardingId;
    this.accessToken = res.body.accessToken;
    return res;
  }

  /** GET /onboardings/{id}; a degraded view (worker down) is returned as it is, marked `degraded`. */
  override async view(): Promise<OnboardingView> {
    const res = await this.request('GET', '');
    if (res.status !== 200) throw new Error(`GET /onboardings/${this.onboardingId} answered ${res.status}: ${JSON.stringify(res.body)}`);
    if (res.body.degraded === true || res.headers.get('x-onboarding-view') === 'degraded') {
      this.obs.retried.degradedViews++;
      if (typeof res.body.stage !== 'string' || !res.body.nextAction) this.obs.violation(`degraded view without stage/nextAction: ${JSON.stringify(res.body)}`);
    }
    this.lastView = res.body as OnboardingView;
    await this.answerProofOfAddress(this.lastView);
    return this.lastView;
  }

  /** The full view (not a degraded one), waiting for the worker to answer. */
  async fullView(): Promise<OnboardingView> {
    const deadline = Date.now() + FAULT_STEP_TIMEOUT_MS;
    for (;;) {
      const v = await this.view();
      if (!isDegraded(v)) return v;
      if (Date.now() > deadline) throw new Error(`only degraded views of ${this.onboardingId} for ${FAULT_STEP_TIMEOUT_MS} ms`);
      await sleep(300);
    }
  }

  override waitFor(what: string, ok: (v: OnboardingView) => boolean, timeoutMs = FAULT_STEP_TIMEOUT_MS): Promise<OnboardingView> {
    // A degraded view only knows the stage; actions are read from full views.
    return super.waitFor(what, (v) => !isDegraded(v) && ok(v), timeoutMs);
  }

  /**
   * Waits until a full view shows the end; returns it. A degraded view (the stage from Temporal
   * alone) or the workflow's own answer while the record was down may show the end before the
   * record has caught up with it: the record's view is the one waited for.
   */
  override async waitForEnd(timeoutMs = FAULT_STEP_TIMEOUT_MS): Promise<OnboardingView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await this.view();
      if (END_STAGES.includes(v.stage) && !isDegraded(v)) return v;
      if (Date.now() > deadline) throw new Error(`onboarding ${this.onboardingId} did not end within ${timeoutMs} ms; last view: ${JSON.stringify(v)}`);
      await sleep(300);
    }
  }

  async postCode(kind: 'email' | 'sms', code: string): Promise<Answer> {
    return this.request('POST', kind === 'email' ? '/email-confirmation' : '/sms-code', { body: { code } });
  }

  private async submit(kind: 'email' | 'sms', code: string): Promise<void> {
    const times = this.options.retryCodes ? 2 : 1;
    for (let i = 0; i < times; i++) {
      const res = await this.postCode(kind, code);
      if (res.status !== 200 || res.body.accepted !== true) throw new Error(`${kind} code (try ${i + 1}) answered ${res.status}: ${JSON.stringify(res.body)}`);
    }
  }

  override async confirmEmail(): Promise<void> {
    await this.waitForAction('CONFIRM_EMAIL');
    const code = await this.control.latestEmailCode(this.person.email, { waitMs: FAULT_STEP_TIMEOUT_MS });
    this.codes.email.push(code);
    await this.submit('email', code);
  }

  override async enterSmsCode(): Promise<void> {
    await this.waitForAction('ENTER_SMS_CODE');
    const code = await this.control.latestSmsCode(this.person.phoneNumber, { waitMs: FAULT_STEP_TIMEOUT_MS });
    this.codes.sms.push(code);
    await this.submit('sms', code);
  }

  override async relay(purpose: string, outcome: 'success' | 'fail', query: Record<string, string>): Promise<void> {
    const res = await this.request('POST', '/redirects', { body: { outcome, query } });
    if (res.status !== 202) throw new Error(`POST redirects answered ${res.status}: ${JSON.stringify(res.body)}`);
    this.relayed.push({ purpose, outcome, query });
  }

  /** P100 method B through the signed link; the link is retried while the API or worker is away. */
  override async partnerKycB(): Promise<void> {
    const deadline = Date.now() + FAULT_STEP_TIMEOUT_MS;
    for (;;) {
      const v = await this.waitForAction('OPEN_URL', 'PARTNER_KYC');
      const url = (v.nextAction as { url: string }).url;
      let page: Response | undefined;
      try {
        page = await fetch(url, { redirect: 'manual' });
      } catch {
        this.obs.retried.connection++;
      }
      if (page) {
        const html = await page.text();
        this.obs.count(page.status);
        if (page.status === 200) {
          this.kycAttempts++;
          const pressed = await this.control.pressPartnerKyc(html, 'approve');
          if (pressed.status !== 200) throw new Error(`approving on the partner page answered ${pressed.status}: ${pressed.text}`);
          return;
        }
        if (page.status === 503) this.obs.retried.unavailable503++;
        // 410: the view moved on (a new verification) between our GET and the link; read it again.
        else if (page.status !== 410) this.obs.violation(`partner-kyc link answered ${page.status}: ${html.slice(0, 200)}`);
      }
      if (Date.now() > deadline) throw new Error(`the partner KYC link never opened for ${this.onboardingId}`);
      await sleep(500);
    }
  }

  /** The whole journey; returns the end view (whatever end it is). */
  async runToEnd(): Promise<OnboardingView> {
    await this.start();
    await this.confirmEmail();
    await this.enterSmsCode();
    if (!(this.options.kycAtStart ?? true)) await this.submitKycData();
    await this.identifyAndSign();
    await this.partnerKycB();
    return this.waitForEnd();
  }

  /** kyc-data through the resilient client. */
  override async submitKycData(): Promise<void> {
    await this.waitForAction('SUBMIT_KYC_DATA');
    const res = await this.request('POST', '/kyc-data', { body: this.person.record });
    if (res.status !== 200) throw new Error(`POST kyc-data answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
}

// ------------------------------------------------------------------ the checks of every scenario

export interface Expected {
  stage: 'COMPLETED' | 'FAILED';
  reason?: string;
}

export interface Outcome {
  journey: FaultJourney;
  expected: Expected;
  view?: OnboardingView;
  error?: string;
}

/** Runs `fn` for the journey and records its end (or the error that stopped the client). */
export async function drive(journey: FaultJourney, expected: Expected, fn: (j: FaultJourney) => Promise<unknown> = (j) => j.runToEnd()): Promise<Outcome> {
  try {
    await fn(journey);
    const view = await journey.waitForEnd();
    return { journey, expected, view };
  } catch (err) {
    // The client gave up; the onboarding may still have ended: look once more.
    let view: OnboardingView | undefined;
    if (journey.onboardingId) {
      try {
        const v = await journey.view();
        if (END_STAGES.includes(v.stage)) view = await journey.fullView();
        else view = v;
      } catch {
        /* keep the error */
      }
    }
    return { journey, expected, ...(view ? { view } : {}), error: err instanceof Error ? err.message || (err.stack ?? err.name) : String(err) };
  }
}

export interface Report {
  completed: number;
  failed: Record<string, number>;
  stuck: string[];
  wrongEnd: string[];
  exactlyOnceViolations: string[];
  apiViolations: string[];
  counters: UserCounters[];
}

/**
 * The checks of every scenario: the right end for each onboarding (none stuck), the provider
 * effects exactly once (per the sandbox's counters), no 5xx but 503-with-Retry-After.
 */
/**
 * Attempts of `activityType` in an onboarding's history that may have acted at the provider without
 * being the one the workflow used: an attempt whose worker died after the provider acted but before
 * Temporal heard back runs again (attempt − 1 of a completed activity), and an activity that ended
 * without completing (its schedule-to-close passed while the worker was dead; the workflow then
 * schedules the step anew) may have acted on each of its attempts.
 */
export type ExtraAttempts = (onboardingId: string, activityType: string) => Promise<number>;

/** The activity type in a local activity's marker (Core's own JSON, not encoded by the codec). */
function localActivityTypeOf(marker: { details?: { [k: string]: { payloads?: { data?: Uint8Array | null }[] | null } } | null }): string | undefined {
  const data = marker.details?.['data']?.payloads?.[0]?.data;
  if (!data) return undefined;
  try {
    return (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string }).activity_type;
  } catch {
    return undefined;
  }
}

/** ExtraAttempts read from the workflow histories through `client`. */
export function extraAttemptsFrom(client: () => Promise<Client>): ExtraAttempts {
  return async (onboardingId, activityType) => {
    const history = await (await client()).workflow.getHandle(workflowIdFor(onboardingId)).fetchHistory();
    const ofType = new Set<string>();
    const attempts = new Map<string, number>();
    const completed = new Set<string>();
    for (const e of history.events ?? []) {
      const s = e.activityTaskScheduledEventAttributes;
      if (s && s.activityType?.name === activityType) ofType.add(String(e.eventId));
      const started = e.activityTaskStartedEventAttributes;
      if (started && ofType.has(String(started.scheduledEventId))) attempts.set(String(started.scheduledEventId), started.attempt ?? 1);
      const done = e.activityTaskCompletedEventAttributes;
      if (done && ofType.has(String(done.scheduledEventId))) completed.add(String(done.scheduledEventId));
    }
    let extra = 0;
    for (const [scheduledId, attempt] of attempts) extra += completed.has(scheduledId) ? attempt - 1 : attempt;
    // A first attempt made inside the workflow task (a local activity, patch lean-history): a failed
    // one may have taken effect before the activity's retries; one lost with its workflow task (a
    // worker killed, the task timed out or failed) leaves no marker, so each such task counts too.
    for (const e of history.events ?? []) {
      const marker = e.markerRecordedEventAttributes;
      if (marker?.markerName === 'core_local_activity' && marker.failure && localActivityTypeOf(marker) === activityType) extra++;
      if (e.workflowTaskTimedOutEventAttributes || e.workflowTaskFailedEventAttributes) extra++;
    }
    return extra;
  };
}

/**
 * Create KYC Verification is the one P100 call that is not idempotent and has no look-up (README,
 * "Limits"): an attempt lost with a killed worker may have created a verification, so each retried
 * attempt of that activity may add one. Every other effect must happen exactly once.
 */
const NOT_IDEMPOTENT_ACTIVITY = 'createKycVerification';

export async function check(control: SandboxControl, outcomes: Outcome[], obs: Observations, extraAttempts?: ExtraAttempts): Promise<Report> {
  await control.webhooksIdle();
  const report: Report = { completed: 0, failed: {}, stuck: [], wrongEnd: [], exactlyOnceViolations: [], apiViolations: [...obs.violations], counters: [] };
  for (const o of outcomes) {
    const id = o.journey.onboardingId || `(not started: ${o.journey.person.email})`;
    const v = o.view;
    if (!v || !END_STAGES.includes(v.stage)) {
      report.stuck.push(`${id}: at ${v?.stage ?? '?'}${o.error !== undefined ? ` (${JSON.stringify(o.error.slice(0, 400))})` : ''}`);
      continue;
    }
    if (v.stage === 'COMPLETED') report.completed++;
    else report.failed[`${v.stage}:${v.reason ?? ''}`] = (report.failed[`${v.stage}:${v.reason ?? ''}`] ?? 0) + 1;
    if (v.stage !== o.expected.stage || (o.expected.reason !== undefined && v.reason !== o.expected.reason)) {
      report.wrongEnd.push(`${id}: ended ${v.stage} (${v.reason ?? ''}), expected ${o.expected.stage}${o.expected.reason ? ` (${o.expected.reason})` : ''}${o.error ? `; client: ${o.error.slice(0, 300)}` : ''}`);
    }
    const c = await control.counters({ email: o.journey.person.email, externalUserId: o.journey.onboardingId });
    report.counters.push(c);
    const want =
      v.stage === 'COMPLETED'
        ? { usersCreated: 1, finalizeSuccesses: 1, partnerAccounts: 1, kycVerificationsCreated: o.journey.kycAttempts, userVerificationsAccepted: 1 }
        : { usersCreated: 1, finalizeSuccesses: 0, partnerAccounts: 0, kycVerificationsCreated: 0, userVerificationsAccepted: 0 };
    const got = {
      usersCreated: c.usersCreated,
      finalizeSuccesses: c.finalizeSuccesses,
      partnerAccounts: c.partnerAccounts,
      kycVerificationsCreated: c.kycVerificationsCreated,
      userVerificationsAccepted: c.userVerificationsAccepted,
    };
    const maybeRepeated = v.stage === 'COMPLETED' && extraAttempts ? await extraAttempts(o.journey.onboardingId, NOT_IDEMPOTENT_ACTIVITY) : 0;
    for (const [k, n] of Object.entries(want)) {
      const count = got[k as keyof typeof got];
      const ok = k === 'kycVerificationsCreated' ? count >= n && count <= n + maybeRepeated : count === n;
      if (!ok) report.exactlyOnceViolations.push(`${id}: ${k} = ${count}, expected ${n}${k === 'kycVerificationsCreated' && maybeRepeated ? ` (+ at most ${maybeRepeated} from retried attempts)` : ''}`);
    }
    if (v.stage === 'COMPLETED' && (v.ids.userId !== c.userId || typeof v.ids.individualId !== 'number')) {
      report.exactlyOnceViolations.push(`${id}: ids ${JSON.stringify(v.ids)} do not match the sandbox's user ${c.userId}`);
    }
  }
  return report;
}

/** One line per finding; empty when the scenario passed every check. */
export function problemsOf(report: Report): string[] {
  return [
    ...report.stuck.map((s) => `stuck: ${s}`),
    ...report.wrongEnd.map((s) => `wrong end: ${s}`),
    ...report.exactlyOnceViolations.map((s) => `exactly-once: ${s}`),
    ...report.apiViolations.map((s) => `api: ${s}`),
  ];
}

export function summary(report: Report): string {
  const failed = Object.entries(report.failed)
    .map(([k, n]) => `${k}×${n}`)
    .join(', ');
  return `completed ${report.completed}, failed ${failed || 'none'}, stuck ${report.stuck.length}`;
}
