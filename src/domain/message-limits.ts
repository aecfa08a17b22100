// Abuse limits (CONTRACT part 4): how many messages of each kind from outside one onboarding takes.
// Each accepted message is history; past its bound a message is refused (429, nothing sent to a
// provider) and the first refusal of each kind is written to the onboarding record as a
// MESSAGE_REFUSED trail event. The workflow keeps the counts (src/workflows/message-limits.ts);
// the API asks them (query messageLimits) before it signals, for the messages that are signals.

/** The limited messages, named as the workflow's messages (src/workflows/messages.ts). */
export const LIMITED_MESSAGES = [
  'boricaRedirectReceived',
  'partnerEventReceived',
  'submitKycData',
  'submitFiles',
  'resendEmailCode',
  'resendSmsCode',
] as const;
export type LimitedMessage = (typeof LIMITED_MESSAGES)[number];

/** Borica redirects one onboarding takes (identification, signing, their repeats and restarts). */
export const MAX_REDIRECTS_PER_ONBOARDING = 40;
/** P100 webhook events one onboarding takes (every kind, duplicates included). */
export const MAX_PARTNER_EVENTS_PER_ONBOARDING = 50;
/** KYC records one onboarding takes (corrections included). */
export const MAX_KYC_DATA_PER_ONBOARDING = 20;
/** File uploads one onboarding takes (each of at most 3 files; replacements included). */
export const MAX_UPLOADS_PER_ONBOARDING = 10;
/** CODE_MAX_RESENDS's default, for onboardings started before the setting existed. */
export const DEFAULT_MAX_RESENDS = 5;

/** The `reason` of a MESSAGE_REFUSED event: the limit's name. */
export const LIMIT_NAMES: Record<LimitedMessage, string> = {
  boricaRedirectReceived: 'MAX_REDIRECTS_PER_ONBOARDING',
  partnerEventReceived: 'MAX_PARTNER_EVENTS_PER_ONBOARDING',
  submitKycData: 'MAX_KYC_DATA_PER_ONBOARDING',
  submitFiles: 'MAX_UPLOADS_PER_ONBOARDING',
  resendEmailCode: 'CODE_MAX_RESENDS',
  resendSmsCode: 'CODE_MAX_RESENDS',
};

/** Where one kind of message stands on an onboarding. */
export interface MessageLimitState {
  received: number;
  max: number;
  /** The first refusal past the bound is in the record: later ones are refused without the workflow. */
  refusalRecorded: boolean;
}
export type MessageLimitStates = Record<LimitedMessage, MessageLimitState>;
