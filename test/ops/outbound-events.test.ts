// Ops on the outbound events, on a real Temporal dev server: a delivery whose receiver keeps
// failing shows in GET /ops/outbound-events and `npm run ops -- outbound-events` (its undelivered
// events, attempt, last failure, the stall once its retries ran out); redeliver (API and CLI)
// sends them in order once the receiver is back; bad input is a problem+json and changes nothing.
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIntegratorActivities } from '../../src/activities/integrator/activities';
import { IntegratorWebhookClient } from '../../src/activities/integrator/client';
import type { IntegratorEvent } from '../../src/activities/integrator/event';
import { publishOnboardingEvent, type PublishOptions } from '../../src/activities/integrator/publish';
import { createDataConverter } from '../../src/temporal/data-converter';
import { deliveryWorkflowIdFor } from '../../src/workflows/event-delivery-messages';
import { type Harness, OPS_API_KEY, call, createHarness, eventually, listen, temporalConfig, type RunningApi } from '../api/harness';
import { WORKFLOWS_INDEX } from './support';

const ROOT = path.resolve(__dirname, '..', '..');
const TASK_QUEUE = 'outbound-events-ops';
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
// Short retries so that a delivery stalls within the test; the service's floor (24 h) is the config's.
const PUBLISH: PublishOptions = { taskQueue: TASK_QUEUE, settings: { retryFor: '4s', maxInterval: '1s', attemptTimeout: '5s', graceAfterEnd: '1s' } };

let h: Harness;
let api: RunningApi;
let receiver: http.Server;
let receiverStatus = 503;
const accepted: number[] = [];
let webhookClient: IntegratorWebhookClient;
let stopWorker: () => Promise<void>;

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (receiverStatus < 300) accepted.push((JSON.parse(Buffer.concat(chunks).toString()) as { data: { seq: number } }).data.seq);
      res.writeHead(receiverStatus).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  h = await createHarness();
  webhookClient = new IntegratorWebhookClient({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`, secret: SECRET, timeoutMs: 2_000 });
  const worker = await Worker.create({
    connection: h.env.nativeConnection,
    namespace: 'default',
    taskQueue: TASK_QUEUE,
    workflowsPath: WORKFLOWS_INDEX,
    activities: createIntegratorActivities(webhookClient),
    dataConverter: createDataConverter(temporalConfig),
    shutdownGraceTime: '1s',
  });
  const running = worker.run();
  stopWorker = async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  };
  api = await listen(h.deps());
});

afterAll(async () => {
  await api?.close();
  await stopWorker?.().catch(() => undefined);
  await h?.teardown();
  await webhookClient?.close();
  receiver?.closeAllConnections();
  await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
});

function ops(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['tsx', 'src/ops/cli.ts', ...args],
      {
        cwd: ROOT,
        timeout: 90_000,
        env: { ...process.env, TEMPORAL_ADDRESS: h.env.address, TEMPORAL_NAMESPACE: 'default', PAYLOAD_ENCRYPTION_KEY: temporalConfig.PAYLOAD_ENCRYPTION_KEY, PAYLOAD_ENCRYPTION_OLD_KEYS: '' },
      },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

const events = (onboardingId: string): IntegratorEvent[] => [
  { onboardingId, seq: 1, stage: 'CREATING_USER', previousStage: null, ids: {}, at: new Date().toISOString() },
  { onboardingId, seq: 2, stage: 'AWAITING_EMAIL_CODE', previousStage: 'CREATING_USER', ids: { userId: 9 }, at: new Date().toISOString() },
  { onboardingId, seq: 4, stage: 'CANCELLED', previousStage: 'AWAITING_EMAIL_CODE', reason: 'ops', ids: { userId: 9 }, at: new Date().toISOString() },
];

describe('ops on outbound events', () => {
  it('lists a failing delivery with its stall (API and CLI) and redelivers it in order once the receiver is back', async () => {
    const onboardingId = randomUUID();
    await publishOnboardingEvent(h.client, PUBLISH, events(onboardingId));

    const listed = await eventually(async () => {
      const r = await call(api.url, 'GET', '/ops/outbound-events?undelivered=true', { token: OPS_API_KEY });
      expect(r.status).toBe(200);
      const item = (r.body.items as Array<{ onboardingId: string; stalled?: unknown }>).find((i) => i.onboardingId === onboardingId);
      return item?.stalled ? item : undefined;
    }, 40_000, 'the stalled delivery in the list');
    expect(listed).toMatchObject({ onboardingId, delivered: 0, pending: [{ seq: 1 }, { seq: 2 }, { seq: 4 }], stalled: { seq: 1, error: 'receiver answered 503' } });

    const cli = await ops('outbound-events', '--json');
    expect(cli.code).toBe(0);
    expect((JSON.parse(cli.stdout) as { items: Array<{ onboardingId: string }> }).items.map((i) => i.onboardingId)).toContain(onboardingId);

    receiverStatus = 204;
    const redelivered = await call(api.url, 'POST', '/ops/outbound-events/redeliver', { token: OPS_API_KEY, body: { onboardingId } });
    expect(redelivered.status).toBe(202);
    expect(redelivered.body).toEqual({ onboardingIds: [onboardingId], truncated: false });
    await h.client.workflow.getHandle(deliveryWorkflowIdFor(onboardingId)).result();
    expect(accepted).toEqual([1, 2, 4]);

    const all = await ops('redeliver', '--all');
    expect(all.code).toBe(0);
  });

  it('refuses bad input and unknown onboardings with problem+json, and needs the ops key', async () => {
    const unknown = await call(api.url, 'POST', '/ops/outbound-events/redeliver', { token: OPS_API_KEY, body: { onboardingId: randomUUID() } });
    expect(unknown.status).toBe(404);
    expect(unknown.contentType).toContain('application/problem+json');
    const bad = await call(api.url, 'POST', '/ops/outbound-events/redeliver', { token: OPS_API_KEY, body: { onboardingId: 'not-an-id' } });
    expect(bad.status).toBe(400);
    expect(bad.contentType).toContain('application/problem+json');
    expect((await call(api.url, 'GET', '/ops/outbound-events?undelivered=false', { token: OPS_API_KEY })).status).toBe(400);
    expect((await call(api.url, 'GET', '/ops/outbound-events')).status).toBe(401);
    const cli = await ops('redeliver');
    expect(cli.code).toBe(2);
  });
});
