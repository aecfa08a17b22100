// The reference frontend's controller: finds the onboarding this browser holds (localStorage),
// relays Borica's redirect when the page is /app/borica/success or /app/borica/fail, then follows
// the onboarding (its stream where the service has one, else gentle polling) and shows the screen
// of its nextAction. Reopening the page resumes where the person was.
import type { OnboardingView } from '../../src/domain/onboarding';
import { api, ApiError, NetworkError, openStream, type Session } from './api';
import { h } from './dom';
import {
  codeScreen,
  endScreen,
  kycScreen,
  messageScreen,
  openUrlScreen,
  restartScreen,
  startScreen,
  uploadScreen,
  waitScreen,
  type ScreenContext,
} from './screens';
import { dropStartKey, forgetSession, loadSession, saveSession, startKey } from './storage';

const APP_PATH = '/app/';
const root = document.getElementById('app') as HTMLElement;

/** Poll intervals: quick while the service works, slower while the person acts or after a while. */
const POLL_BUSY_MS = 2_000;
const POLL_USER_MS = 8_000;
const POLL_SLOW_MS = 15_000;
const SLOW_AFTER_MS = 3 * 60_000;

class Follower {
  private shownKey = '';
  private screen: { update(view: OnboardingView): void } | undefined;
  private timer: number | undefined;
  private stopped = false;
  private sameSince = Date.now();
  private stream: AbortController | undefined;
  /** A stream is open and carries the views: no polling meanwhile. */
  private streaming = false;
  private lastEventId: string | undefined;
  private streamFailures = 0;

  constructor(private readonly session: Session) {}

  start(): void {
    document.addEventListener('visibilitychange', this.onVisibility);
    void this.followStream();
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.timer);
    this.stream?.abort();
    document.removeEventListener('visibilitychange', this.onVisibility);
  }

  /** Reads the view now (after the person acted), whatever the schedule. */
  refresh = (): void => {
    if (this.stopped) return;
    window.clearTimeout(this.timer);
    void this.poll();
  };

  private onVisibility = (): void => {
    if (document.visibilityState === 'visible') this.refresh();
  };

  /** The stream (GET …/stream, server-sent events) where it exists; polling where it does not. */
  private async followStream(): Promise<void> {
    this.stream = new AbortController();
    let reader: ReadableStreamDefaultReader<Uint8Array> | null;
    try {
      reader = await openStream(this.session, this.lastEventId, this.stream.signal);
    } catch (err) {
      if (err instanceof ApiError) return this.lost(err);
      reader = null;
    }
    if (!reader) return void this.poll();
    this.streaming = true;
    await this.poll(false); // the stream's first event may take a moment: show the screen at once
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || this.stopped) break;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
          this.onEvent(block);
        }
      }
    } catch {
      /* the connection dropped: resume below */
    }
    this.streaming = false;
    if (this.stopped) return;
    this.streamFailures++;
    if (this.streamFailures > 3) return void this.poll();
    this.timer = window.setTimeout(() => void this.followStream(), 2_000 * this.streamFailures);
  }

  private onEvent(block: string): void {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      else if (line.startsWith('id:')) this.lastEventId = line.slice(3).trim();
    }
    if (event !== 'onboarding' || data.length === 0) return;
    try {
      this.streamFailures = 0;
      this.show(JSON.parse(data.join('\n')) as OnboardingView);
    } catch {
      /* a malformed event: the next one will do */
    }
  }

  private async poll(schedule = true): Promise<void> {
    let view: OnboardingView | undefined;
    try {
      view = await api.view(this.session);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403 || err.status === 404)) return this.lost(err);
      if (err instanceof NetworkError || err instanceof ApiError) {
        if (!this.shownKey) messageScreen(root, 'Connecting…', 'The service cannot be reached right now. This page tries again by itself.');
      }
    }
    if (view) this.show(view);
    if (!schedule || this.stopped || (view && view.nextAction.type === 'NONE')) return;
    if (this.streaming) return; // the stream carries on
    this.timer = window.setTimeout(() => void this.poll(), this.interval(view));
  }

  private interval(view: OnboardingView | undefined): number {
    if (document.visibilityState === 'hidden') return POLL_SLOW_MS;
    const slow = Date.now() - this.sameSince > SLOW_AFTER_MS;
    const type = view?.nextAction.type;
    const busy = type === 'WAIT' || (type === 'OPEN_URL' && view?.nextAction.purpose === 'PARTNER_KYC');
    if (busy) return slow ? POLL_USER_MS : POLL_BUSY_MS;
    return slow ? POLL_SLOW_MS : POLL_USER_MS;
  }

  private lost(err: ApiError): void {
    this.stop();
    forgetSession();
    showStart(err.status === 404 ? 'We could not find your application. You can start a new one.' : 'Your application can no longer be opened from this browser. You can start a new one.');
  }

  /** Shows the screen of the view's nextAction; the same step again only refreshes its details. */
  private show(view: OnboardingView): void {
    const a = view.nextAction;
    const key = [view.stage, a.type, 'purpose' in a ? a.purpose : '', a.type === 'SUBMIT_KYC_DATA' ? (a.message ?? '') : '', a.type === 'OPEN_URL' ? new URL(a.url, location.href).pathname : ''].join('|');
    if (key === this.shownKey) {
      this.screen?.update(view);
      return;
    }
    this.shownKey = key;
    this.sameSince = Date.now();
    this.screen = undefined;
    const ctx: ScreenContext = { root, session: this.session, view, refresh: this.refresh, startOver };
    switch (a.type) {
      case 'CONFIRM_EMAIL':
        this.screen = codeScreen(ctx, 'email');
        break;
      case 'ENTER_SMS_CODE':
        this.screen = codeScreen(ctx, 'sms');
        break;
      case 'SUBMIT_KYC_DATA':
        kycScreen(ctx);
        break;
      case 'OPEN_URL':
        this.screen = openUrlScreen(ctx, a.url, a.purpose);
        break;
      case 'UPLOAD_FILES':
        uploadScreen(ctx, a.purpose);
        break;
      case 'RESTART_IDENTIFICATION':
        restartScreen(ctx);
        break;
      case 'NONE':
        endScreen(ctx);
        break;
      default:
        waitScreen(ctx);
    }
  }
}

