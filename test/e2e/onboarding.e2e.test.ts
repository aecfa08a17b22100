// End to end through the HTTP API alone: a Temporal dev server, the provider sandbox, the real
// worker (real activities, mTLS to the sandbox's token server) and the API. Users are walked from
// POST /onboardings to COMPLETED by test/e2e/journey.ts; the sandbox's counters then prove that
// every provider effect happened exactly once, duplicates and retries included.
import { temporal as proto } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../src/domain/onboarding';
import { EncryptionCodec } from '../../src/temporal/encryption-codec';
import { Journey, call, newPerson } from './journey';
import { OPS_API_KEY, type Stack, startStack } from './stack';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.close();
});

const journey = (options: ConstructorParameters<typeof Journey>[3] = {}) => new Journey(stack.apiUrl, stack.control, newPerson(), options);

/** The sandbox's side effects for one onboarding, once no webhook is pending any more. */
async function effectsOf(j: Journey) {
  await stack.control.webhooksIdle();
  return stack.control.counters({ email: j.person.email, externalUserId: j.onboardingId });
}

/** One 10nPay user, one finalize, one P100 account and one user verification; KYC by method. */
function expectExactlyOnce(c: Awaited<ReturnType<typeof effectsOf>>, method: 'A' | 'B' = 'B') {
  expect({
    usersCreated: c.usersCreated,
    additionalDataAccepted: c.additionalDataAccepted,
    identificationsStarted: c.identificationsStarted,
    finalizeSuccesses: c.finalizeSuccesses,
    partnerAccounts: c.partnerAccounts,
    userVerificationsAccepted: c.userVerificationsAccepted,
  }).toEqual({
    usersCreated: 1,
    additionalDataAccepted: 1,
    identificationsStarted: 1,
    finalizeSuccesses: 1,
    partnerAccounts: 1,
    userVerificationsAccepted: 1,
  });
  // One KYC attempt: method B one verification, method A one upload (of the two files sent).
  if (method === 'B') expect({ kycVerificationsCreated: c.kycVerificationsCreated, kycFilesAdded: c.kycFilesAdded }).toEqual({ kycVerificationsCreated: 1, kycFilesAdded: 0 });
  else expect({ kycVerificationsCreated: c.kycVerificationsCreated, kycFilesAdded: c.kycFilesAdded }).toEqual({ kycVerificationsCreated: 0, kycFilesAdded: 2 });
}

function expectCompletedWithIds(view: Awaited<ReturnType<Journey['view']>>, j: Journey) {
  expect(view.stage).toBe('COMPLETED');
  expect(view.nextAction).toEqual({ type: 'NONE' });
  expect(view.needsAttention).toBe(false);
  expect(view.ids.userId).toEqual(expect.any(Number));
  expect(view.ids.individualId).toEqual(expect.any(Number));
  expect(view.ids.correlationId).toMatch(/^[0-9a-f-]{36}$/);
  expect(view.ids.externalUserId).toBe(j.onboardingId);
}

