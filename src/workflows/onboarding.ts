// The onboarding workflow: one per user, from creating the 10nPay user to an active P100 account.
// `run` reads like the business process; each step is one method. Users, partners and ops reach it
// through the messages in ./messages.ts; it reaches the providers only through activities.
import {
  CancellationScope,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  isCancellation,
  setHandler,
  sleep,
  log,
  patched,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { IdentificationStatus, IdentificationTarget } from '../activities/types';
import type { StoredFile } from '../domain/files';
import { FailureType } from '../domain/failures';
import { kycRecordSchema, type KycRecord } from '../domain/kyc-record';
import {
  isEndStage,
  tennpayUserType,
  type NextAction,
  type OnboardingInput,
  type OnboardingView,
  type Stage,
} from '../domain/onboarding';
import { PARTNER_EVENT_TYPES, STATUS_RANK, type PartnerEvent, type PartnerEventType } from '../domain/partner-events';
import { fileUploadSchema, type FileUpload } from '../domain/files';
import { msToNumber as msOf } from '@temporalio/common/lib/time';
import * as messages from './messages';
import { Progress } from './progress';
import { describeFailure, failedWith, isBusinessFailure, lastAttemptFailure, providerCalls, type ProviderCalls, type Providers } from './provider-calls';
import { Lock } from './lock';

/** Ends the onboarding from anywhere in `run`: the stage it ends in and why. */
class OnboardingEnded extends Error {
  constructor(
    readonly stage: 'FAILED' | 'ABANDONED',
    readonly reason: string,
    readonly flagForOps = false,
  ) {
    super(reason);
  }
}

type Phase = 'A' | 'B';
interface PhaseOutcome {
  ok: boolean;
  status?: IdentificationStatus;
  reason?: string;
}

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
  private readonly codeLock = new Lock();
  private cancelReason: string | undefined;

  private userId: number | undefined;
  private emailConfirmed = false;
  private smsVerified = false;
  private emailAttemptsLeft: number;
  private smsAttemptsLeft: number;
  private lockedOutReason: string | undefined;
  private lastEmailSentAt: number;
  private lastSmsSentAt = 0;

  private kycRecord: KycRecord | undefined;
  private kycRecordVersion = 0;
  private additionalDataSent = false;

  private redirects: Partial<Record<Phase, messages.BoricaRedirect>> = {};
  private bTrustAppCallBackId: string | null = null;
  private restartRequested = false;
  private retryRequested = false;
  /** A provider step kept failing and waits for its slow retry, or for ops to ask for one now. */
  private awaitingRetry = false;

  private readonly partnerStatus: Partial<Record<PartnerEventType, { status: string; verificationId?: string; reason?: string }>> = {};
  private readonly uploads: Partial<Record<FileUpload['purpose'], StoredFile[]>> = {};

  constructor(private readonly input: OnboardingInput) {
    this.settings = input.settings;
    this.progress = new Progress(input.onboardingId);
    this.calls = providerCalls(input.settings);
    this.emailAttemptsLeft = input.settings.codeMaxAttempts;
    this.smsAttemptsLeft = input.settings.codeMaxAttempts;
    this.lastEmailSentAt = Date.now();
    if (input.profile) this.kycRecord = input.profile;
    this.setupHandlers();
  }

  view(): OnboardingView {
    return this.progress.view(
      { emailCode: this.emailAttemptsLeft, smsCode: this.smsAttemptsLeft },
      this.kycRecord !== undefined,
    );
  }

  async run(): Promise<void> {
    try {
      await this.scope.run(async () => {
        const overallDeadline = sleep(this.settings.onboardingTimeout).then(() => {
          // The journey is cancelled with it, so no step still running can act after ABANDONED.
          // Onboardings whose deadline fired before this replay as they ran.
          if (patched('cancel-journey-on-timeout')) this.scope.cancel();
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
    // Let a code check or ops action that is still running answer its caller before the workflow ends.
    await condition(allHandlersFinished);
  }

  /** The onboarding, step by step. */
  private async journey(): Promise<void> {
    await this.createUser();
    await this.confirmEmail();
    await this.verifyPhone();
    await this.collectKycData();
    if (this.settings.kycDataSubmissionPoint === 'AFTER_PHONE_VERIFIED') await this.sendAdditionalData();
    await this.identifyAndSign();
    await this.finalizeIdentification();
    await this.openPartnerAccount();
    this.progress.end('COMPLETED');
  }

  // ---- 10nPay ---------------------------------------------------------------------------------

  private async createUser(): Promise<void> {
    this.progress.enter('CREATING_USER');
    try {
      const { userId } = await this.withAttention('createUser', (p) => p.createUser({ email: this.input.email }));
      this.userId = userId;
      this.progress.setIds({ userId });
      this.lastEmailSentAt = Date.now();
      this.progress.done('userCreated');
    } catch (err) {
      // Either registered before, or our own earlier attempt created the user and its answer was
      // lost: 10nPay has no look-up by e-mail, so only ops can tell which; the user is not stuck.
      if (failedWith(err, FailureType.EmailAlreadyRegistered)) {
        throw new OnboardingEnded('FAILED', FailureType.EmailAlreadyRegistered, true);
      }
      throw err;
    }
  }

  private async confirmEmail(): Promise<void> {
    this.progress.enter('AWAITING_EMAIL_CODE', { type: 'CONFIRM_EMAIL' });
    await this.waitForUser(() => this.emailConfirmed || this.lockedOutReason !== undefined, this.settings.codeWaitTimeout, 'EmailNotConfirmed');
    if (this.lockedOutReason) throw new OnboardingEnded('FAILED', this.lockedOutReason);
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
    this.lastSmsSentAt = Date.now();
    this.progress.done('smsCodeSent');
    this.progress.enter('AWAITING_SMS_CODE', { type: 'ENTER_SMS_CODE' });
    await this.waitForUser(() => this.smsVerified || this.lockedOutReason !== undefined, this.settings.codeWaitTimeout, 'SmsCodeNotEntered');
    if (this.lockedOutReason) throw new OnboardingEnded('FAILED', this.lockedOutReason);
    this.progress.done('phoneVerified');
  }

  private async collectKycData(): Promise<void> {
    if (this.kycRecord) return;
    this.progress.enter('AWAITING_KYC_DATA', { type: 'SUBMIT_KYC_DATA' });
    await this.waitForUser(() => this.kycRecord !== undefined, this.settings.userStepTimeout, 'KycDataNotSubmitted');
  }

  /** add-additional-data, once: 10nPay keeps what it had at finalize (CONTRACT part 2). */
  private async sendAdditionalData(): Promise<void> {
    if (this.additionalDataSent) return;
    for (;;) {
      const record = this.requireKycRecord();
      try {
        await this.withAttention('addAdditionalData', (p) =>
          p.addAdditionalData({ userId: this.requireUserId(), record, ...(this.bTrustAppCallBackId ? { bTrustAppCallBackId: this.bTrustAppCallBackId } : {}) }),
        );
        break;
      } catch (err) {
        if (!failedWith(err, FailureType.ValidationFailed)) throw err;
        // 10nPay refused a field the service's own validation let through: ask the user again.
        await this.waitForCorrectedKycData(describeFailure(err).message, this.stageAndAction());
      }
    }
    this.additionalDataSent = true;
    this.progress.done('additionalDataSent');
  }

  private async identifyAndSign(): Promise<void> {
    for (let restarts = 0; ; restarts++) {
      const outcome = await this.identifyOnce(restarts > 0);
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

  private async identifyOnce(restart: boolean): Promise<PhaseOutcome> {
    this.redirects = {};
    this.progress.enter('STARTING_IDENTIFICATION');
    let url: string;
    try {
      ({ url } = await this.withAttention('initiateIdentification', (p) => p.initiateIdentification({ userId: this.requireUserId(), restart })));
    } catch (err) {
      if (failedWith(err, FailureType.NotEligible)) throw new OnboardingEnded('FAILED', 'NotEligibleForIdentification', true);
      if (failedWith(err, FailureType.UntrustedUrl)) throw new OnboardingEnded('FAILED', FailureType.UntrustedUrl, true);
      throw err;
    }
    this.progress.done('identificationStarted');

    const phaseA = await this.identificationPhase('A', url);
    if (!phaseA.ok) return phaseA;
    this.progress.done('identificationVerified');
    if (phaseA.status?.status !== 'DOCUMENT_SIGN_SUCCESS') {
      const signingUrl = phaseA.status?.url;
      if (!signingUrl) return { ok: false, reason: 'NoSigningUrl' };
      const phaseB = await this.identificationPhase('B', signingUrl);
      if (!phaseB.ok) return phaseB;
    }
    this.progress.done('documentsSigned');
    return { ok: true };
  }

  /**
   * One polling phase. The polled status is the truth and a redirect only a hint: while no
   * redirect has come the status is polled slowly in the background; a Success redirect starts
   * fast polling; a Fail redirect makes the service check the status once.
   */
  private async identificationPhase(phase: Phase, url: string): Promise<PhaseOutcome> {
    const [waiting, verifying, purpose, target]: [Stage, Stage, 'IDENTIFICATION' | 'DOCUMENT_SIGNING', IdentificationTarget] =
      phase === 'A'
        ? ['AWAITING_IDENTIFICATION', 'VERIFYING_IDENTIFICATION', 'IDENTIFICATION', 'SIGN_SESSION_ID_SUCCESSFULLY_CREATED']
        : ['AWAITING_SIGNATURE', 'VERIFYING_SIGNATURE', 'DOCUMENT_SIGNING', 'DOCUMENT_SIGN_SUCCESS'];
    const statusQuery = { userId: this.requireUserId(), userType: tennpayUserType(this.input.userType), target };
    // A redirect cannot say which step it follows: during signing, a late repeat of the first
    // redirect looks like the signing one. If fast polling then runs out while the documents are
    // still unsigned, the hint was stale: the user is sent back to sign, once, instead of failing.
    let staleHintForgiven = false;
    for (;;) {
      this.progress.enter(waiting, { type: 'OPEN_URL', url, purpose });
      const first = await this.awaitStatusOrRedirect(phase, statusQuery);
      if (first.kind === 'reached') return { ok: true, status: first.status };
      if (first.kind === 'pollEnded') {
        if (isCancellation(first.error)) throw first.error;
        if (failedWith(first.error, FailureType.IdentificationFailed)) return { ok: false, reason: 'IdentificationError' };
        if (isBusinessFailure(first.error)) throw first.error;
        throw new OnboardingEnded('ABANDONED', phase === 'A' ? 'IdentificationNotCompleted' : 'DocumentsNotSigned');
      }

      // While the signature is verified the signing page stays on offer: the redirect may be that
      // stale repeat, and only the polled status says the documents are signed.
      this.progress.enter(verifying, phase === 'B' ? { type: 'OPEN_URL', url, purpose } : { type: 'WAIT' });
      if (this.redirects[phase]?.outcome === 'fail') {
        const status = await this.withAttention('checkIdentificationStatus', (p) => p.getIdentificationStatus(statusQuery));
        const movedOn = status.status === target || status.status === 'DOCUMENT_SIGN_SUCCESS';
        return movedOn ? { ok: true, status } : { ok: false, reason: 'FailRedirect' };
      }
      try {
        return { ok: true, status: await this.calls.fastPoll.awaitIdentificationStatus(statusQuery) };
      } catch (err) {
        if (isCancellation(err)) throw err;
        if (failedWith(err, FailureType.IdentificationFailed)) return { ok: false, reason: 'IdentificationError' };
        if (isBusinessFailure(err)) throw err;
        if (phase === 'A' || staleHintForgiven) return { ok: false, reason: 'PollCapReached' };
        staleHintForgiven = true;
        delete this.redirects[phase];
        this.progress.done('redirect:stale:B');
      }
    }
  }

  /** Waits for the phase's redirect while polling the status slowly in the background. */
  private async awaitStatusOrRedirect(phase: Phase, statusQuery: { userId: number; userType: 0 | 1; target: IdentificationTarget }) {
    const background = new CancellationScope();
    const polled = background
      .run(() => this.calls.backgroundPoll.awaitIdentificationStatus(statusQuery))
      .then((status) => ({ kind: 'reached' as const, status }), (error: unknown) => ({ kind: 'pollEnded' as const, error }));
    const redirected = condition(() => this.redirects[phase] !== undefined).then(() => ({ kind: 'redirect' as const }));
    const first = await Promise.race([polled, redirected]);
    if (first.kind === 'redirect') {
      background.cancel();
      await polled;
    }
    return first;
  }

  private async finalizeIdentification(): Promise<void> {
    this.progress.enter('FINALIZING');
    await this.sendAdditionalData();
    try {
      const { correlationId, individualId } = await this.withAttention('finalizeIdentification', (p) =>
        p.finalizeIdentification({ userId: this.requireUserId(), bTrustAppCallBackId: this.bTrustAppCallBackId }),
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
    const result = await this.awaitPartnerStatus(
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
          await this.waitForCorrectedKycData(failure.message, { stage: 'VERIFYING_PARTNER_ACCOUNT' });
        } else if (failedWith(err, FailureType.PartnerTooManyVerifications)) {
          this.progress.noteError({ step: 'addUserVerification', ...failure });
          await sleep(this.settings.partnerTooManyVerificationsWait);
        } else if (failedWith(err, FailureType.PartnerKycInvalid, FailureType.PartnerKycFilesMissing, FailureType.PartnerKycNotFound)) {
          this.progress.noteError({ step: 'addUserVerification', ...failure });
          delete this.partnerStatus['kyc-verification-status'];
          delete this.partnerStatus['kyc-file-added'];
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
      const result = await this.awaitPartnerStatus(
        'poa-verification-status',
        (s) => s.status === 'APPROVED' || s.status === 'REJECTED',
        undefined,
        'ProofOfAddressNotVerified',
      );
      if (result.status === 'APPROVED') return;
      delete this.partnerStatus['poa-verification-status'];
      delete this.uploads.PROOF_OF_ADDRESS;
    }
  }

  private async awaitActiveAccount(): Promise<void> {
    this.progress.enter('VERIFYING_PARTNER_ACCOUNT');
    await this.awaitPartnerStatus('user-status', (s) => s.status === 'ACTIVE', undefined, 'PartnerAccountNotActivated');
    this.progress.done('partnerAccountActive');
  }

  /**
   * Waits for a P100 webhook that satisfies `done`. When none comes for a while, asks P100 through
   * `fallback` (where P100 offers a status call) and keeps waiting; where P100 offers none, flags
   * the onboarding for ops (the event may have been lost beyond P100's redelivery) and keeps
   * waiting. Gives up after the step timeout.
   */
  private async awaitPartnerStatus(
    type: PartnerEventType,
    done: (s: { status: string; verificationId?: string; reason?: string }) => boolean,
    fallback: (() => Promise<{ status: string; verificationId?: string; reason?: string }>) | undefined,
    abandonReason: string,
  ): Promise<{ status: string; reason?: string }> {
    const reached = () => {
      const s = this.partnerStatus[type];
      return s !== undefined && done(s);
    };
    // Onboardings started before overdue events were flagged keep waiting as they did.
    const flagOverdue = !fallback && patched('flag-overdue-partner-events');
    let flagged = false;
    const deadline = Date.now() + msOf(this.settings.userStepTimeout);
    while (!reached()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new OnboardingEnded('ABANDONED', abandonReason, true);
      const wait = (fallback || (flagOverdue && !flagged)) ? Math.min(left, msOf(this.settings.partnerWebhookFallbackAfter)) : left;
      if (await condition(reached, wait)) break;
      if (fallback) {
        try {
          this.applyPartnerStatus(type, await fallback());
        } catch (err) {
          if (!failedWith(err, FailureType.PartnerKycNotFound)) throw err;
        }
      } else if (flagOverdue && !flagged) {
        flagged = true;
        this.progress.flag({ step: `partnerEvent:${type}`, type: 'PartnerEventOverdue', message: `no ${type} event from P100 yet` });
      }
    }
    if (flagged) this.progress.clearAttention();
    return this.partnerStatus[type]!;
  }

  // ---- waiting for people ---------------------------------------------------------------------

  /** Waits for the user; a user who does not come back within `timeout` abandons the onboarding. */
  private async waitForUser(ready: () => boolean, timeout: Duration, abandonReason: string): Promise<void> {
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

  /** A provider refused the KYC data: the user corrects it; the step then runs again. */
  private async waitForCorrectedKycData(providerMessage: string, resume: { stage: Stage; nextAction?: NextAction }): Promise<void> {
    const version = this.kycRecordVersion;
    this.progress.noteError({ step: 'kycData', type: 'KycDataRejected', message: providerMessage });
    this.progress.enter(resume.stage, { type: 'SUBMIT_KYC_DATA', message: providerMessage });
    await this.waitForUser(() => this.kycRecordVersion > version, this.settings.userStepTimeout, 'KycDataNotCorrected');
    this.progress.enter(resume.stage, resume.nextAction ?? { type: 'WAIT' });
  }

  /**
   * Runs a provider step. The activity's retry policy retries quickly for a short window; if the
   * provider keeps failing, the step is flagged for ops at once (lastError, needsAttention) and
   * retried slowly inside one activity, whose next attempt ops can bring forward (ResetActivity).
   * Business outcomes (non-retryable failures) go to the caller.
   */
  private async withAttention<T>(step: string, call: (providers: Providers) => Promise<T>): Promise<T> {
    const since = new Date().toISOString();
    try {
      const result = await call(this.calls.step);
      this.progress.clearAttention();
      return result;
    } catch (err) {
      if (isCancellation(err) || isBusinessFailure(err)) throw err;
      // Onboardings whose step failed before this change waited on a workflow timer between
      // 10-minute windows; they replay and go on that way.
      if (!patched('step-slow-retries-in-one-activity')) return this.retryWithTimer(step, call, err);
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

    setHandler(messages.submitEmailCode, ({ code }) => this.checkCode('email', code), {
      validator: ({ code }) => {
        this.requireStage('AWAITING_EMAIL_CODE');
        requireCode(code);
      },
    });
    setHandler(messages.resendEmailCode, () => this.resendCode('email'), {
      validator: () => this.requireStage('AWAITING_EMAIL_CODE'),
    });
    setHandler(messages.submitSmsCode, ({ code }) => this.checkCode('sms', code), {
      validator: ({ code }) => {
        this.requireStage('AWAITING_SMS_CODE');
        if (this.lastSmsSentAt === 0) throw wrongStage('the SMS code has not been sent yet');
        requireCode(code);
      },
    });
    setHandler(messages.resendSmsCode, () => this.resendCode('sms'), {
      validator: () => {
        this.requireStage('AWAITING_SMS_CODE');
        if (this.lastSmsSentAt === 0) throw wrongStage('the SMS code has not been sent yet');
      },
    });

    setHandler(
      messages.submitKycData,
      (record) => {
        this.kycRecord = kycRecordSchema.parse(record);
        this.kycRecordVersion++;
        this.progress.done('kycDataReceived');
        return { accepted: true } as const;
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
        },
      },
    );

    setHandler(messages.boricaRedirectReceived, (redirect) => {
      // Which phase a redirect belongs to is decided by the stage, not by the redirect (its query
      // does not say); a redirect while that phase is already being verified changes nothing.
      const phase = phaseOfStage(this.progress.stage);
      const duplicate = phase !== undefined && this.redirects[phase] !== undefined;
      if (phase && !duplicate) {
        this.redirects[phase] = redirect;
        const callbackId = redirect.query['bTrustAppCallBackId'];
        if (callbackId) this.bTrustAppCallBackId = callbackId;
      }
      this.progress.done(`redirect:${redirect.outcome}:${phase === undefined ? 'ignored' : duplicate ? 'duplicate' : phase}`);
    });

    setHandler(
      messages.restartIdentification,
      (_request) => {
        this.restartRequested = true;
        return { accepted: true } as const;
      },
      { validator: (_request) => this.requireStage('IDENTIFICATION_FAILED') },
    );

    setHandler(
      messages.submitFiles,
      (upload) => {
        this.uploads[upload.purpose] = upload.files;
        return { accepted: true } as const;
      },
      {
        validator: (upload) => {
          if (!fileUploadSchema.safeParse(upload).success) throw invalidInput('the file references are invalid');
          const action = this.progress.nextAction;
          if (action.type !== 'UPLOAD_FILES' || action.purpose !== upload.purpose) {
            throw wrongStage(`the onboarding is not waiting for ${upload.purpose} files`);
          }
        },
      },
    );

    setHandler(messages.partnerEventReceived, (event) => this.applyPartnerEvent(event));

    setHandler(
      messages.retryStep,
      (_request) => {
        this.retryRequested = true;
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
      ({ reason }) => {
        this.cancelReason = reason;
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

  /** Checks a code with 10nPay; at most codeMaxAttempts wrong codes, then the onboarding fails. */
  private async checkCode(channel: 'email' | 'sms', code: string): Promise<messages.CodeResult> {
    return this.codeLock.run(async () => {
      const confirmed = () => (channel === 'email' ? this.emailConfirmed : this.smsVerified);
      const attemptsLeft = () => (channel === 'email' ? this.emailAttemptsLeft : this.smsAttemptsLeft);
      if (confirmed()) return { accepted: true, attemptsLeft: attemptsLeft() };
      if (this.lockedOutReason || attemptsLeft() <= 0) return { accepted: false, attemptsLeft: 0 };
      try {
        const userId = this.requireUserId();
        if (channel === 'email') await this.calls.interactive.confirmEmail({ userId, code });
        else await this.calls.interactive.verifyPhone({ userId, code });
      } catch (err) {
        if (failedWith(err, FailureType.CodeBlocked)) {
          this.lockedOutReason = channel === 'email' ? 'EmailCodeBlocked' : 'SmsCodeBlocked';
          return { accepted: false, attemptsLeft: 0 };
        }
        if (!failedWith(err, FailureType.InvalidCode)) throw providerCouldNotAnswer(err);
        if (channel === 'email') this.emailAttemptsLeft--;
        else this.smsAttemptsLeft--;
        if (attemptsLeft() <= 0) this.lockedOutReason = channel === 'email' ? 'EmailCodeAttemptsExceeded' : 'SmsCodeAttemptsExceeded';
        return { accepted: false, attemptsLeft: attemptsLeft() };
      }
      if (channel === 'email') this.emailConfirmed = true;
      else this.smsVerified = true;
      return { accepted: true, attemptsLeft: attemptsLeft() };
    });
  }

  private async resendCode(channel: 'email' | 'sms'): Promise<messages.ResendResult> {
    return this.codeLock.run(async () => {
      const sentAt = channel === 'email' ? this.lastEmailSentAt : this.lastSmsSentAt;
      const waitMs = sentAt + msOf(this.settings.codeResendCooldown) - Date.now();
      if (waitMs > 0) return { accepted: false, retryAfterSeconds: Math.ceil(waitMs / 1000) };
      const userId = this.requireUserId();
      try {
        if (channel === 'email') await this.calls.interactive.sendEmailConfirmation({ userId, email: this.input.email });
        else await this.calls.interactive.resendSmsCode({ userId });
      } catch (err) {
        if (failedWith(err, FailureType.ResendNotAllowed)) {
          return { accepted: false, retryAfterSeconds: Math.ceil(msOf(this.settings.codeResendCooldown) / 1000) };
        }
        throw providerCouldNotAnswer(err);
      }
      if (channel === 'email') this.lastEmailSentAt = Date.now();
      else this.lastSmsSentAt = Date.now();
      this.progress.done(`${channel}CodeResent`);
      return { accepted: true };
    });
  }

  private applyPartnerEvent(event: PartnerEvent): void {
    if (!PARTNER_EVENT_TYPES.includes(event.type)) return;
    if (event.payload.externalUserId !== this.input.onboardingId) return;
    this.applyPartnerStatus(event.type, event.payload);
  }

  /** Keeps the most advanced status of each kind: a late or repeated event never moves it back. */
  private applyPartnerStatus(type: PartnerEventType, next: { status: string; verificationId?: string; reason?: string }): void {
    const rank = STATUS_RANK[type];
    const current = this.partnerStatus[type];
    const nextRank = rank[next.status];
    if (nextRank === undefined) return;
    const sameVerification = current?.verificationId === undefined || next.verificationId === undefined || current.verificationId === next.verificationId;
    if (current && sameVerification && (rank[current.status] ?? -1) >= nextRank) return;
    this.partnerStatus[type] = { status: next.status, ...(next.verificationId ? { verificationId: next.verificationId } : {}), ...(next.reason ? { reason: next.reason } : {}) };
  }

  // ---- guards ---------------------------------------------------------------------------------

  private requireStage(stage: Stage): void {
    this.requireNotEnded();
    if (this.progress.stage !== stage) throw wrongStage(`the onboarding is at ${this.progress.stage}, not ${stage}`);
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

  private stageAndAction(): { stage: Stage; nextAction: NextAction } {
    return { stage: this.progress.stage, nextAction: this.progress.nextAction };
  }
}

function phaseOfStage(stage: Stage): Phase | undefined {
  if (stage === 'STARTING_IDENTIFICATION' || stage === 'AWAITING_IDENTIFICATION') return 'A';
  if (stage === 'AWAITING_SIGNATURE') return 'B';
  return undefined;
}

function requireCode(code: unknown): void {
  if (typeof code !== 'string' || !/^\d{4,8}$/.test(code)) throw invalidInput('the code must be 4 to 8 digits');
}

/**
 * A provider that kept failing while the user waited for a code check or resend: the user's call
 * failed for a reason of the provider's, nothing was counted, and the same call may be sent again
 * (the API answers 503 with Retry-After). Business outcomes pass through unchanged.
 */
function providerCouldNotAnswer(err: unknown): unknown {
  if (isCancellation(err) || isBusinessFailure(err)) return err;
  return ApplicationFailure.create({
    type: FailureType.ProviderUnavailable,
    message: `10nPay could not answer (${describeFailure(err).type}); try again shortly`,
    nonRetryable: true,
  });
}

function wrongStage(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.WrongStage, message, nonRetryable: true });
}

function invalidInput(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.InvalidInput, message, nonRetryable: true });
}
