// Records the committed history fixtures (test/fixtures/histories/*.json) that `replay-check` and
// the tests replay: onboardings run by the real workflow on a throw-away Temporal dev server, with
// the in-memory provider stand-ins (test/support/fake-providers.ts) and fictitious applicants, taken
// to each stage; each history is saved in Temporal's JSON form. Payloads are encrypted with
// FIXTURE_ENCRYPTION_KEY, a test key that protects nothing (the data is fictitious) but keeps every
// value out of the files in plain text, as in production.
//
//   npx tsx src/ops/record-history-fixtures.ts [outDir]     (default test/fixtures/histories)
//
// Re-record after a deliberate, patched change of the workflow only if the new fixtures are wanted
// in addition to the old ones: old histories are what running onboardings look like.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { type OnboardingInput, type OnboardingSettings, type OnboardingView, type Stage, workflowIdFor } from '../domain/onboarding';
import { kycRecordSchema } from '../domain/kyc-record';
import { createDataConverter } from '../temporal/data-converter';
import { FIXTURE_ENCRYPTION_KEY } from './fixture-key';
import { historyToJson } from './replay';
import { WORKFLOWS_PATH } from '../worker/worker';
import {
  boricaRedirectReceived,
  cancelOnboarding,
  onboardingView,
  partnerEventReceived,
  submitEmailCode,
  submitKycData,
  submitSmsCode,
} from '../workflows/messages';
import { FakeProviders } from '../../test/support/fake-providers';
import { testKycRecord, testSettings } from '../../test/support/fixtures';
import { createDevServerEnv } from '../../test/support/temporal';

export const fixtureTemporalConfig = { PAYLOAD_ENCRYPTION_KEY: FIXTURE_ENCRYPTION_KEY, PAYLOAD_ENCRYPTION_OLD_KEYS: [] as string[] };
export const DEFAULT_FIXTURES_DIR = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'histories');

const TASK_QUEUE = 'history-fixtures';
const DOWN_QUEUE = 'history-fixtures-provider-down';