describe('onboarding end to end, through the HTTP API alone', () => {
  it('walks five users at once from POST /onboardings to COMPLETED (P100 method B), each effect exactly once', async () => {
    const users = Array.from({ length: 5 }, (_, i) => journey({ kycAtStart: i % 2 === 0 }));
    const views = await Promise.all(users.map((j) => j.run()));

    const userIds = new Set<number>();
    for (const [i, j] of users.entries()) {
      const view = views[i]!;
      expectCompletedWithIds(view, j);
      userIds.add(view.ids.userId!);
      const effects = await effectsOf(j);
      expect(effects.userId).toBe(view.ids.userId);
      expectExactlyOnce(effects, 'B');
      // The steps the user went through, in order, each once.
      const steps = view.timeline.map((t) => t.step);
      for (const step of ['userCreated', 'emailConfirmed', 'phoneVerified', 'identificationVerified', 'documentsSigned', 'identificationFinalized', 'partnerAccountCreated', 'partnerKycApproved#1', 'partnerVerificationRequested', 'partnerAccountActive']) {
        expect(steps.filter((s) => s === step), step).toHaveLength(1);
      }
      // The ops view agrees, and the partner account is active at P100.
      const ops = await call(stack.apiUrl, 'GET', `/onboardings/${j.onboardingId}`, { token: OPS_API_KEY });
      expect(ops.status).toBe(200);
      expect(ops.body.ids).toMatchObject({ userId: view.ids.userId, individualId: view.ids.individualId, correlationId: view.ids.correlationId });
      expect(await stack.control.partnerUser(j.onboardingId)).toMatchObject({ verified: true });
      // Every webhook P100 sent for this user was taken by the API (200), none left failing.
      const hooks = await stack.control.webhooks(j.onboardingId);
      expect(hooks.map((h) => h.type).sort()).toEqual(['kyc-verification-status', 'user-status']);
      expect(hooks.every((h) => h.delivered && h.lastStatus === 200)).toBe(true);
    }
    expect(userIds.size).toBe(5);
  });

  it('completes with P100 method A: the KYC files are uploaded through POST /onboardings/{id}/files', async () => {
    stack.setSettingsOverrides({ partnerKycMethod: 'A' });
    let j: Journey;
    try {
      j = journey({ method: 'A' });
      await j.start();
    } finally {
      stack.setSettingsOverrides({});
    }
    await j.confirmEmail();
    await j.enterSmsCode();
    await j.identifyAndSign();
    await j.partnerKycA();
    const view = await j.waitForStage('COMPLETED');
    expectCompletedWithIds(view, j);
    const effects = await effectsOf(j);
    expectExactlyOnce(effects, 'A');
    expect((await stack.control.partnerUser(j.onboardingId)).kycFiles).toBe(2);
    expect(view.timeline.map((t) => t.step)).toContain('partnerKycFilesUploaded#1');
  });

  it('stays exactly-once under duplicates: webhooks delivered three times, codes sent twice, redirects relayed again', async () => {
    const j = journey({ retryCodes: true, duplicateRedirects: true });
    await j.start();
    await stack.control.setSwitch({ name: 'webhookDuplicate', externalUserId: j.onboardingId, copies: 3 });
    await j.confirmEmail();
    await j.enterSmsCode();
    await j.identifyAndSign();
    await j.partnerKycB();
    const view = await j.waitForStage('COMPLETED');
    expectCompletedWithIds(view, j);
    const effects = await effectsOf(j);
    expectExactlyOnce(effects, 'B');

    // The duplicates did reach the API: every P100 event three times, each one answered 200.
    const hooks = await stack.control.webhooks(j.onboardingId);
    expect(hooks.filter((h) => h.type === 'kyc-verification-status')).toHaveLength(3);
    expect(hooks.filter((h) => h.type === 'user-status')).toHaveLength(3);
    expect(hooks.every((h) => h.delivered && h.lastStatus === 200)).toBe(true);

    // Each code was checked once and the user went through each step once.
    const steps = view.timeline.map((t) => t.step);
    for (const step of ['emailConfirmed', 'phoneVerified', 'identificationVerified', 'documentsSigned', 'partnerKycApproved#1', 'partnerAccountActive']) {
      expect(steps.filter((s) => s === step), step).toHaveLength(1);
    }
    expect(view.attemptsLeft).toEqual({ emailCode: 5, smsCode: 5 });
    // Five redirects relayed, each one seen by the workflow; the identification counted once.
    const redirects = steps.filter((s) => s.startsWith('redirect:'));
    expect(j.relayed).toHaveLength(5);
    expect(redirects).toHaveLength(5);
    expect(redirects.filter((s) => s === 'redirect:success:A')).toHaveLength(1);
    expect(redirects.filter((s) => s === 'redirect:success:B').length).toBeLessThanOrEqual(1);
  });

  it('the signing redirect drives the signing phase: it is not mistaken for a repeat of the identification redirect', async () => {
    // With the background polling slow (as in production: 30 s), only the relayed redirect moves
    // the onboarding on quickly; Borica's redirects carry the same bTrustAppCallBackId both times.
    stack.setSettingsOverrides({ identificationBackgroundPollInterval: '10m' });
    let j: Journey;
    try {
      j = journey();
      await j.start();
    } finally {
      stack.setSettingsOverrides({});
    }
    await j.confirmEmail();
    await j.enterSmsCode();
    const identification = await j.borica('IDENTIFICATION');
    const signing = await j.borica('DOCUMENT_SIGNING');
    expect(signing).toEqual(identification); // the sandbox's Borica: one callback id per user
    const seen = await j.waitFor('the signing redirect in the timeline', (v) => v.timeline.filter((t) => t.step.startsWith('redirect:')).length === 2);
    expect(seen.timeline.filter((t) => t.step.startsWith('redirect:')).map((t) => t.step)).toEqual(['redirect:success:A', 'redirect:success:B']);
    await j.partnerKycB();
    expect((await j.waitForStage('COMPLETED')).stage).toBe('COMPLETED');
  });

  it('a lost create-user response ends the onboarding FAILED (EmailAlreadyRegistered), flagged for ops, with one user at 10nPay', async () => {
    const person = newPerson();
    await stack.control.setSwitch({ name: 'responseLost', endpoint: 'tennpay.createUser', email: person.email, times: 1 });
    const j = new Journey(stack.apiUrl, stack.control, person);
    await j.start();
    const view = await j.waitForEnd();
    expect(view).toMatchObject({ stage: 'FAILED', reason: 'EmailAlreadyRegistered', needsAttention: true, nextAction: { type: 'NONE' } });
    const effects = await stack.control.counters({ email: person.email });
    expect(effects.usersCreated).toBe(1);
    expect(effects.emailCodesSent).toBe(1);
    // Never stuck: the answer is final, and no further provider call happened.
    expect(effects.smsCodesSent).toBe(0);
  });

  it('keeps personal data out of Temporal in plain text: history, workflow id, search attributes and memo', async () => {
    const j = journey({ kycAtStart: false });
    const view = await j.run();
    expect(view.stage).toBe('COMPLETED');
    const workflowId = workflowIdFor(j.onboardingId);

    // The raw history, as the server keeps it, read with no codec at all.
    const events: proto.api.history.v1.IHistoryEvent[] = [];
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await stack.temporal.connection.workflowService.getWorkflowExecutionHistory({
        namespace: stack.namespace,
        execution: { workflowId },
        nextPageToken,
      });
      events.push(...(page.history?.events ?? []));
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken);
    const historyBytes = Buffer.from(proto.api.history.v1.History.encode({ events }).finish());
    const historyJson = JSON.stringify(proto.api.history.v1.History.toObject(proto.api.history.v1.History.decode(historyBytes), { bytes: String, longs: String, enums: String }));

    const described = await stack.temporal.connection.workflowService.describeWorkflowExecution({ namespace: stack.namespace, execution: { workflowId } });
    const descriptionBytes = Buffer.from(proto.api.workflowservice.v1.DescribeWorkflowExecutionResponse.encode(described).finish());
    // What visibility shows without any key: the id, the search attributes (plain JSON payloads by
    // nature) and the memo (encrypted payloads; read as raw bytes here).
    const info = described.workflowExecutionInfo!;
    const plainPayloads = (fields: Record<string, proto.api.common.v1.IPayload> | null | undefined) =>
      Object.fromEntries(Object.entries(fields ?? {}).map(([k, p]) => [k, Buffer.from(p.data ?? new Uint8Array()).toString('utf8')]));
    const visible = JSON.stringify({
      workflowId: info.execution?.workflowId,
      searchAttributes: plainPayloads(info.searchAttributes?.indexedFields),
      memo: plainPayloads(info.memo?.fields),
    });
    expect(visible).toContain('"OnboardingStage":"\\"COMPLETED\\""');

    const { person, record } = { person: j.person, record: j.person.record };
    const secrets: Record<string, string> = {
      email: person.email,
      phone: person.phoneNumber,
      phoneDigits: person.phoneNumber.slice(1),
      firstName: record.person.firstName,
      lastName: record.person.lastName,
      documentNumber: record.document.number,
      personalNumber: record.person.personalNumber,
      emailCode: j.codes.email[0]!,
      smsCode: j.codes.sms[0]!,
    };
    expect(j.codes.email).toHaveLength(1);
    expect(j.codes.sms).toHaveLength(1);
    for (const [what, value] of Object.entries(secrets)) {
      expect(historyBytes.includes(Buffer.from(value, 'utf8')), `${what} in the raw history`).toBe(false);
      expect(historyJson.includes(value), `${what} in the history as JSON`).toBe(false);
      expect(descriptionBytes.includes(Buffer.from(value, 'utf8')), `${what} in the description`).toBe(false);
      expect(visible.includes(value), `${what} in the id, memo or search attributes`).toBe(false);
    }

    // The search is not vacuous: the same history, decrypted with the service's key, holds them.
    const started = events[0]!.workflowExecutionStartedEventAttributes!;
    const codec = new EncryptionCodec(stack.env.PAYLOAD_ENCRYPTION_KEY!, []);
    const decoded = await codec.decode(started.input!.payloads!);
    const plain = decoded.map((p) => Buffer.from(p.data ?? new Uint8Array()).toString('utf8')).join('');
    expect(plain).toContain(person.email);
    expect(plain).toContain(person.phoneNumber);
    expect(historyBytes.includes(Buffer.from('onboardingWorkflow'))).toBe(true);
  });
});
