// In-memory stand-ins for the provider activities, for workflow tests on the time-skipping
// server: they answer like the activities do (the same failure types, retryable or not), so the
// workflow's branches can be driven one by one. End-to-end tests use the real activities and the
// HTTP sandbox instead.
import { isEndStage } from '../../src/domain/onboarding';
import { ApplicationFailure } from '@temporalio/common';
import type { IdentificationStatus, OnboardingActivities, TennpayUserProgress } from '../../src/activities/types';
import type { RecordActivities } from '../../src/record/activity';
import type { RecordChange } from '../../src/record/changes';
import { FailureType } from '../../src/domain/failures';

interface FakeUser {
  userId: number;
  email: string;
  emailCode: string;
  smsCode: string;
  status: string | null;
  url: string | null;
  statusReads: number;
  /** What GET /User/{id}/status answers (a user created here starts with nothing verified). */
  progress: TennpayUserProgress;
}

const NOTHING_VERIFIED: TennpayUserProgress = { emailVerified: false, phoneVerified: false, additionalData: false, identified: false };

const business = (type: string, message = type) => ApplicationFailure.create({ type, message, nonRetryable: true });
// Like the real clients' failures (src/activities/provider-failures.ts): the provider, the operation and its HTTP status.
const TRANSIENT_STATUS: Record<string, number> = { [FailureType.ProviderUnavailable]: 503, [FailureType.RateLimited]: 429 };
const transient = (type: string, operation: string, message = type) =>
  ApplicationFailure.create({ type, message, details: [{ provider: 'tennpay', operation, httpStatus: TRANSIENT_STATUS[type] ?? 400 }] });

export class FakeProviders {
  readonly users = new Map<number, FakeUser>();
  readonly calls: Record<string, number> = {};
  /** Onboardings whose end reached recordChanges (where the worker deletes their files). */
  readonly endsRecorded: string[] = [];
  /** Every change handed to recordChanges, in order (what the record would append). */
  readonly changes: RecordChange[] = [];
  /** Scripted failures, consumed one per call: an activity name → failure types to throw in order. */
  readonly failures: Record<string, string[]> = {};
  /** Emails whose creation answers EmailAlreadyRegistered. */
  readonly registeredEmails = new Set<string>();
  /** Create User Account's answer; `null`s model an answer lost before the retry that met P410. */
  partnerAccountAnswer: { partnerUserId: string | null; poaRequiredForExtended: boolean | null; alreadyExisted: boolean } = {
    partnerUserId: 'p100-user',
    poaRequiredForExtended: false,
    alreadyExisted: false,
  };
  private nextUserId = 1000;
  private readonly holds = new Map<keyof OnboardingActivities, { entered: () => void; released: Promise<void>; skip: number }>();

  /** A 10nPay user an earlier onboarding created, with what 10nPay already has of it. */
  existingUser(email: string, progress: Partial<TennpayUserProgress> = {}): number {
    const userId = this.nextUserId++;
    this.registeredEmails.add(email);
    this.users.set(userId, {
      userId, email, emailCode: '111111', smsCode: '222222', statusReads: 0,
      // Identified: Borica's last status stays DOCUMENT_SIGN_SUCCESS (finalize answers again).
      status: progress.identified ? 'DOCUMENT_SIGN_SUCCESS' : null, url: null,
      progress: { ...NOTHING_VERIFIED, ...progress },
    });
    return userId;
  }

  byEmail(email: string): FakeUser {
    const user = [...this.users.values()].find((u) => u.email === email);
    if (!user) throw new Error(`no fake user for ${email}`);
    return user;
  }

  /** Moves a user's identification status, as Borica would after the user pressed a button. */
  setStatus(email: string, status: string, url: string | null = null): void {
    const user = this.byEmail(email);
    user.status = status;
    user.url = url;
  }

  failNext(activity: keyof OnboardingActivities, ...types: string[]): void {
    (this.failures[activity] ??= []).push(...types);
  }

  /**
   * Holds the next call of an activity (or the one `after` calls later) until `release` is called:
   * `entered` settles once the call is running, so a test can make something happen while a
   * provider call is in flight.
   */
  hold(activity: keyof OnboardingActivities, { after = 0 }: { after?: number } = {}): { entered: Promise<void>; release: () => void } {
    let entered!: () => void;
    let release!: () => void;
    const enteredP = new Promise<void>((r) => (entered = r));
    const released = new Promise<void>((r) => (release = r));
    this.holds.set(activity, { entered, released, skip: after });
    return { entered: enteredP, release };
  }

  private async held(activity: keyof OnboardingActivities): Promise<void> {
    const hold = this.holds.get(activity);
    if (!hold) return;
    if (hold.skip > 0) {
      hold.skip--;
      return;
    }
    this.holds.delete(activity);
    hold.entered();
    await hold.released;
  }

