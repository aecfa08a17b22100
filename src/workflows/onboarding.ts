// The onboarding workflow: one per user, from creating the 10nPay user to an active P100 account.
// `journey` reads like the business process; each step is one method. The code checks
// (./code-checks.ts), the identification phases (./identification.ts) and the waits for P100's
// statuses (./partner-status.ts) live beside it. Users, partners and ops reach it through the
// messages in ./messages.ts; it reaches the providers only through activities.
import {
  CancellationScope,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  isCancellation,
  setHandler,
  sleep,
  workflowInfo,
  log,
  patched,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { TennpayUserProgress } from '../activities/types';
import type { StoredFile } from '../domain/files';
import { FailureType } from '../domain/failures';
import { kycRecordSchema, type KycRecord } from '../domain/kyc-record';
import { isEndStage, type NextAction, type OnboardingInput, type OnboardingView, type Stage } from '../domain/onboarding';
import { fileUploadSchema, type FileUpload } from '../domain/files';
import {
  MAX_KYC_DATA_PER_ONBOARDING,
  MAX_PARTNER_EVENTS_PER_ONBOARDING,
  MAX_REDIRECTS_PER_ONBOARDING,
  MAX_UPLOADS_PER_ONBOARDING,
  type LimitedMessage,
} from '../domain/message-limits';
import { CodeChecks } from './code-checks';
import { Identification } from './identification';
import { MessageLimits } from './message-limits';
import * as messages from './messages';
import { OnboardingEnded } from './onboarding-ended';
import { PartnerStatuses } from './partner-status';
import { Progress } from './progress';
import { RecordWriter, type RecordWrites } from './record';
import type { ProviderFailureDetails } from '../activities/provider-failures';
import {
  applicationFailureOf,
  describeFailure,
  failedWith,
  isBusinessFailure,
  lastAttemptFailure,
  providerCalls,
  type ProviderCalls,
  type Providers,
} from './provider-calls';

/** A new 10nPay user: nothing verified yet. */
const NOTHING_KNOWN: TennpayUserProgress = { emailVerified: false, phoneVerified: false, additionalData: false, identified: false };

export async function onboardingWorkflow(input: OnboardingInput): Promise<OnboardingView> {
  const onboarding = new Onboarding(input);
  await onboarding.run();
  return onboarding.view();
}

class Onboarding {
  private readonly progress: Progress;
  private readonly calls: ProviderCalls;
  private readonly settings: OnboardingInput['settings'];
  private readonly scope = new CancellationScope();
  private readonly codes: CodeChecks;
  private readonly identification: Identification;
  private readonly partnerStatus: PartnerStatuses;
  private readonly limits: MessageLimits;
  private partnerEventsReceived = 0;
  private uploadsReceived = 0;
  private cancelReason: string | undefined;

  private userId: number | undefined;

  private kycRecord: KycRecord | undefined;
  private kycRecordVersion = 0;
  private additionalDataSent = false;

  private restartRequested = false;
  private retryRequested = false;
  /** A provider step kept failing and waits for its slow retry, or for ops to ask for one now. */
  private awaitingRetry = false;

  /**
   * Patch lean-history (issue 15): the code checks run inside the workflow task that takes the
   * user's update, and the first attempt of the idempotent provider steps inside the task that
   * calls them (local activities: a marker instead of an activity and a workflow task); and the patches this one implies are not asked
   * again (each asked patch is a marker and a search-attribute upsert in the history). Asked once,
   * first: onboardings started before it replay their own patches and commands.
   */
  private readonly lean: boolean;

  private readonly uploads: Partial<Record<FileUpload['purpose'], StoredFile[]>> = {};

  constructor(private readonly input: OnboardingInput) {
    this.settings = input.settings;
    // Patch record-catch-up: lean-history, and changes the record could not take at once wait in an
    // activity (./record.ts). It implies lean-history, so a new onboarding asks one patch, not two.
    const catchUp = patched('record-catch-up');
    this.lean = catchUp || patched('lean-history');
    // Onboardings started before the record existed keep their commands (and replay) as they were.
    // lean-history came after the record and its views: an onboarding that has it has them too.
    const recorded = this.lean || patched('onboarding-record');
    // Onboardings started before the record kept views write it where they did (and replay so).
    const views = this.lean || (recorded && patched('record-views'));
    const writes: RecordWrites = catchUp ? 'catch-up' : views ? 'brief' : 'in-task';
    const record = recorded
      ? new RecordWriter(input.onboardingId, {
          userType: input.userType,
          ...(input.externalRef !== undefined ? { externalRef: input.externalRef } : {}),
          ...(input.resume !== undefined ? { resumedFrom: input.resume.onboardingId } : {}),
          email: input.email,
          phoneNumber: input.phoneNumber,
          startedAt: new Date(workflowInfo().startTime).toISOString(),
        }, writes)
      : undefined;
    this.progress = new Progress(input.onboardingId, record, views);
    this.calls = providerCalls(input.settings);
    const userId = () => this.requireUserId();
    const codeProviders = this.lean ? this.calls.interactiveInTask : this.calls.interactive;
    this.codes = new CodeChecks({ settings: this.settings, providers: codeProviders, progress: this.progress, email: input.email, userId });
    this.identification = new Identification({
      progress: this.progress,
      calls: this.calls,
      step: (step, call) => this.withAttention(step, call),
      userId,
      userType: input.userType,
    });
    this.partnerStatus = new PartnerStatuses({ progress: this.progress, settings: this.settings, externalUserId: input.onboardingId, flagOverdue: this.lean });
    if (input.profile) this.kycRecord = input.profile;
    const taken = (step: (s: string) => boolean) => () => this.progress.timeline.filter((t) => step(t.step)).length;
    this.limits = new MessageLimits(this.progress, {
      boricaRedirectReceived: { received: taken((s) => s.startsWith('redirect:')), max: MAX_REDIRECTS_PER_ONBOARDING },
      partnerEventReceived: { received: () => this.partnerEventsReceived, max: MAX_PARTNER_EVENTS_PER_ONBOARDING },
      submitKycData: { received: taken((s) => s === 'kycDataReceived'), max: MAX_KYC_DATA_PER_ONBOARDING },
      submitFiles: { received: () => this.uploadsReceived, max: MAX_UPLOADS_PER_ONBOARDING },
      resendEmailCode: { received: () => this.codes.resendsOf('email'), max: this.codes.maxResends() },
      resendSmsCode: { received: () => this.codes.resendsOf('sms'), max: this.codes.maxResends() },
    });
    this.progress.attachView(() => this.view());
    this.setupHandlers();
  }

  view(): OnboardingView {
    const view = this.progress.view(this.codes.attempts(), this.kycRecord !== undefined);
    return this.input.resume ? { ...view, resumedFrom: this.input.resume.onboardingId } : view;
  }

  async run(): Promise<void> {
    try {
      await this.scope.run(async () => {
        const overallDeadline = sleep(this.settings.onboardingTimeout).then(() => {
          // The journey is cancelled with it, so no step still running can act after ABANDONED.
          // Onboardings whose deadline fired before this replay as they ran.
          if (this.lean || patched('cancel-journey-on-timeout')) this.scope.cancel();
          throw new OnboardingEnded('ABANDONED', 'OnboardingTimedOut');
        });
        await Promise.race([overallDeadline, this.journey()]);
      });
    } catch (err) {
      if (err instanceof OnboardingEnded) {
        this.progress.end(err.stage, err.reason, err.flagForOps);
      } else if (isCancellation(err)) {
        this.progress.end('CANCELLED', this.cancelReason ?? 'CancelledByRequest');
      } else {
        throw err;
      }
    }
    // Files (CONTRACT part 4): the worker deletes an onboarding's uploaded documents when the record
    // change of its end is written (src/activities/index.ts), so the workflow spends no history on it.
    // Let a code check or ops action that is still running answer its caller before the workflow ends.
    await condition(allHandlersFinished);
    await this.progress.recorded();
  }

  /** The onboarding, step by step; a person who comes back skips what 10nPay already has. */
  private async journey(): Promise<void> {
    const known = await this.createUser();
    if (!known.emailVerified) await this.confirmEmail();
    if (!known.phoneVerified) await this.verifyPhone();
    await this.collectKycData();
    if (this.settings.kycDataSubmissionPoint === 'AFTER_PHONE_VERIFIED') await this.sendAdditionalData();
    if (!known.identified) await this.identifyAndSign();
    await this.finalizeIdentification();
    await this.openPartnerAccount();
    this.progress.end('COMPLETED');
  }

  // ---- 10nPay ---------------------------------------------------------------------------------

  /** Creates the 10nPay user, or goes on with the one of a person who comes back; says what 10nPay has. */
  private async createUser(): Promise<TennpayUserProgress> {
    this.progress.enter('CREATING_USER');
    const resume = this.input.resume;
    // Only onboardings of a returning person take this branch (and carry the marker).
    if (resume && patched('returning-person')) return this.resumeUser(resume.userId);
    try {
      const { userId } = await this.withAttention('createUser', (p) => p.createUser({ email: this.input.email }));
      this.userId = userId;
      this.progress.setIds({ userId });
      this.codes.sent('email');
      this.progress.done('userCreated');
      return NOTHING_KNOWN;
    } catch (err) {
      // Either registered before, or our own earlier attempt created the user and its answer was
      // lost: 10nPay has no look-up by e-mail, so only ops can tell which; the user is not stuck.
      if (failedWith(err, FailureType.EmailAlreadyRegistered)) {
        throw new OnboardingEnded('FAILED', FailureType.EmailAlreadyRegistered, true);
      }
      throw err;
    }
  }

  /**
   * A person who comes back (CONTRACT part 4): the 10nPay user this service created in an earlier
   * onboarding. 10nPay's status says what it has; the e-mail code is sent again when the e-mail is
   * not confirmed yet (the earlier code may have expired, and only the latest one is valid).
   */
  private async resumeUser(userId: number): Promise<TennpayUserProgress> {
    this.userId = userId;
    this.progress.setIds({ userId });
    let known: TennpayUserProgress;
    try {
      known = await this.withAttention('getUserStatus', (p) => p.getUserStatus({ userId }));
    } catch (err) {
      // 10nPay no longer knows the user the record names: nothing to go on with; ops look.
      if (failedWith(err, FailureType.UnknownUser)) throw new OnboardingEnded('FAILED', 'ReturningUserUnknown', true);
      throw err;
    }
    this.progress.done('userResumed');
    if (known.emailVerified) {
      this.progress.done('emailConfirmed');
    } else {
      await this.withAttention('sendEmailConfirmation', (p) => p.sendEmailConfirmation({ userId, email: this.input.email }));
      this.codes.sent('email');
    }
    if (known.phoneVerified) this.progress.done('phoneVerified');
    // 10nPay keeps the additional data it has (CONTRACT part 2): not sent again.
    if (known.additionalData) this.additionalDataSent = true;
    if (known.identified) this.progress.done('identificationAlreadyDone');
    return known;
  }

  private async confirmEmail(): Promise<void> {
    this.progress.enter('AWAITING_EMAIL_CODE', { type: 'CONFIRM_EMAIL' });
    await this.waitForUser(() => this.codes.isConfirmed('email') || this.codes.lockedOutReason !== undefined, this.settings.codeWaitTimeout, 'EmailNotConfirmed');
    if (this.codes.lockedOutReason) throw new OnboardingEnded('FAILED', this.codes.lockedOutReason);
    this.progress.done('emailConfirmed');
  }

  private async verifyPhone(): Promise<void> {
    this.progress.enter('AWAITING_SMS_CODE', { type: 'WAIT' });
    try {
      await this.withAttention('sendSmsCode', (p) => p.sendSmsCode({ userId: this.requireUserId(), phoneNumber: this.input.phoneNumber }));
    } catch (err) {
      if (failedWith(err, FailureType.PhoneAlreadyRegistered)) throw new OnboardingEnded('FAILED', FailureType.PhoneAlreadyRegistered);
      throw err;
    }
    this.codes.sent('sms');
    this.progress.done('smsCodeSent');
    this.progress.enter('AWAITING_SMS_CODE', { type: 'ENTER_SMS_CODE' });
    await this.waitForUser(() => this.codes.isConfirmed('sms') || this.codes.lockedOutReason !== undefined, this.settings.codeWaitTimeout, 'SmsCodeNotEntered');
    if (this.codes.lockedOutReason) throw new OnboardingEnded('FAILED', this.codes.lockedOutReason);
    this.progress.done('phoneVerified');
  }

  private async collectKycData(): Promise<void> {
    if (this.kycRecord) return;
    this.progress.enter('AWAITING_KYC_DATA', { type: 'SUBMIT_KYC_DATA' });
    await this.waitForUser(() => this.kycRecord !== undefined, this.settings.userStepTimeout, 'KycDataNotSubmitted');
    // Received: the user has nothing more to do here (the caller's next read shows it).
    this.progress.enter('AWAITING_KYC_DATA', { type: 'WAIT' });
  }

  /** add-additional-data, once: 10nPay keeps what it had at finalize (CONTRACT part 2). */
  private async sendAdditionalData(): Promise<void> {
    if (this.additionalDataSent) return;
    for (;;) {
      const record = this.requireKycRecord();
      try {
        await this.withAttention('addAdditionalData', (p) =>
          p.addAdditionalData({ userId: this.requireUserId(), record, ...this.callbackId() }),
        );
        break;
      } catch (err) {
        if (!failedWith(err, FailureType.ValidationFailed)) throw err;
        this.endWhenIdentityRefused(err, 'TennpayRefusedLockedIdentity');
        // 10nPay refused a field the service's own validation let through: ask the user again.
        await this.waitForCorrectedKycData(describeFailure(err).message, this.stageAndAction());
      }
    }
    this.additionalDataSent = true;
    this.progress.done('additionalDataSent');
  }

  private async identifyAndSign(): Promise<void> {
    for (let restarts = 0; ; restarts++) {
      const outcome = await this.identification.runOnce(restarts > 0);
      if (outcome.ok) return;
      this.progress.noteError({ step: 'identification', type: FailureType.IdentificationFailed, message: outcome.reason ?? 'identification failed' });
      if (restarts >= this.settings.identificationMaxRestarts) {
        throw new OnboardingEnded('FAILED', 'IdentificationRestartsExhausted');
      }
      this.progress.enter('IDENTIFICATION_FAILED', { type: 'RESTART_IDENTIFICATION' });
      this.restartRequested = false;
      await this.waitForUser(() => this.restartRequested, this.settings.userStepTimeout, 'IdentificationNotRestarted');
      this.progress.done('identificationRestarted');
    }
  }

  private async finalizeIdentification(): Promise<void> {
    this.progress.enter('FINALIZING');
    await this.sendAdditionalData();
    try {
      const { correlationId, individualId } = await this.withAttention('finalizeIdentification', (p) =>
        p.finalizeIdentification({ userId: this.requireUserId(), bTrustAppCallBackId: this.identification.bTrustAppCallBackId }),
      );
      this.progress.setIds({ correlationId, individualId });
    } catch (err) {
      if (failedWith(err, FailureType.UnknownUser)) throw new OnboardingEnded('FAILED', 'UnknownUserAtFinalize', true);
      throw err;
    }
    this.progress.done('identificationFinalized');
  }

  // ---- P100 -----------------------------------------------------------------------------------

  private async openPartnerAccount(): Promise<void> {
    const externalUserId = this.input.onboardingId;
    this.progress.setIds({ externalUserId });
    const account = await this.createPartnerAccount(externalUserId);
    for (let attempt = 1; ; attempt++) {
      await this.partnerKyc(externalUserId, attempt);
      const verified = await this.addUserVerification(externalUserId);
      if (verified === 'verified') break;
      if (attempt >= this.settings.partnerKycMaxAttempts) throw new OnboardingEnded('FAILED', 'PartnerKycAttemptsExhausted', true);
    }
    // Unknown (null) when the account's answer was lost: asked for, in case P100 wanted it.
    if (account.poaRequiredForExtended !== false) await this.proofOfAddress(externalUserId, account.poaRequiredForExtended === true);
    await this.awaitActiveAccount();
  }

  private async createPartnerAccount(externalUserId: string) {
    this.progress.enter('CREATING_PARTNER_ACCOUNT');
    for (;;) {
      try {
        const account = await this.withAttention('createPartnerAccount', (p) =>
          p.createPartnerAccount({ externalUserId, email: this.input.email, phoneNumber: this.input.phoneNumber, record: this.requireKycRecord() }),
        );
        if (account.partnerUserId) this.progress.setIds({ partnerUserId: account.partnerUserId });
        if (account.alreadyExisted && account.poaRequiredForExtended === null) {
          // Our own earlier attempt created it and its answer was lost (P410 on the retry). P100
          // has no call to read the user id back: back office finds it in P100's portal. (Answers
          // recorded before the activity said `null` here carry `false` and replay as they ran.)
          this.progress.done('partnerAccountExisted');
          this.progress.noteError({
            step: 'createPartnerAccount',
            type: 'PartnerAccountAnswerLost',
            message: 'P100 created the account but its answer was lost; the P100 user id is not known',
          });
        }
        this.progress.done('partnerAccountCreated');
        return account;
      } catch (err) {
        if (!failedWith(err, FailureType.PartnerValidation)) throw err;
        this.endWhenIdentityRefused(err, 'PartnerRefusedLockedIdentity');
        await this.waitForCorrectedKycData(describeFailure(err).message, { stage: 'CREATING_PARTNER_ACCOUNT' });
      }
    }
  }

  /** P100's own KYC, by the configured method; answers once P100 has what it needs. */
  private async partnerKyc(externalUserId: string, attempt: number): Promise<void> {
    if (this.settings.partnerKycMethod === 'A') {
      await this.uploadFiles('KYC', 'uploadKycFiles', (p, files) => p.uploadKycFiles({ externalUserId, files }));
      this.progress.done(`partnerKycFilesUploaded#${attempt}`);
      return;
    }
    this.progress.enter('AWAITING_PARTNER_KYC');
    const { verificationId } = await this.withAttention('createKycVerification', (p) =>
      p.createKycVerification({ externalUserId, record: this.requireKycRecord() }),
    );
    this.progress.setIds({ verificationId });
    this.progress.done(`partnerKycStarted#${attempt}`);
    // The API turns this into its signed link to P100's page (CONTRACT part 3).
    this.progress.enter('AWAITING_PARTNER_KYC', { type: 'OPEN_URL', url: '', purpose: 'PARTNER_KYC' });
    const result = await this.partnerStatus.await(
      'kyc-verification-status',
      (s) => (s.verificationId === undefined || s.verificationId === verificationId) && (s.status === 'APPROVED' || s.status === 'REJECTED'),
      async () => {
        const status = await this.withAttention('getKycStatus', (p) => p.getKycStatus({ externalUserId }));
        return { ...status, verificationId };
      },
      'PartnerKycNotCompleted',
    );
    this.progress.done(`partnerKyc${result.status === 'APPROVED' ? 'Approved' : 'Rejected'}#${attempt}`);
    if (result.status === 'REJECTED') {
      this.progress.noteError({ step: 'partnerKyc', type: 'PartnerKycRejected', message: result.reason ?? 'rejected by the partner' });
    }
  }

  /** Add User Verification; 'retryKyc' when P100 wants its KYC done again. */
  private async addUserVerification(externalUserId: string): Promise<'verified' | 'retryKyc'> {
    this.progress.enter('VERIFYING_PARTNER_ACCOUNT');
    for (;;) {
      try {
        await this.withAttention('addUserVerification', (p) => p.addUserVerification({ externalUserId, record: this.requireKycRecord() }));
        this.progress.done('partnerVerificationRequested');
        return 'verified';
      } catch (err) {
        const failure = describeFailure(err);
        if (failedWith(err, FailureType.PartnerValidation)) {
          this.endWhenIdentityRefused(err, 'PartnerRefusedLockedIdentity');
          await this.waitForCorrectedKycData(failure.message, { stage: 'VERIFYING_PARTNER_ACCOUNT' });
        } else if (failedWith(err, FailureType.PartnerTooManyVerifications)) {
          this.progress.noteError({ step: 'addUserVerification', ...failure });
          await sleep(this.settings.partnerTooManyVerificationsWait);
        } else if (failedWith(err, FailureType.PartnerKycInvalid, FailureType.PartnerKycFilesMissing, FailureType.PartnerKycNotFound)) {
          this.progress.noteError({ step: 'addUserVerification', ...failure });
          this.partnerStatus.forget('kyc-verification-status');
          this.partnerStatus.forget('kyc-file-added');
          delete this.uploads.KYC;
          return 'retryKyc';
        } else if (failedWith(err, FailureType.PartnerDocumentUsed)) {
          throw new OnboardingEnded('FAILED', 'PartnerDocumentNumberUsed', true);
        } else {
          throw err;
        }
      }
    }
  }

  /** `requiredForSure` false: P100's answer was lost, so it may want none (it then answers P460). */
  private async proofOfAddress(externalUserId: string, requiredForSure: boolean): Promise<void> {
    for (;;) {
      try {
        await this.uploadFiles('PROOF_OF_ADDRESS', 'uploadPoaFiles', (p, files) => p.uploadPoaFiles({ externalUserId, files }));
      } catch (err) {
        // Asked for only because the account's answer was lost: P100 wants none (P460).
        if (!requiredForSure && failedWith(err, FailureType.PartnerPoaNotRequired)) {
          this.progress.done('proofOfAddressNotRequired');
          return;
        }
        throw err;
      }
      this.progress.done('proofOfAddressUploaded');
      this.progress.enter('VERIFYING_PARTNER_ACCOUNT');
      const result = await this.partnerStatus.await(
        'poa-verification-status',
        (s) => s.status === 'APPROVED' || s.status === 'REJECTED',
        undefined,
        'ProofOfAddressNotVerified',
      );
      if (result.status === 'APPROVED') return;
      this.partnerStatus.forget('poa-verification-status');
      delete this.uploads.PROOF_OF_ADDRESS;
    }
  }

  private async awaitActiveAccount(): Promise<void> {
    this.progress.enter('VERIFYING_PARTNER_ACCOUNT');
    await this.partnerStatus.await('user-status', (s) => s.status === 'ACTIVE', undefined, 'PartnerAccountNotActivated');
    this.progress.done('partnerAccountActive');
  }

  // ---- waiting for people ---------------------------------------------------------------------

  /** Waits for the user; a user who does not come back within `timeout` abandons the onboarding. */
  private async waitForUser(ready: () => boolean, timeout: Duration, abandonReason: string): Promise<void> {
    this.progress.waiting();
    if (!(await condition(ready, timeout))) throw new OnboardingEnded('ABANDONED', abandonReason);
  }

  /**
   * Waits for the user's files and sends them to P100. A stored file that is gone, or a file P100
   * refuses (P426 type, P440 size), is the user's to replace: the user is asked for the files again.
   */
  private async uploadFiles(
    purpose: FileUpload['purpose'],
    step: 'uploadKycFiles' | 'uploadPoaFiles',
    upload: (providers: Providers, files: StoredFile[]) => Promise<unknown>,
  ): Promise<void> {
    for (;;) {
      const files = await this.waitForFiles(purpose, 'AWAITING_FILES');
      try {
        await this.withAttention(step, (p) => upload(p, files));
        return;
      } catch (err) {
        if (!failedWith(err, FailureType.StoredFileMissing, FailureType.PartnerFileRejected)) throw err;
        this.progress.noteError({ step, ...describeFailure(err) });
        delete this.uploads[purpose];
      }
    }
  }

  private async waitForFiles(purpose: FileUpload['purpose'], stage: Stage): Promise<StoredFile[]> {
    if (!this.uploads[purpose]) {
      this.progress.enter(stage, { type: 'UPLOAD_FILES', purpose });
      await this.waitForUser(() => this.uploads[purpose] !== undefined, this.settings.userStepTimeout, 'FilesNotUploaded');
    }
    this.progress.done(`filesReceived:${purpose}`);
    return this.uploads[purpose]!;
  }

  /**
   * A provider (P100, or 10nPay's add-additional-data) refused a field of the person or the
   * document, which 10nPay identified and the user signed for: the identity lock forbids the
   * correction, so the onboarding does not wait for one. It ends FAILED, flagged for ops, who
   * settle the discrepancy with the provider (or start a new onboarding). Onboardings that asked
   * for a correction here before replay as they ran.
   */
  private endWhenIdentityRefused(err: unknown, reason: 'PartnerRefusedLockedIdentity' | 'TennpayRefusedLockedIdentity'): void {
    const details = applicationFailureOf(err)?.details?.[0] as Partial<ProviderFailureDetails> | undefined;
    const sections = details?.identitySections ?? [];
    if (sections.length === 0 || !this.identityLocked() || !patched('end-when-locked-identity-refused')) return;
    const provider = reason === 'PartnerRefusedLockedIdentity' ? 'P100' : '10nPay';
    const message = `${provider} refused the ${sections.join(' and ')} that 10nPay identified; the identity is locked, so the user cannot correct it`;
    this.progress.noteError({ step: 'kycData', type: reason, message });
    throw new OnboardingEnded('FAILED', reason, true);
  }

  /** A provider refused the KYC data: the user corrects it; the step then runs again. */
  private async waitForCorrectedKycData(providerMessage: string, resume: { stage: Stage; nextAction?: NextAction }): Promise<void> {
    const version = this.kycRecordVersion;
    this.progress.noteError({ step: 'kycData', type: 'KycDataRejected', message: providerMessage });
    this.progress.enter(resume.stage, { type: 'SUBMIT_KYC_DATA', message: providerMessage });
    await this.waitForUser(() => this.kycRecordVersion > version, this.settings.userStepTimeout, 'KycDataNotCorrected');
    const resumed = resume.nextAction?.type === 'SUBMIT_KYC_DATA' ? undefined : resume.nextAction;
    this.progress.enter(resume.stage, resumed ?? { type: 'WAIT' });
  }

  /**
   * Runs a provider step. The activity's retry policy retries quickly for a short window; if the
   * provider keeps failing, the step is flagged for ops at once (lastError, needsAttention) and
   * retried slowly inside one activity, whose next attempt ops can bring forward (ResetActivity).
   * Business outcomes (non-retryable failures) go to the caller.
   */
  private async withAttention<T>(step: string, call: (providers: Providers) => Promise<T>): Promise<T> {
    const since = new Date().toISOString();
    if (this.lean && FIRST_ATTEMPT_IN_TASK.has(step)) {
      try {
        const result = await call(this.calls.stepInTask);
        this.progress.clearAttention();
        return result;
      } catch (err) {
        if (isCancellation(err) || isBusinessFailure(err)) throw err;
        // Not answered at the first attempt: the quick retries run as an activity, as before.
      }
    }
    try {
      const result = await call(this.calls.step);
      this.progress.clearAttention();
      return result;
    } catch (err) {
      if (isCancellation(err) || isBusinessFailure(err)) throw err;
      // Onboardings whose step failed before this change waited on a workflow timer between
      // 10-minute windows; they replay and go on that way.
      if (!this.lean && !patched('step-slow-retries-in-one-activity')) return this.retryWithTimer(step, call, err);
      const failure = lastAttemptFailure(err);
      this.progress.flag({ step, ...failure, since });
      log.warn('Provider step keeps failing; flagged for ops', { step, type: failure.type });
      const result = await call(this.calls.slowStep);
      this.progress.clearAttention();
      return result;
    }
  }

  /** The earlier slow retry: flag, wait STEP_SLOW_RETRY_INTERVAL or an ops retry (retryStep), call again. */
  private async retryWithTimer<T>(step: string, call: (providers: Providers) => Promise<T>, firstError: unknown): Promise<T> {
    let err = firstError;
    for (;;) {
      if (isCancellation(err) || isBusinessFailure(err)) throw err;
      this.progress.flag({ step, ...describeFailure(err) });
      log.warn('Provider step keeps failing; flagged for ops', { step, type: describeFailure(err).type });
      this.retryRequested = false;
      this.awaitingRetry = true;
      await condition(() => this.retryRequested, this.settings.stepSlowRetryInterval);
      this.awaitingRetry = false;
      this.retryRequested = false;
      try {
        const result = await call(this.calls.step);
        this.progress.clearAttention();
        return result;
      } catch (next) {
        err = next;
      }
    }
  }

  // ---- messages -------------------------------------------------------------------------------

  private setupHandlers(): void {
    setHandler(messages.onboardingView, () => this.view());
    setHandler(messages.messageLimits, () => this.limits.states());

    setHandler(messages.submitEmailCode, ({ code }) => this.checkCode('email', code), {
      validator: ({ code }) => {
        this.requireStage('AWAITING_EMAIL_CODE');
        requireCode(code);
      },
    });
    setHandler(
      messages.resendEmailCode,
      () => this.answerOnceRecorded(false, () => this.codes.resend('email', () => this.refuseWhenFull('resendEmailCode'))),
      {
        validator: () => {
          this.requireStage('AWAITING_EMAIL_CODE');
          this.limits.requireRoom('resendEmailCode');
          this.codes.requireCooledDown('email');
        },
      },
    );
    setHandler(messages.submitSmsCode, ({ code }) => this.checkCode('sms', code), {
      validator: ({ code }) => {
        this.requireStage('AWAITING_SMS_CODE');
        if (!this.codes.smsSent()) throw wrongStage('the SMS code has not been sent yet');
        requireCode(code);
      },
    });
    setHandler(
      messages.resendSmsCode,
      () => this.answerOnceRecorded(false, () => this.codes.resend('sms', () => this.refuseWhenFull('resendSmsCode'))),
      {
        validator: () => {
          this.requireStage('AWAITING_SMS_CODE');
          if (!this.codes.smsSent()) throw wrongStage('the SMS code has not been sent yet');
          this.limits.requireRoom('resendSmsCode');
          this.codes.requireCooledDown('sms');
        },
      },
    );

    setHandler(
      messages.submitKycData,
      (record) => {
        this.refuseWhenFull('submitKycData');
        // The journey moves on when it was waiting for this record (first or corrected).
        const awaited = this.progress.nextAction.type === 'SUBMIT_KYC_DATA';
        return this.answerOnceRecorded(awaited, () => {
          this.kycRecord = kycRecordSchema.parse(record);
          this.kycRecordVersion++;
          this.progress.done('kycDataReceived');
          return { accepted: true } as const;
        });
      },
      {
        validator: (record) => {
          this.requireNotEnded();
          const parsed = kycRecordSchema.safeParse(record);
          if (!parsed.success) {
            throw ApplicationFailure.create({
              type: FailureType.InvalidInput,
              message: 'the KYC data is invalid',
              details: [parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))],
              nonRetryable: true,
            });
          }
          this.requireIdentityUnchanged(parsed.data);
          // Abuse limits: each accepted record is an update in the history; a bound keeps a caller
          // from growing it without limit (a refused update leaves nothing).
          this.limits.requireRoom('submitKycData');
        },
      },
    );

    // Past the bound the API sends no more redirects; one that still comes (the first past it, or a
    // race) is refused and changes nothing.
    setHandler(messages.boricaRedirectReceived, (redirect) => {
      if (this.limits.full('boricaRedirectReceived') && this.limits.refuse('boricaRedirectReceived')) return;
      // A signal has no answer: the API waits for the record to show the redirect (its timeline
      // entry, and the verifying stage when the journey waited for it).
      const awaited = this.identification.awaits(redirect);
      void this.answerOnceRecorded(awaited, () => this.identification.onRedirect(redirect));
    });

    setHandler(
      messages.restartIdentification,
      (request) =>
        this.answerOnceRecorded(true, () => {
          this.restartRequested = true;
          this.progress.opsAction('restart-identification', request.requestedBy);
          return { accepted: true } as const;
        }),
      { validator: (_request) => this.requireStage('IDENTIFICATION_FAILED') },
    );

    setHandler(
      messages.submitFiles,
      (upload) => {
        this.refuseWhenFull('submitFiles');
        this.uploadsReceived++;
        return this.answerOnceRecorded(true, () => {
          this.uploads[upload.purpose] = upload.files;
          return { accepted: true } as const;
        });
      },
      {
        validator: (upload) => {
          if (!fileUploadSchema.safeParse(upload).success) throw invalidInput('the file references are invalid');
          const action = this.progress.nextAction;
          if (action.type !== 'UPLOAD_FILES' || action.purpose !== upload.purpose) {
            throw wrongStage(`the onboarding is not waiting for ${upload.purpose} files`);
          }
          // Files already received are being sent to P100: a second upload would replace them
          // unseen (and leave them stored); the workflow asks again if P100 refuses them.
          if (this.uploads[action.purpose] !== undefined) throw wrongStage(`the ${action.purpose} files were received and are being sent to the partner`);
          this.limits.requireRoom('submitFiles');
        },
      },
    );

    setHandler(messages.partnerEventReceived, (event) => {
      if (this.limits.full('partnerEventReceived') && this.limits.refuse('partnerEventReceived')) return;
      this.partnerEventsReceived++;
      this.partnerStatus.applyEvent(event);
    });
    setHandler(messages.stepRetried, (request) => this.progress.opsAction('retry', request.requestedBy));

    setHandler(
      messages.retryStep,
      (request) => {
        this.retryRequested = true;
        this.progress.opsAction('retry', request.requestedBy);
        return { retried: this.progress.lastError?.step ?? this.progress.stage };
      },
      {
        validator: (_request) => {
          this.requireNotEnded();
          if (!this.awaitingRetry) throw wrongStage(`no step is waiting for a retry (stage ${this.progress.stage})`);
        },
      },
    );

    setHandler(
      messages.cancelOnboarding,
      ({ reason, requestedBy }) => {
        this.cancelReason = reason;
        this.progress.opsAction('cancel', requestedBy, reason);
        this.scope.cancel();
        return { cancelled: true } as const;
      },
      {
        validator: ({ reason }) => {
          this.requireNotEnded();
          if (typeof reason !== 'string' || reason.trim() === '') throw invalidInput('a reason is required');
        },
      },
    );
  }

  /** A code check; right or locked out, the journey moves on before the answer (read-your-own-action). */
  private async checkCode(channel: 'email' | 'sms', code: string): Promise<messages.CodeResult> {
    if (!this.progress.recordsViews) return this.codes.check(channel, code);
    const mark = this.progress.mark();
    const result = await this.codes.check(channel, code);
    const recordedSeq = await this.progress.settled(mark, result.accepted || this.codes.lockedOutReason !== undefined);
    return recordedSeq === undefined ? result : { ...result, recordedSeq };
  }

  /**
   * Read-your-own-action (patch record-views): the answer comes once the journey has made its move
   * on the action (when it `reacts`: a new stage or next action) and names the record's seq that
   * shows it (`recordedSeq`), which the API waits for before answering the caller.
   */
  private answerOnceRecorded<T extends object | void>(reacts: boolean, act: () => T | Promise<T>): T | Promise<T> {
    // Onboardings without views answer as they did (synchronously where the handler was).
    if (!this.progress.recordsViews) return act();
    const mark = this.progress.mark();
    return (async () => {
      const result = await act();
      const recordedSeq = await this.progress.settled(mark, reacts);
      return (result && recordedSeq !== undefined ? { ...result, recordedSeq } : result) as T;
    })();
  }

  // ---- guards ---------------------------------------------------------------------------------

  /** In an update's handler: the first message past its bound is refused here, its refusal recorded. */
  private refuseWhenFull(message: LimitedMessage): void {
    if (!this.limits.full(message)) return;
    const refused = this.limits.refuse(message);
    if (refused) throw refused;
  }

  private requireStage(stage: Stage): void {
    this.requireNotEnded();
    if (this.progress.stage !== stage) throw wrongStage(`the onboarding is at ${this.progress.stage}, not ${stage}`);
  }

  /**
   * Identity locked once identified (CONTRACT part 4): after 10nPay identified the person (Phase A,
   * the step identificationVerified), the person and the document are what was identified and
   * signed for; a record that changes them is refused (a validator: nothing reaches the history).
   */
  private requireIdentityUnchanged(record: KycRecord): void {
    if (!this.identityLocked()) return;
    const current = this.kycRecord;
    if (!current) return;
    const changed = (['person', 'document'] as const).filter((section) => canonical(current[section]) !== canonical(record[section]));
    if (changed.length === 0) return;
    throw ApplicationFailure.create({
      type: FailureType.IdentityLocked,
      message: `the ${changed.join(' and ')} cannot change once 10nPay has identified the person; other sections may`,
      nonRetryable: true,
    });
  }

  /** 10nPay has identified the person (Phase A reached): the person and the document are locked. */
  private identityLocked(): boolean {
    return this.progress.timeline.some((t) => t.step === 'identificationVerified');
  }

  private requireNotEnded(): void {
    if (isEndStage(this.progress.stage)) {
      throw ApplicationFailure.create({ type: FailureType.OnboardingEnded, message: `the onboarding has ended (${this.progress.stage})`, nonRetryable: true });
    }
  }

  private requireUserId(): number {
    if (this.userId === undefined) throw ApplicationFailure.nonRetryable('no 10nPay user yet', 'IllegalState');
    return this.userId;
  }

  private requireKycRecord(): KycRecord {
    if (!this.kycRecord) throw ApplicationFailure.nonRetryable('no KYC data yet', 'IllegalState');
    return this.kycRecord;
  }

  /** The bTrustAppCallBackId for add-additional-data, where a redirect brought one. */
  private callbackId(): { bTrustAppCallBackId?: string } {
    const id = this.identification.bTrustAppCallBackId;
    return id ? { bTrustAppCallBackId: id } : {};
  }

  private stageAndAction(): { stage: Stage; nextAction: NextAction } {
    return { stage: this.progress.stage, nextAction: this.progress.nextAction };
  }
}

function requireCode(code: unknown): void {
  if (typeof code !== 'string' || !/^\d{4,8}$/.test(code)) throw invalidInput('the code must be 4 to 8 digits');
}

/**
 * Provider steps whose first attempt runs inside the workflow task (patch lean-history): calls that
 * may be made twice (an ops reset may go back before them, src/ops/reset.ts) and carry no files.
 * Creating the user, sending the SMS code and Add User Verification stay activities throughout.
 */
const FIRST_ATTEMPT_IN_TASK: ReadonlySet<string> = new Set([
  'initiateIdentification',
  'checkIdentificationStatus',
  'addAdditionalData',
  'finalizeIdentification',
  'createPartnerAccount',
  'createKycVerification',
  'getKycStatus',
]);

/** JSON with keys sorted, so that equal records compare equal whatever the order they came in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function wrongStage(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.WrongStage, message, nonRetryable: true });
}

function invalidInput(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.InvalidInput, message, nonRetryable: true });
}
