// The failure types activities raise and the workflow branches on: one vocabulary for both
// providers, built by src/activities/provider-failures.ts and classified per provider beside each
// client (src/activities/tennpay/errors.ts, src/activities/partner/errors.ts).
export const FailureType = {
  // 10nPay
  InvalidCode: 'InvalidCode',
  CodeBlocked: 'CodeBlocked',
  EmailAlreadyRegistered: 'EmailAlreadyRegistered',
  PhoneAlreadyRegistered: 'PhoneAlreadyRegistered',
  ResendNotAllowed: 'ResendNotAllowed',
  NotEligible: 'NotEligible',
  UnknownUser: 'UnknownUser',
  IdentificationFailed: 'IdentificationFailed',
  IdentificationPending: 'IdentificationPending',
  IdentificationNotCompleted: 'IdentificationNotCompleted',
  ValidationFailed: 'ValidationFailed',
  UntrustedUrl: 'UntrustedUrl',
  Unauthorized: 'Unauthorized',
  // P100
  PartnerValidation: 'PartnerValidation',
  PartnerUserMissing: 'PartnerUserMissing',
  PartnerAccountExists: 'PartnerAccountExists',
  PartnerTooManyVerifications: 'PartnerTooManyVerifications',
  PartnerAlreadyVerified: 'PartnerAlreadyVerified',
  PartnerKycInvalid: 'PartnerKycInvalid',
  PartnerKycNotFound: 'PartnerKycNotFound',
  PartnerKycFilesMissing: 'PartnerKycFilesMissing',
  PartnerDocumentUsed: 'PartnerDocumentUsed',
  PartnerFileRejected: 'PartnerFileRejected',
  PartnerPoaNotRequired: 'PartnerPoaNotRequired',
  // the service's own file store: a file the user uploaded is gone or altered (upload them again)
  StoredFileMissing: 'StoredFileMissing',
  // update validators: the call does not fit the onboarding now (API: 409 / 400)
  WrongStage: 'WrongStage',
  InvalidInput: 'InvalidInput',
  OnboardingEnded: 'OnboardingEnded',
  // either provider, retryable
  ProviderUnavailable: 'ProviderUnavailable',
  RateLimited: 'RateLimited',
  MalformedResponse: 'MalformedResponse',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];
