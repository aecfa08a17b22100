// The stack the ops tests drive (the failing-step end-to-end test and the console in Chromium):
// the whole service (test/e2e/stack.ts) with a real PostgreSQL record, and provider steps flagged
// for ops after `stepAttentionAfter` whose slow retries are an hour apart, so that only an ops retry
// moves a failing step on within a test.
import type { OnboardingSettings } from '../../src/domain/onboarding';
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
