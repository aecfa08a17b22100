// Outbound event delivery lag (issue 12): the stack's INTEGRATOR_WEBHOOK_URL points at a small
// HTTP receiver inside the bench process, which checks each Standard Webhooks signature with the
// `standardwebhooks` library (as an integrator would) and notes when each event arrived. N
// onboardings walk start → e-mail code → SMS code (several stage changes each); the lag of an event
// is its arrival at the receiver minus the change's own time (the body's `timestamp`, the record's
// `at`), both read from this machine's clock.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { Journey, newPerson } from '../test/e2e/journey';
import type { BenchStack } from './stack';
import { inLanes, summary } from './stats';

interface Arrival {
  webhookId: string;
  onboardingId: string;
  seq: number;
  stage: string;
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
        receiver.arrivals.set(webhookId, { webhookId, onboardingId, seq, stage, lagMs: arrivedAt - Date.parse(body.timestamp) });
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

export interface DeliveryFigures {
  onboardings: number;
  concurrency: number;
  failures: string[];
  events: number;
  lag: string;
  byStage: Array<[string, string]>;
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
  return {
    onboardings: total,
    concurrency,
    failures,
    events: ours.length,
    lag: ours.length ? summary(ours.map((a) => a.lagMs)) : 'no event arrived',
    byStage: [...stages].map(([stage, lags]) => [stage, summary(lags)]),
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
  console.log(`  ${f.events} events arrived with a valid signature; ${f.badSignatures} bad signatures; ${f.repeats} repeats; ${f.outOfOrder} out of seq order; ` +
    `${f.missing} onboardings whose last change never arrived (120 s)`);
}
