// The activities the onboarding workflow proxies, as one interface: the workflow depends on this
// shape only, and `createActivities` (src/activities/index.ts) implements it over the provider clients.
// Failures are ApplicationFailures whose `type` is one of src/domain/failures.ts.
import type { StoredFile } from '../domain/files';
import type { KycRecord } from '../domain/kyc-record';

export type IdentificationTarget = 'SIGN_SESSION_ID_SUCCESSFULLY_CREATED' | 'DOCUMENT_SIGN_SUCCESS';

export interface IdentificationStatus {
  /** 10nPay's status code as returned (null when the provider has none yet). */
  status: string | null;
  /** Present when the status carries a URL; always checked against TRUSTED_URL_HOSTS. */
  url: string | null;
}

/** What 10nPay already has of a user (GET /User/{id}/status), as the onboarding asks it. */
export interface TennpayUserProgress {
  emailVerified: boolean;
  phoneVerified: boolean;
  /** add-additional-data was accepted. */
  additionalData: boolean;
  /** Identified and finalized (SCA verified, or the user is Active). */
  identified: boolean;
}

export interface TennpayActivities {
  /** POST /User. Not idempotent at the provider: a retry after a lost response answers EmailAlreadyRegistered. */
  createUser(input: { email: string }): Promise<{ userId: number }>;
  /** GET /User/{id}/status. UnknownUser (non-retryable) when 10nPay has no such user. */
  getUserStatus(input: { userId: number }): Promise<TennpayUserProgress>;
  /** POST /User/email/send-confirmation (resend of the e-mail code). */
  sendEmailConfirmation(input: { userId: number; email: string }): Promise<void>;
  /** POST /User/email/confirm. InvalidCode (non-retryable) for a wrong or expired code. */
  confirmEmail(input: { userId: number; code: string }): Promise<void>;
  /** POST /User/phone-number/send-code. PhoneAlreadyRegistered (non-retryable). */
  sendSmsCode(input: { userId: number; phoneNumber: string }): Promise<void>;
  /** POST /User/{id}/phone-number/resend-code. ResendNotAllowed (non-retryable) when throttled. */
  resendSmsCode(input: { userId: number }): Promise<void>;
  /** POST /User/phone-number/verify. InvalidCode or CodeBlocked (non-retryable). */
  verifyPhone(input: { userId: number; code: string }): Promise<void>;
  /** POST /User/add-additional-data, the record mapped onto EnrollAdditionalData. */
  addAdditionalData(input: { userId: number; record: KycRecord; bTrustAppCallBackId?: string }): Promise<void>;
  /** POST /Enrollment/initiate-external-identification. UntrustedUrl when the URL's host is not allowed. */
  initiateIdentification(input: { userId: number; restart: boolean }): Promise<{ url: string }>;
  /** One status call (GET …/true/get-identification-process-status). */
  getIdentificationStatus(input: { userId: number; userType: 0 | 1 }): Promise<IdentificationStatus>;
  /**
   * Polling as a retry policy: answers once the status has reached `target` (or moved past it),
   * throws the retryable IdentificationPending while it has not, and the non-retryable
   * IdentificationFailed on ERROR or an unknown code.
   */
  awaitIdentificationStatus(input: { userId: number; userType: 0 | 1; target: IdentificationTarget }): Promise<IdentificationStatus>;
  /** POST /Enrollment/finalize-external-identification; a 400 ("not yet") is retryable, 404 is not. */
  finalizeIdentification(input: { userId: number; bTrustAppCallBackId: string | null }): Promise<{ correlationId: string; individualId: number }>;
}

export interface PartnerActivities {
  /**
   * Create User Account. P410 for our own externalUserId means our earlier attempt created it and
   * its answer was lost: answered as existing, with P100's user id and its proof-of-address wish
   * unknown (`null`; P100 has no call to read them back).
   */
  createPartnerAccount(input: {
    externalUserId: string;
    email: string;
    phoneNumber: string;
    record: KycRecord;
  }): Promise<{ partnerUserId: string | null; poaRequiredForExtended: boolean | null; alreadyExisted: boolean }>;
  /** Method A: Add KYC File, the files read from the file store. */
  uploadKycFiles(input: { externalUserId: string; files: StoredFile[] }): Promise<void>;
  /** Method B: Create KYC Verification. */
  createKycVerification(input: { externalUserId: string; record: KycRecord }): Promise<{ verificationId: string }>;
  /** Method B: Get KYC Status; PartnerKycNotFound when P100 has none. */
  getKycStatus(input: { externalUserId: string }): Promise<{ status: string; reason?: string }>;
  /** Add User Verification; P442 (already verified) is answered as success. */
  addUserVerification(input: { externalUserId: string; record: KycRecord }): Promise<void>;
  /** Add POA File (201, or 202 P211 pending); P447 (already verified) is answered as success. */
  uploadPoaFiles(input: { externalUserId: string; files: StoredFile[] }): Promise<void>;
}

export type OnboardingActivities = TennpayActivities & PartnerActivities;
