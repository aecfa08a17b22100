// Web identification at 10nPay (Borica/B-Trust), once: start it, then its two phases — the user
// identifies (10nPay's status reaches SIGN_SESSION_ID_SUCCESSFULLY_CREATED with a signing URL),
// then signs the documents (DOCUMENT_SIGN_SUCCESS). The polled status is the truth; the Borica
// redirects the frontend relays are hints that speed the polling up.
import { CancellationScope, condition, isCancellation } from '@temporalio/workflow';
import type { IdentificationStatus, IdentificationTarget } from '../activities/types';
import { FailureType } from '../domain/failures';
import { tennpayUserType, type Stage, type UserType } from '../domain/onboarding';
import type { BoricaRedirect } from './messages';
import { OnboardingEnded } from './onboarding-ended';
import type { Progress } from './progress';
import { failedWith, isBusinessFailure, type ProviderCalls, type ProviderStep } from './provider-calls';

/** The user identifies first, then signs the documents. */
export type IdentificationPhase = 'identification' | 'signing';

/**
 * How each phase is written in the timeline (`redirect:success:A`, `redirect:stale:B`): the labels
 * running onboardings and ops tools already have, kept so that old and new entries read alike.
 */
const TIMELINE_LABEL: Record<IdentificationPhase, string> = { identification: 'A', signing: 'B' };

export interface IdentificationOutcome {
  ok: boolean;
  status?: IdentificationStatus;
  reason?: string;
}

interface PhaseSpec {
  waiting: Stage;
  verifying: Stage;
  purpose: 'IDENTIFICATION' | 'DOCUMENT_SIGNING';
  target: IdentificationTarget;
  notCompleted: string;
}

const PHASES: Record<IdentificationPhase, PhaseSpec> = {
  identification: {
    waiting: 'AWAITING_IDENTIFICATION',
    verifying: 'VERIFYING_IDENTIFICATION',
    purpose: 'IDENTIFICATION',
    target: 'SIGN_SESSION_ID_SUCCESSFULLY_CREATED',
    notCompleted: 'IdentificationNotCompleted',
  },
  signing: {
    waiting: 'AWAITING_SIGNATURE',
    verifying: 'VERIFYING_SIGNATURE',
    purpose: 'DOCUMENT_SIGNING',
    target: 'DOCUMENT_SIGN_SUCCESS',
    notCompleted: 'DocumentsNotSigned',
  },
};

export class Identification {
  private redirects: Partial<Record<IdentificationPhase, BoricaRedirect>> = {};
  /** From a redirect's query, where Borica gave one; it goes into add-additional-data and finalize. */
  bTrustAppCallBackId: string | null = null;

  constructor(
    private readonly deps: {
      progress: Progress;
      calls: ProviderCalls;
      /** Runs a provider step with the workflow's attention and slow-retry handling. */
      step: ProviderStep;
      userId: () => number;
      userType: UserType;
    },
  ) {}

  /** Starts the identification (again, when `restart`) and follows both phases to the signed documents. */
  async runOnce(restart: boolean): Promise<IdentificationOutcome> {
    const { progress, step } = this.deps;
    this.redirects = {};
    progress.enter('STARTING_IDENTIFICATION');
    let url: string;
    try {
      ({ url } = await step('initiateIdentification', (p) => p.initiateIdentification({ userId: this.deps.userId(), restart })));
    } catch (err) {
      if (failedWith(err, FailureType.NotEligible)) throw new OnboardingEnded('FAILED', 'NotEligibleForIdentification', true);
      if (failedWith(err, FailureType.UntrustedUrl)) throw new OnboardingEnded('FAILED', FailureType.UntrustedUrl, true);
      throw err;
    }
    progress.done('identificationStarted');

    const identified = await this.phase('identification', url);
    if (!identified.ok) return identified;
    progress.done('identificationVerified');
    if (identified.status?.status !== 'DOCUMENT_SIGN_SUCCESS') {
      const signingUrl = identified.status?.url;
      if (!signingUrl) return { ok: false, reason: 'NoSigningUrl' };
      const signed = await this.phase('signing', signingUrl);
      if (!signed.ok) return signed;
    }
    progress.done('documentsSigned');
    return { ok: true };
  }

  /**
   * A Borica redirect the frontend relayed. Which phase it belongs to is decided by the stage, not
   * by the redirect (its query does not say); a redirect while that phase is already being
   * verified changes nothing.
   */
  /** Whether the journey moves on this redirect (a phase waits for it and has none yet). */
  awaits(_redirect: BoricaRedirect): boolean {
    const phase = phaseOfStage(this.deps.progress.stage);
    return phase !== undefined && this.redirects[phase] === undefined;
  }

