// Reads from the record, end to end (real worker, Temporal dev server, PostgreSQL, sandbox):
// GET /onboardings/{id} shows the effect of the caller's own code, KYC data and redirect on the
// very next read; the stream pushes the view at once and once per change, in order, resumes from
// Last-Event-ID without repeats, refuses callers without the token and frees what it held when the
// client goes; with the worker stopped, GET still answers the whole view from the record.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OnboardingView } from '../../src/domain/onboarding';
import { startTestPostgres, type TestPostgres } from '../support/postgres';
import { Journey, STEP_TIMEOUT_MS, call, newPerson } from './journey';
import { OPS_API_KEY, type Stack, startStack } from './stack';

let db: TestPostgres;
let stack: Stack;

beforeAll(async () => {
  db = await startTestPostgres();
  stack = await startStack({ databaseUrl: db.url });
});
afterAll(async () => {
  await stack?.close();
  await db?.stop();
});

interface SseEvent {
  event: string;
  id: string;
  view: OnboardingView;
}

/** An open stream: its events as they come (comment lines counted apart), and a way to close it. */
class SseClient {
  readonly events: SseEvent[] = [];
  comments = 0;
  status = 0;
  contentType = '';
  private readonly abort = new AbortController();
  private done: Promise<void> = Promise.resolve();

