// Reading an onboarding from the record rather than through the worker: GET /onboardings/{id}
// answers the view the workflow last recorded (the workflow writes it before it answers a caller's
// code, KYC data or files, and before a relayed redirect is acknowledged, so a caller reads its own
// action), and GET /onboardings/{id}/stream pushes each recorded view as a Server-Sent Event. The
// streams of one process share the record's one LISTEN connection (src/record/view-feed.ts).
import type { Request, Response } from 'express';
import type { OnboardingView } from '../../domain/onboarding';
import type { RecordedView } from '../../record/changes';
import { RecordUnavailableError } from '../../record/repository';
import type { ViewFeedItem } from '../../record/view-feed';
import { needsAttention } from '../../temporal/onboarding-handle';
import type { ApiContext } from '../context';
import { inputOf } from '../mount-routes';
import { ProblemError, problems } from '../problem-details';

/** A stream whose client reads slower than its views come is closed past this many unsent bytes. */
const STREAM_MAX_BUFFERED_BYTES = 1 << 20;

/** The record could not be read: 503 with Retry-After, never a 500. */
function recordProblem(err: unknown): never {
  if (err instanceof RecordUnavailableError) {
    throw new ProblemError(problems.unavailable('The onboarding record cannot be reached; try again shortly', 5));
  }
  throw err;
}

/** The answer's view: needsAttention as the API computes it everywhere, then the partner link. */
export type Decorate = (req: Request, view: OnboardingView) => OnboardingView;
export const answerView = (decorate: Decorate, req: Request, view: OnboardingView): OnboardingView =>
  decorate(req, { ...view, needsAttention: needsAttention({ flagged: view.needsAttention, stage: view.stage }) });

/** The onboarding's newest recorded view; undefined without a record or before its first write. */
export async function recordedView(ctx: ApiContext, onboardingId: string): Promise<RecordedView | undefined> {
  if (!ctx.record) return undefined;
  return ctx.record.view(onboardingId).catch(recordProblem);
}

/** How long an answer waits for the record to show the caller's action (then it answers anyway). */
export const READ_YOUR_OWN_ACTION_WAIT_MS = 5_000;

/**
 * Waits until the record holds a view that satisfies `done` (the seq an update named, a relayed
 * redirect in the timeline), at most `timeoutMs`; false when it did not come in time or the record
 * cannot be reached (GET then asks the workflow, so the caller still reads its own action).
 */
export async function awaitRecordedView(
  ctx: ApiContext,
  onboardingId: string,
  done: (recorded: RecordedView) => boolean,
  timeoutMs = READ_YOUR_OWN_ACTION_WAIT_MS,
): Promise<boolean> {
  const feed = ctx.viewFeed;
  const record = ctx.record;
  if (!feed || !record) return false;
  let resolve!: (v: boolean) => void;
  const outcome = new Promise<boolean>((r) => (resolve = r));
  const check = async () => {
    try {
      const current = await record.view(onboardingId);
      if (current && done(current)) resolve(true);
    } catch {
      resolve(false);
    }
  };
  const unsubscribe = await feed
    .subscribe(onboardingId, (item) => {
      if (item.kind === 'view' && item.view) {
        if (done({ seq: item.seq, view: item.view })) resolve(true);
      } else void check();
    })
    .catch(() => undefined);
  if (!unsubscribe) return false;
  const timer = setTimeout(() => resolve(false), timeoutMs);
  try {
    await check();
    return await outcome;
  } finally {
    clearTimeout(timer);
    unsubscribe();
  }
}

/** GET /onboardings/{id}/stream. */
export function streamOnboarding(ctx: ApiContext, decorate: Decorate, onboardingExists: (id: string) => Promise<void>) {
  return async (req: Request, res: Response): Promise<void> => {
    const id = res.locals.onboardingId as string;
    const feed = ctx.viewFeed;
    const record = ctx.record;
    if (!feed || !record) throw new ProblemError(problems.unavailable('The onboarding record is not configured (DATABASE_URL)', 60));
    const lastEventId = inputOf<{ headers: { 'Last-Event-ID'?: string } }>(res).headers['Last-Event-ID'];
    let lastSent = lastEventId !== undefined ? Number(lastEventId) : undefined;

    // Subscribe first, then read the record: a view written in between arrives through the feed
    // and is sent once (by its seq), so nothing falls between the two.
    let catchingUp = true;
    const early: ViewFeedItem[] = [];
    let chain: Promise<void> = Promise.resolve();
    let closed = false;
    const enqueue = (item: ViewFeedItem) => {
      if (catchingUp) early.push(item);
      else chain = chain.then(() => deliver(item)).catch(fail);
    };
    let unsubscribe: (() => void) | undefined;
    try {
      unsubscribe = await feed.subscribe(id, enqueue);
    } catch {
      throw new ProblemError(problems.unavailable('The onboarding record cannot be reached; try again shortly', 5));
    }
    let initial: RecordedView[];
    try {
      if (lastSent !== undefined) {
        initial = await record.viewsAfter(id, lastSent);
      } else {
        const current = await record.view(id);
        initial = current ? [current] : [];
      }
      // Nothing recorded yet: the onboarding may be starting (its first write comes soon) or not exist.
      if (initial.length === 0 && lastSent === undefined) await onboardingExists(id);
    } catch (err) {
      unsubscribe();
      if (err instanceof RecordUnavailableError) recordProblem(err);
      throw err;
    }

    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Connection', 'keep-alive');
    // Proxies (nginx) must pass each event on at once.
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    ctx.metrics.streamsOpen.inc();

    const heartbeat = setInterval(() => write(': keep-alive\n\n'), ctx.api.STREAM_HEARTBEAT_SECONDS * 1000);
    heartbeat.unref();
    const close = () => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      unsubscribe?.();
      ctx.metrics.streamsOpen.dec();
    };
    res.on('close', close);
    function fail(err: unknown) {
      ctx.logger.warn({ onboardingId: id, err: err instanceof Error ? err.name : 'unknown' }, 'onboarding stream closed on an error');
      res.destroy();
      close();
    }
    function write(text: string) {
      if (closed) return;
      res.write(text);
      // A client that does not read: its stream is closed rather than held in memory.
      if (res.writableLength > STREAM_MAX_BUFFERED_BYTES) fail(new Error('client too slow'));
    }
    function send(seq: number, view: OnboardingView) {
      if (lastSent !== undefined && seq <= lastSent) return;
      lastSent = seq;
      write(`event: onboarding\nid: ${seq}\ndata: ${JSON.stringify(answerView(decorate, req, view))}\n\n`);
    }
    async function deliver(item: ViewFeedItem) {
      if (closed) return;
      if (item.kind === 'view' && item.view) return send(item.seq, item.view);
      if (item.kind === 'view' && lastSent !== undefined && item.seq <= lastSent) return;
      // A view too large for its notification, or notifications lost with the listening connection.
      for (const v of await record!.viewsAfter(id, lastSent ?? 0)) send(v.seq, v.view);
    }

    for (const v of initial) send(v.seq, v.view);
    catchingUp = false;
    for (const item of early.splice(0)) enqueue(item);
  };
}
