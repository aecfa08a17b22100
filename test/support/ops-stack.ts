// The stack the ops tests drive (the failing-step end-to-end test and the console in Chromium):
// the whole service (test/e2e/stack.ts) with a real PostgreSQL record, and provider steps flagged
// for ops after `stepAttentionAfter` whose slow retries are an hour apart, so that only an ops retry
// moves a failing step on within a test.
import type { OnboardingSettings } from '../../src/domain/onboarding';
import { Journey, newPerson } from '../e2e/journey';
import { type Stack, type StackOptions, startStack } from '../e2e/stack';
import { type TestPostgres, startTestPostgres } from './postgres';

export interface OpsStack {
  stack: Stack;
  pg: TestPostgres;
  /** Stops the stack, then PostgreSQL (each only if it started). */
  close(): Promise<void>;
}

export async function startOpsStack({ stepAttentionAfter, env }: { stepAttentionAfter: OnboardingSettings['stepAttentionAfter']; env?: StackOptions['env'] }): Promise<OpsStack> {
  const pg = await startTestPostgres();
  let stack: Stack | undefined;
  try {
    stack = await startStack({ databaseUrl: pg.url, ...(env ? { env } : {}) });
  } catch (err) {
    await pg.stop();
    throw err;
  }
  stack.setSettingsOverrides({ stepAttentionAfter, stepSlowRetryInterval: '1h' });
  return {
    stack,
    pg,
    async close() {
      await stack?.close();
      await pg.stop();
    },
  };
}

/**
 * A new person whose finalize the sandbox's 10nPay answers 503 every time (until the switch is
 * removed), driven to FINALIZING: the failing provider step the ops tests act on.
 */
export async function onboardingWithFailingFinalize(stack: Stack): Promise<{ journey: Journey; switchId: string }> {
  const person = newPerson();
  const fault = await stack.control.setSwitch({ name: 'serverError', endpoint: 'tennpay.finalize', email: person.email, status: 503 });
  const journey = new Journey(stack.apiUrl, stack.control, person);
  await journey.start();
  await journey.confirmEmail();
  await journey.enterSmsCode();
  await journey.identifyAndSign();
  await journey.waitForStage('FINALIZING');
  return { journey, switchId: fault.id };
}