let follower: Follower | undefined;

function follow(session: Session): void {
  follower?.stop();
  follower = new Follower(session);
  follower.start();
}

function showStart(message?: string): void {
  startScreen(
    root,
    message,
    (session) => {
      saveSession(session);
      dropStartKey();
      follow(session);
    },
    startKey,
  );
}

function startOver(): void {
  follower?.stop();
  follower = undefined;
  forgetSession();
  showStart();
}

/** /app/borica/{success|fail}: relay the redirect's query to the onboarding this browser holds, then go on. */
async function relayBorica(outcome: 'success' | 'fail', session: Session | undefined): Promise<void> {
  if (!session) {
    messageScreen(root, 'We could not find your application', 'Open this page in the browser where you started your application, or start a new one.', {
      label: 'Start a new application',
      run: () => {
        history.replaceState(null, '', APP_PATH);
        showStart();
      },
    });
    return;
  }
  messageScreen(root, outcome === 'success' ? 'Welcome back' : 'Returning from B-Trust', 'One moment while we check where you are…');
  const query = Object.fromEntries(new URLSearchParams(location.search));
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await api.redirect(session, outcome, query);
      break;
    } catch (err) {
      // Refused (the onboarding moved on, or ended): the redirect is only a hint; the view tells the truth.
      if (err instanceof ApiError && err.status < 500 && err.status !== 429) break;
      await new Promise((r) => setTimeout(r, 1000 * (attempt + 1)));
    }
  }
  history.replaceState(null, '', APP_PATH); // the query must not be relayed again on a reload
  follow(session);
}

function footer(): void {
  const foot = document.getElementById('foot');
  if (!foot) return;
  foot.replaceChildren(
    h('button', {
      type: 'button',
      class: 'link',
      onclick: () => {
        if (window.confirm('Forget this application in this browser and start again?')) startOver();
      },
    }, 'Start over'),
  );
}

function main(): void {
  footer();
  const session = loadSession();
  const borica = /^\/app\/borica\/(success|fail)\/?$/.exec(location.pathname);
  if (borica) {
    void relayBorica(borica[1] as 'success' | 'fail', session);
    return;
  }
  if (session) follow(session);
  else showStart();
}

main();
