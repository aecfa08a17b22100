// What the service's stages and reasons mean, in words a person understands. Unknown values fall
// back to a general sentence rather than showing a code.
import type { Stage } from '../../src/domain/onboarding';

export const WAITING_WORDS: Partial<Record<Stage, { title: string; text: string }>> = {
  CREATING_USER: { title: 'Setting up your application', text: 'This takes a few seconds. We will send a code to your e-mail address.' },
  AWAITING_EMAIL_CODE: { title: 'Sending your e-mail code', text: 'The code is on its way to your inbox.' },
  AWAITING_SMS_CODE: { title: 'Sending your SMS code', text: 'The code is on its way to your phone.' },
  AWAITING_KYC_DATA: { title: 'Saving your details', text: 'One moment, please.' },
  STARTING_IDENTIFICATION: { title: 'Preparing your identification', text: 'We are opening a session with B-Trust. This takes a few seconds.' },
  AWAITING_IDENTIFICATION: { title: 'Waiting for your identification', text: 'Finish the identification on the B-Trust page. This page follows by itself.' },
  VERIFYING_IDENTIFICATION: { title: 'Checking your identification', text: 'B-Trust is confirming who you are. This usually takes less than a minute.' },
  AWAITING_SIGNATURE: { title: 'Preparing your documents', text: 'Your documents are being prepared for your signature.' },
  VERIFYING_SIGNATURE: { title: 'Checking your signature', text: 'We are confirming that your documents are signed.' },
  IDENTIFICATION_FAILED: { title: 'Checking what happened', text: 'One moment, please.' },
  FINALIZING: { title: 'Opening your 10nPay account', text: 'Your identification is complete. We are finishing your account.' },
  CREATING_PARTNER_ACCOUNT: { title: 'Opening your P100 account', text: 'This takes a few seconds.' },
  AWAITING_PARTNER_KYC: { title: 'Waiting for P100', text: 'P100 is checking your identity. You may close this page and come back later.' },
  AWAITING_FILES: { title: 'Receiving your files', text: 'One moment, please.' },
  VERIFYING_PARTNER_ACCOUNT: { title: 'P100 is checking your documents', text: 'This can take a while. You may close this page and come back later: it will show where you are.' },
};

const REASONS: Record<string, string> = {
  EmailAlreadyRegistered: 'This e-mail address already has a 10nPay account. Sign in to it, or apply with another e-mail address.',
  PhoneAlreadyRegistered: 'This phone number is already registered to another account. Apply with another phone number.',
  EmailCodeAttemptsExceeded: 'The e-mail code was entered wrongly too many times.',
  SmsCodeAttemptsExceeded: 'The SMS code was entered wrongly too many times.',
  EmailCodeBlocked: 'The e-mail code was blocked after too many tries.',
  SmsCodeBlocked: 'The SMS code was blocked after too many tries.',
  EmailNotConfirmed: 'The e-mail address was not confirmed in time.',
  SmsCodeNotEntered: 'The SMS code was not entered in time.',
  KycDataNotSubmitted: 'Your details were not sent in time.',
  KycDataNotCorrected: 'Your details were not corrected in time.',
  IdentificationNotRestarted: 'The identification was not tried again in time.',
  IdentificationNotCompleted: 'The identification was not finished in time.',
  DocumentsNotSigned: 'The documents were not signed in time.',
  IdentificationRestartsExhausted: 'The identification did not succeed after several tries.',
  NotEligibleForIdentification: 'We could not start an identification for this account.',
  FilesNotUploaded: 'The documents were not uploaded in time.',
  OnboardingTimedOut: 'The application was not finished in time.',
  PartnerKycAttemptsExhausted: 'P100 could not verify your identity.',
  PartnerDocumentNumberUsed: 'This identity document is already used by another P100 account.',
  UnknownUserAtFinalize: 'Your account could not be completed because of a problem on our side.',
  UntrustedUrl: 'The identification could not be opened safely, so we stopped.',
};

export interface EndWords {
  title: string;
  text: string;
}

export function endWords(stage: Stage, reason: string | undefined): EndWords {
  if (stage === 'COMPLETED') {
    return { title: 'Your account is open', text: 'Everything is done. You can now use your 10nPay and P100 accounts.' };
  }
  const why = reason ? REASONS[reason] : undefined;
  if (stage === 'CANCELLED') return { title: 'Your application was cancelled', text: 'It was stopped by our team. Contact support if you did not expect this.' };
  if (stage === 'ABANDONED') return { title: 'Your application has expired', text: `${why ?? 'It was left unfinished for too long.'} You can start a new application.` };
  return { title: 'We could not open your account', text: why ?? 'Something went wrong that cannot be fixed here. Please contact support.' };
}

export function secondsText(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const m = Math.ceil(seconds / 60);
  return `${m} minute${m === 1 ? '' : 's'}`;
}
