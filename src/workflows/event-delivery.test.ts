// The integrator event delivery workflow on the time-skipping server with a real HTTP receiver:
// every event arrives accepted once, in seq order, signed (verified with standardwebhooks), with
// the same webhook-id on every retry, whether the receiver fails now and then or is down for
// (virtual) minutes; a delivery whose retries ran out waits for ops and goes out on redeliver.
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createIntegratorActivities } from '../activities/integrator/activities';
import { IntegratorWebhookClient } from '../activities/integrator/client';
import type { IntegratorEvent, IntegratorWebhookBody } from '../activities/integrator/event';
import { publishOnboardingEvent, type PublishOptions } from '../activities/integrator/publish';
import type { Stage } from '../domain/onboarding';
import { IntegratorEventsPending } from '../temporal/search-attributes';
import { createTimeSkippingEnv } from '../../test/support/temporal';
import { WORKFLOWS_PATH } from '../worker/worker';
import {
  deliveryStatusQuery,
  deliveryWorkflowIdFor,
  redeliverSignal,
  type DeliverySettings,
} from './event-delivery-messages';
import type { integratorEventDeliveryWorkflow } from './event-delivery';

const TASK_QUEUE = 'event-delivery-test';
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const SETTINGS: DeliverySettings = { retryFor: '24h', maxInterval: '1h', attemptTimeout: '10s', graceAfterEnd: '10m' };

interface Arrival {
  webhookId: string;
  body: IntegratorWebhookBody;
  raw: string;
  verified: boolean;
  answered: number;
}

/** A receiver on a fixed port that can be stopped and started again; `answer` decides each status. */
class Receiver {
  readonly arrivals: Arrival[] = [];
  answer: (webhookId: string, nthArrival: number) => number = () => 204;
  private server?: http.Server;
  port = 0;

