// Outbound event delivery lag (issue 12): the stack's INTEGRATOR_WEBHOOK_URL points at a small
// HTTP receiver inside the bench process, which checks each Standard Webhooks signature with the
// `standardwebhooks` library (as an integrator would) and notes when each event arrived. N
// onboardings walk start → e-mail code → SMS code (several stage changes each); the lag of an event
// is its arrival at the receiver minus the change's own time (the body's `timestamp`, the record's
// `at`), both read from this machine's clock.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { Webhook } from 'standardwebhooks';
import { deliveryWorkflowIdFor } from '../src/workflows/event-delivery-messages';
import { Journey, newPerson } from '../test/e2e/journey';
import type { BenchStack } from './stack';
import { inLanes, summary } from './stats';

interface Arrival {
  webhookId: string;
  onboardingId: string;
  seq: number;
  stage: string;
  /** The change's own time (the body's timestamp) and the arrival, ms since the epoch. */
  changedAt: number;
  arrivedAt: number;
  lagMs: number;
}

export interface DeliveryReceiver {
  url: string;
  secret: string;
  /** First arrival of each webhook-id whose signature verified. */
  arrivals: Map<string, Arrival>;
  badSignatures: number;
  repeats: number;
  /** An onboarding's event that arrived after one with a higher seq. */
  outOfOrder: number;
  close(): Promise<void>;
}

