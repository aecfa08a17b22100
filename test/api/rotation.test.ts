// The rotation drill (CONTRACT part 4, "Secrets that rotate"): onboardings in flight, then both
// API_SIGNING_KEY and PAYLOAD_ENCRYPTION_KEY rotated with the old ones listed and the worker and
// the API restarted. Tokens handed out before still work, the same externalRef answers 409 with
// the same id, the same Idempotency-Key and body the same onboarding, and the histories decrypt.
// Then the old payload key is removed: ops read a clear "cannot decrypt", nothing crashes.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataConverter } from '../../src/temporal/data-converter';
import { EncryptionCodec } from '../../src/temporal/encryption-codec';
import { testApplicant } from '../support/fixtures';
import { call, createHarness, eventually, type Harness, listen, OPS_API_KEY, type RunningApi, temporalConfig } from './harness';

const newKey = () => randomBytes(32).toString('base64');
const keys = { payload1: newKey(), payload2: newKey(), signing1: newKey(), signing2: newKey() };

let h: Harness;
const running: Array<() => Promise<void>> = [];

/** A worker and an API as a deploy configures them: this generation's keys. */
async function deploy(payloadKey: string, oldPayloadKeys: string[], signingKey: string, oldSigningKeys: string[], taskQueue: string): Promise<RunningApi> {
  const temporal = { ...temporalConfig, TASK_QUEUE: taskQueue, PAYLOAD_ENCRYPTION_KEY: payloadKey, PAYLOAD_ENCRYPTION_OLD_KEYS: oldPayloadKeys };
  const dataConverter = createDataConverter(temporal);
  const worker = await Worker.create({
    connection: h.env.nativeConnection,
    namespace: 'default',
    taskQueue,
    workflowsPath: path.join(__dirname, '..', '..', 'src', 'workflows', 'index.ts'),
    activities: h.providers.activities(),
    dataConverter,
    shutdownGraceTime: '1s',
  });
  const run = worker.run();
  const client = new Client({ connection: h.env.connection, namespace: 'default', dataConverter });
  const api = await listen(
    h.deps({ client, temporal, codec: new EncryptionCodec(payloadKey, oldPayloadKeys), api: { API_SIGNING_KEY: signingKey, API_SIGNING_OLD_KEYS: oldSigningKeys } }),
  );
  const stop = async () => {
    await api.close();
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await run;
  };
  running.push(stop);
  return { url: api.url, close: stop };
}

beforeAll(async () => {
  h = await createHarness();
});

afterAll(async () => {
  for (const stop of running.reverse()) await stop().catch(() => undefined);
  await h?.teardown();
});

const body = () => {
  const a = testApplicant();
  return { email: a.email, phoneNumber: a.phoneNumber, userType: 'INDIVIDUAL' as const };
};

/** The stage once it is past CREATING_USER (the fake 10nPay answers at once), read with `token`. */
const stageOf = async (url: string, id: string, token: string) =>
  eventually(async () => {
    const v = await call(url, 'GET', `/onboardings/${id}`, { token });
    if (v.status !== 200) throw new Error(`GET /onboardings/${id} answered ${v.status}`);
    return v.body.stage === 'CREATING_USER' ? undefined : (v.body.stage as string);
  }, 30_000, 'the onboarding view');

describe('rotating API_SIGNING_KEY and PAYLOAD_ENCRYPTION_KEY', () => {
  it('keeps tokens, ids and histories across the rotation; without the old payload key ops see a clear error', async () => {
    const taskQueue = `rotation-${Date.now()}`;
    // Generation 1.
    const gen1 = await deploy(keys.payload1, [], keys.signing1, [], taskQueue);
    const externalRef = `ref-rotation-${Date.now()}`;
    const byRef = await call(gen1.url, 'POST', '/onboardings', { body: { ...body(), externalRef } });
    expect(byRef.status).toBe(201);
    const idemKey = `idem-rotation-${Date.now()}`;
    const idemBody = body();
    const byKey = await call(gen1.url, 'POST', '/onboardings', { body: idemBody, headers: { 'idempotency-key': idemKey } });
    expect(byKey.status).toBe(201);
    expect(await stageOf(gen1.url, byRef.body.onboardingId, byRef.body.accessToken)).toBe('AWAITING_EMAIL_CODE');
    await gen1.close();

    // Generation 2: both keys rotated, the old ones listed; processes restarted.
    const gen2 = await deploy(keys.payload2, [keys.payload1], keys.signing2, [keys.signing1], taskQueue);
    // Old tokens work; the histories (written under payload key 1) decrypt.
    expect(await stageOf(gen2.url, byRef.body.onboardingId, byRef.body.accessToken)).toBe('AWAITING_EMAIL_CODE');
    // The same externalRef: 409 with the same onboarding, no token.
    const sameRef = await call(gen2.url, 'POST', '/onboardings', { body: { ...body(), externalRef } });
    expect(sameRef.status).toBe(409);
    expect(sameRef.body.onboardingId).toBe(byRef.body.onboardingId);
    expect(sameRef.body.accessToken).toBeUndefined();
    // The same Idempotency-Key and body: 200, the same onboarding, a token that works; another body 422.
    const sameKey = await call(gen2.url, 'POST', '/onboardings', { body: idemBody, headers: { 'idempotency-key': idemKey } });
    expect(sameKey.status).toBe(200);
    expect(sameKey.body.onboardingId).toBe(byKey.body.onboardingId);
    expect(await stageOf(gen2.url, sameKey.body.onboardingId, sameKey.body.accessToken)).toBe('AWAITING_EMAIL_CODE');
    expect(await stageOf(gen2.url, byKey.body.onboardingId, byKey.body.accessToken)).toBe('AWAITING_EMAIL_CODE');
    const otherBody = await call(gen2.url, 'POST', '/onboardings', { body: body(), headers: { 'idempotency-key': idemKey } });
    expect(otherBody.status).toBe(422);
    // A token signed with a key that is not listed is refused.
    const forged = await call(gen2.url, 'GET', `/onboardings/${byRef.body.onboardingId}`, { token: randomBytes(32).toString('base64url') });
    expect(forged.status).toBe(404);
    await gen2.close();

    // Generation 3: the old payload key removed (the signing key 1 still listed).
    const gen3 = await deploy(keys.payload2, [], keys.signing2, [keys.signing1], `${taskQueue}-3`);
    const history = await h.client.workflow.getHandle(`onboarding-${byRef.body.onboardingId}`).fetchHistory();
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
    const decode = await call(gen3.url, 'POST', '/codec/decode', { token: OPS_API_KEY, body: { payloads: started.map((p) => ({ metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(p.data ?? []).toString('base64') })) } });
    expect(decode.status).toBeGreaterThanOrEqual(400);
    expect(decode.status).toBeLessThan(500);
    expect(JSON.stringify(decode.body)).toMatch(/decrypt|decryption key/i);
    // The API still answers its other calls.
    const health = await call(gen3.url, 'GET', '/healthz');
    expect(health.status).toBe(200);
  });
});