  onRedirect(redirect: BoricaRedirect): void {
    const phase = phaseOfStage(this.deps.progress.stage);
    const duplicate = phase !== undefined && this.redirects[phase] !== undefined;
    if (phase && !duplicate) {
      this.redirects[phase] = redirect;
      const callbackId = redirect.query['bTrustAppCallBackId'];
      if (callbackId) this.bTrustAppCallBackId = callbackId;
    }
    this.deps.progress.done(`redirect:${redirect.outcome}:${phase === undefined ? 'ignored' : duplicate ? 'duplicate' : TIMELINE_LABEL[phase]}`);
  }

  /**
   * One polling phase. While no redirect has come the status is polled slowly in the background;
   * a Success redirect starts fast polling; a Fail redirect makes the service check the status once.
   */
  private async phase(phase: IdentificationPhase, url: string): Promise<IdentificationOutcome> {
    const { progress, calls, step } = this.deps;
    const { waiting, verifying, purpose, target, notCompleted } = PHASES[phase];
    const statusQuery = { userId: this.deps.userId(), userType: tennpayUserType(this.deps.userType), target };
    // A redirect cannot say which step it follows: during signing, a late repeat of the first
    // redirect looks like the signing one. If fast polling then runs out while the documents are
    // still unsigned, the hint was stale: the user is sent back to sign, once, instead of failing.
    let staleHintForgiven = false;
    for (;;) {
      progress.enter(waiting, { type: 'OPEN_URL', url, purpose });
      progress.waiting();
      const first = await this.awaitStatusOrRedirect(phase, statusQuery);
      if (first.kind === 'reached') return { ok: true, status: first.status };
      if (first.kind === 'pollEnded') {
        if (isCancellation(first.error)) throw first.error;
        if (failedWith(first.error, FailureType.IdentificationFailed)) return { ok: false, reason: 'IdentificationError' };
        if (isBusinessFailure(first.error)) throw first.error;
        throw new OnboardingEnded('ABANDONED', notCompleted);
      }

      // While the signature is verified the signing page stays on offer: the redirect may be that
      // stale repeat, and only the polled status says the documents are signed.
      progress.enter(verifying, phase === 'signing' ? { type: 'OPEN_URL', url, purpose } : { type: 'WAIT' });
      // Polling may take minutes: the redirect's caller reads the verifying stage now.
      progress.recordNow();
      if (this.redirects[phase]?.outcome === 'fail') {
        const status = await step('checkIdentificationStatus', (p) => p.getIdentificationStatus(statusQuery));
        const movedOn = status.status === target || status.status === 'DOCUMENT_SIGN_SUCCESS';
        return movedOn ? { ok: true, status } : { ok: false, reason: 'FailRedirect' };
      }
      try {
        return { ok: true, status: await calls.fastPoll.awaitIdentificationStatus(statusQuery) };
      } catch (err) {
        if (isCancellation(err)) throw err;
        if (failedWith(err, FailureType.IdentificationFailed)) return { ok: false, reason: 'IdentificationError' };
        if (isBusinessFailure(err)) throw err;
        if (phase === 'identification' || staleHintForgiven) return { ok: false, reason: 'PollCapReached' };
        staleHintForgiven = true;
        delete this.redirects[phase];
        progress.done(`redirect:stale:${TIMELINE_LABEL[phase]}`);
      }
    }
  }

  /** Waits for the phase's redirect while polling the status slowly in the background. */
  private async awaitStatusOrRedirect(phase: IdentificationPhase, statusQuery: { userId: number; userType: 0 | 1; target: IdentificationTarget }) {
    const background = new CancellationScope();
    const polled = background
      .run(() => this.deps.calls.backgroundPoll.awaitIdentificationStatus(statusQuery))
      .then((status) => ({ kind: 'reached' as const, status }), (error: unknown) => ({ kind: 'pollEnded' as const, error }));
    const redirected = condition(() => this.redirects[phase] !== undefined).then(() => ({ kind: 'redirect' as const }));
    const first = await Promise.race([polled, redirected]);
    if (first.kind === 'redirect') {
      background.cancel();
      await polled;
    }
    return first;
  }
}

function phaseOfStage(stage: Stage): IdentificationPhase | undefined {
  if (stage === 'STARTING_IDENTIFICATION' || stage === 'AWAITING_IDENTIFICATION') return 'identification';
  if (stage === 'AWAITING_SIGNATURE') return 'signing';
  return undefined;
}
