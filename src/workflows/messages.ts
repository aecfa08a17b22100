// The onboarding workflow's messages: what frontends, partners and ops can send it (signals and
// updates) and ask it (queries). The API and ops tools import these definitions, so names and
// payload shapes are declared once.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { FileUpload } from '../domain/files';
import type { KycRecordInput } from '../domain/kyc-record';
import type { MessageLimitStates } from '../domain/message-limits';
import type { OnboardingView } from '../domain/onboarding';
import type { PartnerEvent } from '../domain/partner-events';

export interface CodeResult {
  accepted: boolean;
  attemptsLeft: number;
}
export interface ResendResult {
  accepted: boolean;
  /** Seconds until the next resend is allowed, when this one was refused for the cooldown. */
  retryAfterSeconds?: number;
}
export interface BoricaRedirect {
  outcome: 'success' | 'fail';
  query: Record<string, string>;
}
export interface OpsAction {
  /** Who asked, for the timeline (never personal data). */
  requestedBy: string;
}

// Updates: the caller learns the outcome at once; validators reject calls that do not fit the stage.
export const submitEmailCode = defineUpdate<CodeResult, [{ code: string }]>('submitEmailCode');
export const resendEmailCode = defineUpdate<ResendResult, []>('resendEmailCode');
export const submitSmsCode = defineUpdate<CodeResult, [{ code: string }]>('submitSmsCode');
export const resendSmsCode = defineUpdate<ResendResult, []>('resendSmsCode');
export const submitKycData = defineUpdate<{ accepted: true }, [KycRecordInput]>('submitKycData');
export const restartIdentification = defineUpdate<{ accepted: true }, [OpsAction]>('restartIdentification');
export const submitFiles = defineUpdate<{ accepted: true }, [FileUpload]>('submitFiles');
export const retryStep = defineUpdate<{ retried: string }, [OpsAction]>('retryStep');
export const cancelOnboarding = defineUpdate<{ cancelled: true }, [OpsAction & { reason: string }]>('cancelOnboarding');

// Signals: hints and events that must be accepted even when the workflow is not waiting for them.
export const boricaRedirectReceived = defineSignal<[BoricaRedirect]>('boricaRedirectReceived');
export const partnerEventReceived = defineSignal<[PartnerEvent]>('partnerEventReceived');
/** Ops retried a failing step through the server (its activity reset): the trail records the action and its actor. */
export const stepRetried = defineSignal<[OpsAction]>('stepRetried');

export const onboardingView = defineQuery<OnboardingView>('onboardingView');
/** How many messages of each limited kind the onboarding took (abuse limits): the API asks before it signals. */
export const messageLimits = defineQuery<MessageLimitStates>('messageLimits');