async function main(outDir = DEFAULT_FIXTURES_DIR): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const env = await createDevServerEnv();
  const client = new Client({ connection: env.connection, namespace: 'default', dataConverter: createDataConverter(fixtureTemporalConfig) });
  const providers = new FakeProviders();
  const down = new FakeProviders();
  const workers = await Promise.all(
    [
      [TASK_QUEUE, providers],
      [DOWN_QUEUE, down],
    ].map(([taskQueue, p]) =>
      Worker.create({
        connection: env.nativeConnection,
        namespace: 'default',
        taskQueue: taskQueue as string,
        workflowsPath: WORKFLOWS_PATH,
        activities: (p as FakeProviders).activities(),
        dataConverter: createDataConverter(fixtureTemporalConfig),
        shutdownGraceTime: '1s',
      }),
    ),
  );
  const running = workers.map((w) => w.run());
  const written: string[] = [];
  try {
    let n = 0;
    const start = async (
      settings: Partial<OnboardingSettings>,
      taskQueue = TASK_QUEUE,
      more: (input: OnboardingInput) => OnboardingInput = (input) => input,
    ): Promise<OnboardingInput> => {
      n++;
      const input: OnboardingInput = more({
        onboardingId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
        email: `fixture-${n}@example.test`,
        phoneNumber: `+3598800000${String(n).padStart(2, '0')}`,
        userType: 'INDIVIDUAL',
        settings: testSettings({ identificationPollInterval: '1s', identificationBackgroundPollInterval: '1s', ...settings }),
      });
      await client.workflow.start('onboardingWorkflow', { workflowId: workflowIdFor(input.onboardingId), taskQueue, args: [input] });
      return input;
    };
    const handle = (input: OnboardingInput) => client.workflow.getHandle(workflowIdFor(input.onboardingId));
    const waitFor = async (input: OnboardingInput, ok: (v: OnboardingView) => boolean, what: string) => {
      for (const deadline = Date.now() + 30_000; ; ) {
        const v = await handle(input).query(onboardingView).catch(() => undefined);
        if (v && ok(v)) return v;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const stage = (input: OnboardingInput, s: Stage) => waitFor(input, (v) => v.stage === s, s);
    const save = async (input: OnboardingInput, name: string) => {
      const history = await handle(input).fetchHistory();
      const file = path.join(outDir, `${name}.json`);
      writeFileSync(file, `${JSON.stringify(historyToJson(history), null, 1)}\n`);
      written.push(file);
    };

    // The whole journey, saved at each stage.
    const a = await start({});
    await stage(a, 'AWAITING_EMAIL_CODE');
    await save(a, 'awaiting-email-code');
    await handle(a).executeUpdate(submitEmailCode, { args: [{ code: '111111' }] });
    await waitFor(a, (v) => v.nextAction.type === 'ENTER_SMS_CODE', 'the SMS code');
    await save(a, 'awaiting-sms-code');
    await handle(a).executeUpdate(submitSmsCode, { args: [{ code: '222222' }] });
    await stage(a, 'AWAITING_KYC_DATA');
    await save(a, 'awaiting-kyc-data');
    await handle(a).executeUpdate(submitKycData, { args: [testKycRecord('TST0000001')] });
    await stage(a, 'AWAITING_IDENTIFICATION');
    await save(a, 'awaiting-identification');
    providers.setStatus(a.email, 'SIGN_SESSION_ID_SUCCESSFULLY_CREATED', 'https://borica.test/sign/1');
    await handle(a).signal(boricaRedirectReceived, { outcome: 'success', query: {} });
    await stage(a, 'AWAITING_SIGNATURE');
    await save(a, 'awaiting-signature');
    providers.setStatus(a.email, 'DOCUMENT_SIGN_SUCCESS');
    await handle(a).signal(boricaRedirectReceived, { outcome: 'success', query: { bTrustAppCallBackId: 'callback-fixture' } });
    const kyc = await waitFor(a, (v) => v.stage === 'AWAITING_PARTNER_KYC' && v.ids.verificationId !== undefined, 'partner KYC');
    await save(a, 'awaiting-partner-kyc');
    await handle(a).signal(partnerEventReceived, {
      type: 'kyc-verification-status',
      payload: { externalUserId: a.onboardingId, verificationId: kyc.ids.verificationId!, status: 'APPROVED' },
    });
    await waitFor(a, (v) => v.timeline.some((t) => t.step === 'partnerVerificationRequested'), 'verification requested');
    await save(a, 'verifying-partner-account');
    await handle(a).signal(partnerEventReceived, { type: 'user-status', payload: { externalUserId: a.onboardingId, status: 'ACTIVE' } });
    await stage(a, 'COMPLETED');
    await handle(a).result();
    await save(a, 'completed');

    // A provider down: the step flagged for ops, retrying slowly.
    down.failures.createUser = Array<string>(1_000).fill('ProviderUnavailable');
    const b = await start({ stepAttentionAfter: '2s', stepSlowRetryInterval: '1h' }, DOWN_QUEUE);
    await waitFor(b, (v) => v.needsAttention, 'needs attention');
    await save(b, 'creating-user-needs-attention');

    // An identification that never completes: the poll cap ends the attempt; a restart is offered.
    const c = await start({ identificationPollCap: '2s', kycDataSubmissionPoint: 'AFTER_PHONE_VERIFIED' });
    await stage(c, 'AWAITING_EMAIL_CODE');
    await handle(c).executeUpdate(submitEmailCode, { args: [{ code: '111111' }] });
    await waitFor(c, (v) => v.nextAction.type === 'ENTER_SMS_CODE', 'the SMS code');
    await handle(c).executeUpdate(submitSmsCode, { args: [{ code: '222222' }] });
    await stage(c, 'AWAITING_KYC_DATA');
    await handle(c).executeUpdate(submitKycData, { args: [testKycRecord('TST0000002')] });
    await stage(c, 'AWAITING_IDENTIFICATION');
    await handle(c).signal(boricaRedirectReceived, { outcome: 'success', query: {} });
    await stage(c, 'IDENTIFICATION_FAILED');
    await save(c, 'identification-failed');

    // Cancelled by ops.
    const d = await start({});
    await stage(d, 'AWAITING_EMAIL_CODE');
    await handle(d).executeUpdate(cancelOnboarding, { args: [{ requestedBy: 'fixtures', reason: 'fixture cancelled' }] });
    await handle(d).result();
    await save(d, 'cancelled');

    // A person who comes back: the 10nPay user of an earlier onboarding, e-mail and phone verified
    // there, so the onboarding goes from 10nPay's status straight to identification.
    const e = await start({ kycDataSubmissionPoint: 'BEFORE_FINALIZE' }, TASK_QUEUE, (input) => ({
      ...input,
      profile: kycRecordSchema.parse(testKycRecord('TST0000003')),
      resume: { onboardingId: '00000000-0000-4000-8000-0000000000ee', userId: providers.existingUser(input.email, { emailVerified: true, phoneVerified: true }) },
    }));
    await stage(e, 'AWAITING_IDENTIFICATION');
    await save(e, 'resumed-awaiting-identification');

    for (const input of [b, c, e]) await handle(input).terminate('fixtures recorded');
  } finally {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.allSettled(running);
    await env.teardown();
  }
  process.stdout.write(`${written.map((f) => path.relative(process.cwd(), f)).join('\n')}\n`);
}

if (require.main === module) {
  main(process.argv[2] ? path.resolve(process.argv[2]) : undefined).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