/** Listens on a free loopback port; answers 204 to a verified event, 401 otherwise. */
export async function startDeliveryReceiver(): Promise<DeliveryReceiver> {
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const verifier = new Webhook(secret);
  const lastSeq = new Map<string, number>();
  const receiver: Omit<DeliveryReceiver, 'url' | 'close'> = { secret, arrivals: new Map(), badSignatures: 0, repeats: 0, outOfOrder: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // The arrival: the whole body in, before the signature is checked.
      const arrivedAt = Date.now();
      const raw = Buffer.concat(chunks).toString('utf8');
      const header = (name: string) => String(req.headers[name] ?? '');
      const webhookId = header('webhook-id');
      let body: { timestamp: string; data: { onboardingId: string; seq: number; stage: string } };
      try {
        body = verifier.verify(raw, {
          'webhook-id': webhookId,
          'webhook-timestamp': header('webhook-timestamp'),
          'webhook-signature': header('webhook-signature'),
        }) as typeof body;
      } catch {
        receiver.badSignatures++;
        res.writeHead(401).end();
        return;
      }
      if (receiver.arrivals.has(webhookId)) {
        receiver.repeats++;
      } else {
        const { onboardingId, seq, stage } = body.data;
        if ((lastSeq.get(onboardingId) ?? 0) > seq) receiver.outOfOrder++;
        lastSeq.set(onboardingId, Math.max(seq, lastSeq.get(onboardingId) ?? 0));
        const changedAt = Date.parse(body.timestamp);
        receiver.arrivals.set(webhookId, { webhookId, onboardingId, seq, stage, changedAt, arrivedAt, lagMs: arrivedAt - changedAt });
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/events`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

const EVENT_TYPE = temporal.api.enums.v1.EventType;

/** The payloads as the worker sees them: through the service's codecs, then the payload converter. */
async function decoded(client: Client, payloads: Payload[] | null | undefined): Promise<unknown[]> {
  const converter = client.options.loadedDataConverter;
  let p = payloads ?? [];
  for (const codec of [...converter.payloadCodecs].reverse()) p = await codec.decode(p);
  return p.map((one) => converter.payloadConverter.fromPayload(one));
}

/** A history event's time in epoch milliseconds (a protobuf Timestamp: seconds and nanos). */
function eventTimeMs(t: { seconds?: { toString(): string } | number | null; nanos?: number | null } | null | undefined): number {
  return Number(t?.seconds?.toString() ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
}

/**
 * Where an event's lag goes, from its onboarding's delivery workflow history: the change until the
 * delivery workflow held it (the record's flush and the publish), until its delivery activity was
 * scheduled (events before it in the queue, a workflow task), and until it arrived (the activity
 * task's dispatch, the worker, the HTTP request).
 */
async function lagParts(client: Client, arrivals: Arrival[]): Promise<{ toSignal: number[]; toScheduled: number[]; toArrival: number[] }> {
  const parts = { toSignal: [] as number[], toScheduled: [] as number[], toArrival: [] as number[] };
  const byOnboarding = new Map<string, Arrival[]>();
  for (const a of arrivals) byOnboarding.set(a.onboardingId, [...(byOnboarding.get(a.onboardingId) ?? []), a]);
  for (const [onboardingId, ours] of byOnboarding) {
    const history = await client.workflow.getHandle(deliveryWorkflowIdFor(onboardingId)).fetchHistory();
    const signaled = new Map<number, number>();
    const scheduled = new Map<number, number>();
    for (const e of history.events ?? []) {
      if (e.eventType === EVENT_TYPE.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED) {
        const [batch] = (await decoded(client, e.workflowExecutionSignaledEventAttributes?.input?.payloads)) as [Array<{ seq: number }>?];
        for (const ev of Array.isArray(batch) ? batch : []) if (!signaled.has(ev.seq)) signaled.set(ev.seq, eventTimeMs(e.eventTime));
      } else if (e.eventType === EVENT_TYPE.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
        const [ev] = (await decoded(client, e.activityTaskScheduledEventAttributes?.input?.payloads)) as [{ seq?: number }?];
        if (typeof ev?.seq === 'number' && !scheduled.has(ev.seq)) scheduled.set(ev.seq, eventTimeMs(e.eventTime));
      }
    }
    for (const a of ours) {
      const s = signaled.get(a.seq);
      const d = scheduled.get(a.seq);
      if (s === undefined || d === undefined) continue;
      parts.toSignal.push(s - a.changedAt);
      parts.toScheduled.push(d - s);
      parts.toArrival.push(a.arrivedAt - d);
    }
  }
  return parts;
}

export interface DeliveryFigures {
  onboardings: number;
  concurrency: number;
  failures: string[];
  events: number;
  lag: string;
  byStage: Array<[string, string]>;
  /** The lag's parts, from the delivery workflows' histories of a sample of onboardings. */
  parts: { sample: number; toSignal: string; toScheduled: string; toArrival: string } | undefined;
  missing: number;
  badSignatures: number;
  repeats: number;
  outOfOrder: number;
}

/** The stack must have been started with the receiver's URL and secret (and the record). */
export async function benchDelivery(stack: BenchStack, receiver: DeliveryReceiver, total: number, concurrency: number): Promise<DeliveryFigures> {
  const failures: string[] = [];
  // Each onboarding's stage once its SMS code was answered: its last event must reach the receiver.
  const lastStage = new Map<string, string>();
  await inLanes(total, concurrency, async () => {
    const journey = new Journey(stack.apiUrl, stack.control, newPerson(), { kycAtStart: false });
    try {
      await journey.start();
      await journey.confirmEmail();
      await journey.enterSmsCode();
      // The answer to the code is in the record: this read shows its stage.
      lastStage.set(journey.onboardingId, (await journey.view()).stage);
    } catch (err) {
      failures.push(err instanceof Error ? err.message.slice(0, 300) : String(err));
    }
  });
  const arrived = () => {
    const seen = new Set<string>();
    for (const a of receiver.arrivals.values()) if (lastStage.get(a.onboardingId) === a.stage) seen.add(a.onboardingId);
    return seen.size;
  };
  const deadline = Date.now() + 120_000;
  while (arrived() < lastStage.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  const ours = [...receiver.arrivals.values()].filter((a) => lastStage.has(a.onboardingId));
  const stages = new Map<string, number[]>();
  for (const a of ours) stages.set(a.stage, [...(stages.get(a.stage) ?? []), a.lagMs]);
  const sampled = new Set([...lastStage.keys()].slice(0, 20));
  const p = await lagParts(stack.client, ours.filter((a) => sampled.has(a.onboardingId))).catch((err: unknown) => {
    console.error(`delivery: the lag's parts not read from the delivery workflows' histories: ${String(err)}`);
    return undefined;
  });
  return {
    onboardings: total,
    concurrency: Math.min(concurrency, total),
    failures,
    events: ours.length,
    lag: ours.length ? summary(ours.map((a) => a.lagMs)) : 'no event arrived',
    byStage: [...stages].map(([stage, lags]) => [stage, summary(lags)]),
    parts:
      p && p.toSignal.length
        ? { sample: sampled.size, toSignal: summary(p.toSignal), toScheduled: summary(p.toScheduled), toArrival: summary(p.toArrival) }
        : undefined,
    missing: lastStage.size - arrived(),
    badSignatures: receiver.badSignatures,
    repeats: receiver.repeats,
    outOfOrder: receiver.outOfOrder,
  };
}

export function printDelivery(f: DeliveryFigures): void {
  console.log(`\ndelivery: ${f.onboardings} onboardings at concurrency ${f.concurrency}, start → e-mail code → SMS code, the record on its own PostgreSQL server; ` +
    'INTEGRATOR_WEBHOOK_URL → a receiver in the bench process that verifies each signature (standardwebhooks)');
  if (f.failures.length) console.log(`  failures: ${f.failures.length}\n    ${f.failures.slice(0, 3).join('\n    ')}`);
  console.log(`  event delivery lag from the stage change (the event's timestamp) to its arrival at the receiver: ${f.lag}`);
  for (const [stage, s] of f.byStage) console.log(`    → ${stage.padEnd(22)} ${s}`);
  if (f.parts) {
    console.log(`  where it goes (the delivery workflows' histories, ${f.parts.sample} onboardings):`);
    console.log(`    change → the delivery workflow holds it (record flush, publish):      ${f.parts.toSignal}`);
    console.log(`    → its delivery activity scheduled (events before it, a workflow task): ${f.parts.toScheduled}`);
    console.log(`    → arrival (activity task dispatch, the worker, the HTTP request):      ${f.parts.toArrival}`);
  }
  console.log(`  ${f.events} events arrived with a valid signature; ${f.badSignatures} bad signatures; ${f.repeats} repeats; ${f.outOfOrder} out of seq order; ` +
    `${f.missing} onboardings whose last change never arrived (120 s)`);
}