  private async enter(activity: keyof OnboardingActivities): Promise<void> {
    await this.held(activity);
    this.calls[activity] = (this.calls[activity] ?? 0) + 1;
    const scripted = this.failures[activity]?.shift();
    if (!scripted) return;
    // "PartnerValidation:document": a P100 validation error naming a field of the document.
    const [type, identitySection] = scripted.split(':') as [string, string | undefined];
    if (identitySection) {
      throw ApplicationFailure.create({
        type,
        message: `${identitySection} field refused`,
        nonRetryable: true,
        details: [{ provider: 'partner', operation: activity, identitySections: [identitySection] }],
      });
    }
    const retryable = [FailureType.ProviderUnavailable, FailureType.RateLimited, FailureType.IdentificationNotCompleted].includes(
      type as never,
    );
    throw retryable ? transient(type, activity) : business(type);
  }

  private user(userId: number): FakeUser {
    const user = this.users.get(userId);
    if (!user) throw business(FailureType.UnknownUser);
    return user;
  }

  private statusOf(user: FakeUser): IdentificationStatus {
    user.statusReads++;
    return { status: user.status, url: user.url };
  }

  /** The provider activities, and the record's (a no-op: these workers have no record). */
  activities(): OnboardingActivities & RecordActivities {
    return {
      // No record here; the ends it was handed are counted (the real activity deletes their files).
      recordChanges: async (changes) => {
        this.changes.push(...changes);
        for (const c of changes) if (isEndStage(c.stage)) this.endsRecorded.push(c.onboardingId);
      },
      createUser: async ({ email }) => {
        await this.enter('createUser');
        if (this.registeredEmails.has(email)) throw business(FailureType.EmailAlreadyRegistered);
        const userId = this.nextUserId++;
        this.registeredEmails.add(email);
        this.users.set(userId, { userId, email, emailCode: '111111', smsCode: '222222', status: null, url: null, statusReads: 0, progress: { ...NOTHING_VERIFIED } });
        return { userId };
      },
      getUserStatus: async ({ userId }) => {
        await this.enter('getUserStatus');
        return { ...this.user(userId).progress };
      },
      sendEmailConfirmation: async ({ userId }) => {
        await this.enter('sendEmailConfirmation');
        this.user(userId).emailCode = '111112';
      },
      confirmEmail: async ({ userId, code }) => {
        await this.enter('confirmEmail');
        if (this.user(userId).emailCode !== code) throw business(FailureType.InvalidCode);
      },
      sendSmsCode: async ({ userId }) => {
        await this.enter('sendSmsCode');
        this.user(userId);
      },
      resendSmsCode: async ({ userId }) => {
        await this.enter('resendSmsCode');
        this.user(userId).smsCode = '222223';
      },
      verifyPhone: async ({ userId, code }) => {
        await this.enter('verifyPhone');
        if (this.user(userId).smsCode !== code) throw business(FailureType.InvalidCode);
      },
      addAdditionalData: async ({ userId }) => {
        await this.enter('addAdditionalData');
        this.user(userId);
      },
      initiateIdentification: async ({ userId }) => {
        await this.enter('initiateIdentification');
        const user = this.user(userId);
        user.status = 'PROCESSING';
        user.url = null;
        return { url: `https://borica.test/identification/${userId}` };
      },
      getIdentificationStatus: async ({ userId }) => {
        await this.enter('getIdentificationStatus');
        return this.statusOf(this.user(userId));
      },
      awaitIdentificationStatus: async ({ userId, target }) => {
        await this.enter('awaitIdentificationStatus');
        const status = this.statusOf(this.user(userId));
        if (status.status === target || status.status === 'DOCUMENT_SIGN_SUCCESS') return status;
        if (status.status === 'PROCESSING' || status.status === 'SIGN_SESSION_ID_SUCCESSFULLY_CREATED' || status.status === null) {
          throw transient(FailureType.IdentificationPending, 'awaitIdentificationStatus', `status ${status.status}`);
        }
        throw business(FailureType.IdentificationFailed, `status ${status.status}`);
      },
      finalizeIdentification: async ({ userId }) => {
        await this.enter('finalizeIdentification');
        const user = this.user(userId);
        if (user.status !== 'DOCUMENT_SIGN_SUCCESS') throw transient(FailureType.IdentificationNotCompleted, 'finalizeIdentification');
        return { correlationId: '834d03b9-d24f-4d7b-950f-69aadff41599', individualId: userId + 1 };
      },
      createPartnerAccount: async () => {
        await this.enter('createPartnerAccount');
        return { ...this.partnerAccountAnswer };
      },
      uploadKycFiles: async () => {
        await this.enter('uploadKycFiles');
      },
      createKycVerification: async () => {
        await this.enter('createKycVerification');
        return { verificationId: `ver-${this.calls['createKycVerification']}` };
      },
      getKycStatus: async () => {
        await this.enter('getKycStatus');
        return { status: 'PENDING' };
      },
      addUserVerification: async () => {
        await this.enter('addUserVerification');
      },
      uploadPoaFiles: async () => {
        await this.enter('uploadPoaFiles');
      },
    };
  }
}
