// Whom a start is for (CONTRACT part 4, "A person who comes back"): given the onboardings the
// record knows for the start's e-mail, decides whether the start is a new onboarding, goes on with
// the 10nPay user an earlier onboarding created (resumedFrom), or is refused with the onboarding
// that stands in its way. The API runs it under the record's per-e-mail lock (startForPerson), so
// two starts for one e-mail at the same moment are decided one after the other.
import type { RecordedOnboarding } from '../../record/changes';

/**
 * FAILED reasons after which the same 10nPay user is not tried again: the person's own doing
 * (codes exhausted or blocked, identification or P100's KYC given up, a document another user
 * holds), or 10nPay no longer knowing the user. Any other FAILED (a provider's or our own
 * failure, a phone number someone else holds), ABANDONED and CANCELLED can be resumed.
 */
export const NOT_RESUMABLE_FAILURES: ReadonlySet<string> = new Set([
  'EmailCodeAttemptsExceeded',
  'SmsCodeAttemptsExceeded',
  'EmailCodeBlocked',
  'SmsCodeBlocked',
  'IdentificationRestartsExhausted',
  'PartnerKycAttemptsExhausted',
  'PartnerDocumentNumberUsed',
  'UnknownUserAtFinalize',
  'ReturningUserUnknown',
]);

/** Where Temporal has an onboarding the record shows as not ended. */
export type Execution = 'RUNNING' | 'CLOSED' | 'NOT_FOUND';

/** A row the API wrote at a start is given this long to reach Temporal before it counts as lost. */
export const START_GRACE_MS = 2 * 60_000;

export type PersonStart =
  /** A start the same Idempotency-Key or externalRef made: the usual repeat rules answer it. */
  | { kind: 'repeat'; onboardingId: string }
  | { kind: 'completed'; onboardingId: string }
  | { kind: 'running'; onboardingId: string }
  | { kind: 'new'; resume?: { onboardingId: string; userId: number }; forget: string[] };

/**
 * `found`: the person's onboardings, newest first; `candidates`: the ids this start's
 * Idempotency-Key or externalRef stand for; `executionOf` asks Temporal about one not ended.
 */
export async function decidePersonStart(
  found: readonly RecordedOnboarding[],
  candidates: readonly string[],
  executionOf: (onboardingId: string) => Promise<Execution>,
  now = Date.now(),
): Promise<PersonStart> {
  const repeat = found.find((o) => candidates.includes(o.onboardingId));
  if (repeat) return { kind: 'repeat', onboardingId: repeat.onboardingId };
  const completed = found.find((o) => o.stage === 'COMPLETED');
  if (completed) return { kind: 'completed', onboardingId: completed.onboardingId };

  const forget: string[] = [];
  /** Ended ones, and ones whose workflow closed without an end stage (terminated, failed). */
  const over: RecordedOnboarding[] = [];
  for (const o of found) {
    if (o.endedAt) {
      over.push(o);
      continue;
    }
    const execution = await executionOf(o.onboardingId);
    if (execution === 'RUNNING') return { kind: 'running', onboardingId: o.onboardingId };
    if (execution === 'NOT_FOUND' && o.lastSeq === 0) {
      // A start written here whose workflow Temporal does not have: still on its way, or lost.
      if (now - Date.parse(o.createdAt) < START_GRACE_MS) return { kind: 'running', onboardingId: o.onboardingId };
      forget.push(o.onboardingId);
      continue;
    }
    over.push(o);
  }
  // The newest onboarding that reached 10nPay decides: its user, if its end allows another try.
  const latest = over.find((o) => o.ids.userId !== undefined);
  if (latest && !(latest.stage === 'FAILED' && latest.reason !== undefined && NOT_RESUMABLE_FAILURES.has(latest.reason))) {
    return { kind: 'new', resume: { onboardingId: latest.onboardingId, userId: latest.ids.userId! }, forget };
  }
  return { kind: 'new', forget };
}