  async start(): Promise<void> {
    const verifier = new Webhook(SECRET);
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const webhookId = String(req.headers['webhook-id']);
        let verified = true;
        try {
          verifier.verify(raw, req.headers as Record<string, string>);
        } catch {
          verified = false;
        }
        const nth = this.arrivals.filter((a) => a.webhookId === webhookId).length;
        const answered = this.answer(webhookId, nth);
        this.arrivals.push({ webhookId, body: JSON.parse(raw) as IntegratorWebhookBody, raw, verified, answered });
        res.writeHead(answered).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/integrator/events`;
  }

  accepted(): Arrival[] {
    return this.arrivals.filter((a) => a.answered >= 200 && a.answered < 300);
  }
}

let workflowBundle: { code: string };
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let receiver: Receiver;
let webhookClient: IntegratorWebhookClient;

beforeAll(async () => {
  workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
});

beforeEach(async () => {
  receiver = new Receiver();
  await receiver.start();
  env = await createTimeSkippingEnv();
  webhookClient = new IntegratorWebhookClient({ url: receiver.url, secret: SECRET, timeoutMs: 2_000 });
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    workflowBundle,
    activities: createIntegratorActivities(webhookClient),
  });
  running = worker.run();
});

afterEach(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await webhookClient?.close();
  await receiver?.stop();
});

const JOURNEY: Stage[] = ['CREATING_USER', 'AWAITING_EMAIL_CODE', 'AWAITING_SMS_CODE', 'AWAITING_IDENTIFICATION', 'AWAITING_SIGNATURE', 'FINALIZING', 'AWAITING_PARTNER_KYC', 'COMPLETED'];

/** An onboarding's stage changes as the record numbers them (gaps stand for other record events). */
function journeyEvents(onboardingId: string): IntegratorEvent[] {
  return JOURNEY.map((stage, i) => ({
    onboardingId,
    seq: 2 * i + 1,
    stage,
    previousStage: i === 0 ? null : (JOURNEY[i - 1] as Stage),
    ids: i >= 2 ? { userId: 42 } : {},
    externalRef: 'crm-7',
    at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
  }));
}

const publishOptions = (settings: DeliverySettings = SETTINGS): PublishOptions => ({ taskQueue: TASK_QUEUE, settings });
const handleOf = (onboardingId: string): WorkflowHandle<typeof integratorEventDeliveryWorkflow> =>
  env.client.workflow.getHandle(deliveryWorkflowIdFor(onboardingId));

/** What the receiver accepted is every event once, in seq order, signed, with the contract's body. */
function expectDeliveredInOrder(events: IntegratorEvent[]): void {
  const accepted = receiver.accepted();
  expect(accepted.map((a) => a.body.data.seq)).toEqual(events.map((e) => e.seq));
  expect(accepted.every((a) => a.verified)).toBe(true);
  expect(receiver.arrivals.every((a) => a.verified)).toBe(true);
  for (const [i, a] of accepted.entries()) {
    const e = events[i]!;
    expect(a.webhookId).toBe(`evt_${e.onboardingId}_${e.seq}`);
    expect(a.body).toEqual({
      type: 'onboarding.stage_changed',
      timestamp: e.at,
      data: { onboardingId: e.onboardingId, externalRef: 'crm-7', seq: e.seq, stage: e.stage, previousStage: e.previousStage, ids: e.ids },
    });
  }
}

describe('integrator event delivery', () => {
  it('a receiver that fails every third first delivery gets every event once accepted, in order, with the same webhook-id on retries', async () => {
    const onboardingId = randomUUID();
    const events = journeyEvents(onboardingId);
    const firstSeen: string[] = [];
    receiver.answer = (webhookId, nth) => {
      if (nth > 0) return 200;
      firstSeen.push(webhookId);
      return firstSeen.length % 3 === 1 ? 503 : 200;
    };
    // Batches as the record writer flushes them, one repeated (a retried flush) and one out of order within.
    await publishOnboardingEvent(env.client, publishOptions(), events.slice(0, 3));
    await publishOnboardingEvent(env.client, publishOptions(), events.slice(0, 3));
    await publishOnboardingEvent(env.client, publishOptions(), [events[4]!, events[3]!]);
    await publishOnboardingEvent(env.client, publishOptions(), events.slice(5));

    const summary = await handleOf(onboardingId).result();

    expect(summary).toMatchObject({ onboardingId, delivered: events.length, lastDeliveredSeq: events.at(-1)!.seq, pending: [], ended: true });
    expectDeliveredInOrder(events);
    const failedFirst = receiver.arrivals.filter((a) => a.answered === 503).map((a) => a.webhookId);
    expect(failedFirst.length).toBe(3);
    for (const id of failedFirst) expect(receiver.arrivals.filter((a) => a.webhookId === id).map((a) => a.answered)).toEqual([503, 200]);
  });

  it('a receiver that is down for minutes gets every event once it is back, in order, and publishing never waited for it', async () => {
    await receiver.stop();
    const onboardingId = randomUUID();
    const events = journeyEvents(onboardingId);
    await publishOnboardingEvent(env.client, publishOptions(), events.slice(0, 4));
    const handle = handleOf(onboardingId);

    await env.sleep('20m');
    const status = await handle.query(deliveryStatusQuery);
    expect(status.delivered).toBe(0);
    expect(status.pending.map((p) => p.seq)).toEqual([1, 3, 5, 7]);
    const described = await handle.describe();
    expect(described.typedSearchAttributes.get(IntegratorEventsPending)).toBe(true);
    const pendingActivity = described.raw.pendingActivities?.[0];
    expect(pendingActivity?.activityType?.name).toBe('deliverIntegratorEvent');
    expect(Number(pendingActivity?.attempt)).toBeGreaterThan(3);

    // The onboarding goes on meanwhile: its later changes are handed over as before.
    await publishOnboardingEvent(env.client, publishOptions(), events.slice(4));
    await receiver.start();
    const summary = await handle.result();

    expect(summary.delivered).toBe(events.length);
    expectDeliveredInOrder(events);
    expect((await handle.describe()).typedSearchAttributes.get(IntegratorEventsPending)).toBe(false);
  });

  it('after its retries ran out a delivery waits for ops, and redeliver sends it and what follows', async () => {
    await receiver.stop();
    const onboardingId = randomUUID();
    const events = journeyEvents(onboardingId).slice(0, 3);
    await publishOnboardingEvent(env.client, publishOptions({ ...SETTINGS, retryFor: '30m', maxInterval: '5m' }), events);
    const handle = handleOf(onboardingId);

    await env.sleep('2h');
    const stalled = await handle.query(deliveryStatusQuery);
    expect(stalled.stalled).toMatchObject({ seq: 1 });
    expect(stalled.pending.map((p) => p.seq)).toEqual([1, 3, 5]);

    await receiver.start();
    await handle.signal(redeliverSignal);
    await publishOnboardingEvent(env.client, publishOptions(), [{ ...journeyEvents(onboardingId).at(-1)!, seq: 7, previousStage: 'AWAITING_SMS_CODE' }]);
    const summary = await handle.result();

    expect(summary.stalled).toBeUndefined();
    expect(receiver.accepted().map((a) => a.body.data.seq)).toEqual([1, 3, 5, 7]);
    expect(receiver.arrivals.every((a) => a.verified)).toBe(true);
  });
});
