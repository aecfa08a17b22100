// The rules of a start for a person who may have been here before (CONTRACT part 4): which earlier
// onboarding is gone on with, which ends allow no second try, and what a row without a workflow means.
import { describe, expect, it } from 'vitest';
import type { RecordedOnboarding } from '../../record/changes';
import { decidePersonStart, type Execution, NOT_RESUMABLE_FAILURES, START_GRACE_MS } from './person-start';

const NOW = Date.parse('2026-12-02T10:00:00Z');
let n = 0;
function onboarding(o: Partial<RecordedOnboarding> & Pick<RecordedOnboarding, 'stage'>): RecordedOnboarding {
  n++;
  const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const ended = ['COMPLETED', 'FAILED', 'CANCELLED', 'ABANDONED'].includes(o.stage);
  return {
    onboardingId: id,
    userType: 'INDIVIDUAL',
    stageEnteredAt: new Date(NOW - 3_600_000).toISOString(),
    ids: {},
    createdAt: new Date(NOW - 3_600_000).toISOString(),
    updatedAt: new Date(NOW - 3_600_000).toISOString(),
    lastSeq: 3,
    ...(ended ? { endedAt: new Date(NOW - 60_000).toISOString() } : {}),
    ...o,
  };
}
const temporal = (executions: Record<string, Execution> = {}) => async (id: string) => executions[id] ?? 'NOT_FOUND';

describe('a start for a person', () => {
  it('is new when the record knows nobody with the e-mail', async () => {
    expect(await decidePersonStart([], ['x'], temporal(), NOW)).toEqual({ kind: 'new', forget: [] });
  });

  it('goes on with the newest onboarding that created the 10nPay user and ended ABANDONED, CANCELLED or FAILED for a provider', async () => {
    for (const [stage, reason] of [['ABANDONED', 'CodeWaitTimedOut'], ['CANCELLED', 'customer asked'], ['FAILED', 'PhoneAlreadyRegistered'], ['FAILED', 'NotEligibleForIdentification']] as const) {
      const older = onboarding({ stage: 'ABANDONED', ids: { userId: 7 } });
      const latest = onboarding({ stage, reason, ids: { userId: 7 } });
      expect(await decidePersonStart([latest, older], [], temporal(), NOW)).toEqual({
        kind: 'new',
        resume: { onboardingId: latest.onboardingId, userId: 7 },
        forget: [],
      });
    }
  });

  it('does not try the same 10nPay user again after a failure of the person (codes, identification, P100 KYC, document)', async () => {
    for (const reason of NOT_RESUMABLE_FAILURES) {
      const failed = onboarding({ stage: 'FAILED', reason, ids: { userId: 7 } });
      const olderAbandoned = onboarding({ stage: 'ABANDONED', ids: { userId: 7 } });
      expect(await decidePersonStart([failed, olderAbandoned], [], temporal(), NOW), reason).toEqual({ kind: 'new', forget: [] });
    }
  });

  it('skips earlier onboardings that never created a 10nPay user (EmailAlreadyRegistered)', async () => {
    const noUser = onboarding({ stage: 'FAILED', reason: 'EmailAlreadyRegistered' });
    const withUser = onboarding({ stage: 'CANCELLED', ids: { userId: 9 } });
    expect(await decidePersonStart([noUser, withUser], [], temporal(), NOW)).toMatchObject({ resume: { onboardingId: withUser.onboardingId, userId: 9 } });
    expect(await decidePersonStart([noUser], [], temporal(), NOW)).toEqual({ kind: 'new', forget: [] });
  });

  it('refuses with the COMPLETED onboarding, and with a running one', async () => {
    const completed = onboarding({ stage: 'COMPLETED', ids: { userId: 1 } });
    const abandoned = onboarding({ stage: 'ABANDONED', ids: { userId: 1 } });
    expect(await decidePersonStart([abandoned, completed], [], temporal(), NOW)).toEqual({ kind: 'completed', onboardingId: completed.onboardingId });
    const running = onboarding({ stage: 'AWAITING_SMS_CODE', ids: { userId: 2 } });
    expect(await decidePersonStart([running, abandoned], [], temporal({ [running.onboardingId]: 'RUNNING' }), NOW)).toEqual({
      kind: 'running',
      onboardingId: running.onboardingId,
    });
  });

  it('leaves a start of the same Idempotency-Key or externalRef to the repeat rules', async () => {
    const completed = onboarding({ stage: 'COMPLETED' });
    expect(await decidePersonStart([completed], ['other', completed.onboardingId], temporal(), NOW)).toEqual({ kind: 'repeat', onboardingId: completed.onboardingId });
  });

  it('counts a workflow closed without an end stage (terminated) as over, and goes on with its user', async () => {
    const terminated = onboarding({ stage: 'AWAITING_KYC_DATA', ids: { userId: 5 } });
    expect(await decidePersonStart([terminated], [], temporal({ [terminated.onboardingId]: 'CLOSED' }), NOW)).toMatchObject({
      kind: 'new',
      resume: { onboardingId: terminated.onboardingId, userId: 5 },
    });
  });

  it('waits for a start written a moment ago whose workflow Temporal does not show yet, and forgets one that never got there', async () => {
    const fresh = onboarding({ stage: 'CREATING_USER', lastSeq: 0, createdAt: new Date(NOW - 1_000).toISOString() });
    expect(await decidePersonStart([fresh], [], temporal(), NOW)).toEqual({ kind: 'running', onboardingId: fresh.onboardingId });
    const lost = onboarding({ stage: 'CREATING_USER', lastSeq: 0, createdAt: new Date(NOW - START_GRACE_MS - 1_000).toISOString() });
    expect(await decidePersonStart([lost], [], temporal(), NOW)).toEqual({ kind: 'new', forget: [lost.onboardingId] });
  });
});