  static async open(url: string, token: string | undefined, lastEventId?: string): Promise<SseClient> {
    const c = new SseClient();
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
    const res = await fetch(url, { headers, signal: c.abort.signal });
    c.status = res.status;
    c.contentType = res.headers.get('content-type') ?? '';
    if (res.status !== 200 || !res.body) {
      await res.text().catch(() => undefined);
      return c;
    }
    c.done = c.read(res.body);
    return c;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith(':')) {
            this.comments++;
            continue;
          }
          const fields = Object.fromEntries(block.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trimStart()]));
          this.events.push({ event: fields.event ?? '', id: fields.id ?? '', view: JSON.parse(fields.data ?? 'null') as OnboardingView });
        }
      }
    } catch {
      // aborted by close()
    }
  }

  async waitFor(what: string, ok: (events: SseEvent[]) => boolean, timeoutMs = STEP_TIMEOUT_MS): Promise<SseEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (!ok(this.events)) {
      if (Date.now() > deadline) throw new Error(`stream: timed out waiting for ${what}; got ${JSON.stringify(this.events.map((e) => [e.id, e.view.stage, e.view.nextAction.type]))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.events;
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}

const streamUrl = (j: Journey) => `${stack.apiUrl}/onboardings/${j.onboardingId}/stream`;

/** The seqs of the views the record holds for an onboarding, oldest first. */
async function recordedSeqs(onboardingId: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const res = await client.query<{ seq: number }>('SELECT seq FROM onboarding_views WHERE onboarding_id = $1 ORDER BY seq', [onboardingId]);
    return res.rows.map((r) => r.seq);
  } finally {
    await client.end();
  }
}

async function streamsOpen(): Promise<number> {
  const res = await fetch(`${stack.apiUrl}/metrics`);
  const line = (await res.text()).split('\n').find((l) => l.startsWith('onboarding_streams_open '));
  return Number(line?.split(' ')[1] ?? NaN);
}

async function until(what: string, ok: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('reads from the record', () => {
  let journey: Journey;
  let stream: SseClient;

  it('shows the effect of a wrong code, the right codes, the KYC data and a redirect on the next read', async () => {
    journey = new Journey(stack.apiUrl, stack.control, newPerson(), { kycAtStart: false });
    await journey.start();
    await journey.waitForAction('CONFIRM_EMAIL');
    stream = await SseClient.open(streamUrl(journey), journey.accessToken);
    expect(stream.status).toBe(200);
    expect(stream.contentType).toContain('text/event-stream');

    const code = await stack.control.latestEmailCode(journey.person.email, { waitMs: STEP_TIMEOUT_MS });
    const wrong = code === '000000' ? '111111' : '000000';
    const before = await journey.view();
    const refused = await call(stack.apiUrl, 'POST', `/onboardings/${journey.onboardingId}/email-confirmation`, { token: journey.accessToken, body: { code: wrong } });
    expect(refused.status).toBe(422);
    expect((await journey.view()).attemptsLeft.emailCode).toBe(before.attemptsLeft.emailCode - 1);

    const accepted = await call(stack.apiUrl, 'POST', `/onboardings/${journey.onboardingId}/email-confirmation`, { token: journey.accessToken, body: { code } });
    expect(accepted.status).toBe(200);
    const afterEmail = await journey.view();
    expect(afterEmail.stage).not.toBe('AWAITING_EMAIL_CODE');
    expect(afterEmail.timeline.map((t) => t.step)).toContain('emailConfirmed');

    await journey.enterSmsCode();
    const afterSms = await journey.view();
    expect(afterSms.stage).toBe('AWAITING_KYC_DATA');
    expect(afterSms.nextAction.type).toBe('SUBMIT_KYC_DATA');

    const kyc = await call(stack.apiUrl, 'POST', `/onboardings/${journey.onboardingId}/kyc-data`, { token: journey.accessToken, body: journey.person.record });
    expect(kyc.status).toBe(200);
    const afterKyc = await journey.view();
    expect(afterKyc.kycDataReceived).toBe(true);
    expect(afterKyc.nextAction.type).not.toBe('SUBMIT_KYC_DATA');

    const v = await journey.waitForAction('OPEN_URL', 'IDENTIFICATION');
    const location = new URL(await stack.control.pressBorica((v.nextAction as { url: string }).url, 'success'));
    await journey.relay('IDENTIFICATION', 'success', Object.fromEntries(location.searchParams));
    const afterRedirect = await journey.view();
    expect(afterRedirect.timeline.some((t) => t.step.startsWith('redirect:success'))).toBe(true);
    expect(afterRedirect.stage).not.toBe('AWAITING_IDENTIFICATION');
  });

  it('streamed the view at once and then once per recorded change, in order', async () => {
    await journey.waitForAction('OPEN_URL', 'DOCUMENT_SIGNING');
    const seqs = await recordedSeqs(journey.onboardingId);
    const last = seqs[seqs.length - 1]!;
    const events = await stream.waitFor(`the view of seq ${last}`, (e) => e.some((x) => Number(x.id) === last));
    expect(events.every((e) => e.event === 'onboarding')).toBe(true);
    const ids = events.map((e) => Number(e.id));
    // The first event is the view the record held when the stream opened; then one per change.
    expect(ids).toEqual(seqs.filter((s) => s >= ids[0]!));
    const stages = events.map((e) => e.view.stage);
    expect(stages).toContain('AWAITING_SMS_CODE');
    expect(stages).toContain('AWAITING_KYC_DATA');
    expect(events[events.length - 1]!.view.nextAction).toMatchObject({ type: 'OPEN_URL', purpose: 'DOCUMENT_SIGNING' });
  });

  it('resumes from Last-Event-ID with what came after it, without repeats', async () => {
    const seqs = await recordedSeqs(journey.onboardingId);
    const from = seqs[Math.floor(seqs.length / 2)]!;
    const resumed = await SseClient.open(streamUrl(journey), journey.accessToken, String(from));
    try {
      const expected = seqs.filter((s) => s > from);
      const events = await resumed.waitFor('the views after Last-Event-ID', (e) => e.length >= expected.length);
      expect(events.map((e) => Number(e.id))).toEqual(expected);
    } finally {
      await resumed.close();
    }
  });

  it('refuses a stream without the onboarding’s token, and answers one with the ops key', async () => {
    const none = await SseClient.open(streamUrl(journey), undefined);
    expect(none.status).toBe(401);
    const other = new Journey(stack.apiUrl, stack.control, newPerson());
    await other.start();
    const foreign = await SseClient.open(streamUrl(journey), other.accessToken);
    expect([401, 404]).toContain(foreign.status);
    const ops = await SseClient.open(streamUrl(journey), OPS_API_KEY);
    try {
      expect(ops.status).toBe(200);
      await ops.waitFor('the first view', (e) => e.length >= 1);
    } finally {
      await ops.close();
    }
  });

  it('frees the stream when the client goes', async () => {
    // The streams of the tests before were closed by their clients: only this one is left.
    await until('one stream open', async () => (await streamsOpen()) === 1);
    await stream.close();
    await until('no stream open', async () => (await streamsOpen()) === 0);
  });

  it('answers GET /onboardings/{id} in full from the record with the worker stopped', async () => {
    const before = await journey.view();
    await stack.stopWorker();
    const res = await call(stack.apiUrl, 'GET', `/onboardings/${journey.onboardingId}`, { token: journey.accessToken });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-onboarding-view')).toBeNull();
    expect(res.body).toEqual({ ...before, nextAction: expect.objectContaining({ type: 'OPEN_URL', purpose: 'DOCUMENT_SIGNING' }) });
    expect((res.body as OnboardingView).timeline.length).toBeGreaterThan(0);
  });
});
