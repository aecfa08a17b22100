// The sandbox's integrator back office: it verifies each outbound event's Standard Webhooks
// signature, answers 204 or 401, marks repeats, and shows what arrived on its page.
import { randomBytes, randomUUID } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntegratorWebhookClient } from '../activities/integrator/client';
import type { IntegratorEvent } from '../activities/integrator/event';
import type { Sandbox } from './index';
import { startTestSandbox } from './testkit';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startTestSandbox({ integratorWebhookSecret: SECRET });
});
afterAll(async () => {
  await sandbox?.close();
});

const event = (seq: number): IntegratorEvent => ({
  onboardingId: randomUUID(),
  seq,
  stage: 'AWAITING_SMS_CODE',
  previousStage: 'AWAITING_EMAIL_CODE',
  ids: { userId: 7 },
  at: new Date().toISOString(),
});

describe('sandbox integrator receiver', () => {
  it('accepts a signed event, refuses a wrongly signed one, marks a repeat and shows all on its page', async () => {
    const good = new IntegratorWebhookClient({ url: sandbox.integratorWebhookUrl, secret: SECRET });
    const forged = new IntegratorWebhookClient({ url: sandbox.integratorWebhookUrl, secret: `whsec_${randomBytes(32).toString('base64')}` });
    try {
      const e = event(3);
      expect((await good.send(e)).status).toBe(204);
      expect((await good.send(e)).status).toBe(204);
      expect((await forged.send(event(5))).status).toBe(401);
    } finally {
      await Promise.all([good.close(), forged.close()]);
    }

    const [forgedArrival, repeat, first] = sandbox.integratorArrivals();
    expect(first).toMatchObject({ verified: true, repeat: false, status: 204, seq: 3, stage: 'AWAITING_SMS_CODE', type: 'onboarding.stage_changed' });
    expect(repeat).toMatchObject({ verified: true, repeat: true, webhookId: first!.webhookId });
    expect(forgedArrival).toMatchObject({ verified: false, status: 401, seq: 5 });

    const json = await request(`${sandbox.integratorWebhookUrl}.json`);
    expect(((await json.body.json()) as { items: unknown[] }).items).toHaveLength(3);
    const page = await request(sandbox.integratorWebhookUrl.replace(/events$/, ''));
    const html = await page.body.text();
    expect(page.statusCode).toBe(200);
    expect(html).toContain(first!.webhookId);
    expect(html.match(/✔ verified/g)).toHaveLength(2);
    expect(html.match(/✘ not verified/g)).toHaveLength(1);
  });
});
