// The 10nPay activities: thin wrappers over TennpayClient that map the domain onto the provider's
// shapes and turn statuses into the outcomes the workflow branches on. Failures are classified in
// ./errors.ts; here only the meaning of a 200 answer is decided (identification status).
import { FailureType } from '../../domain/failures';
import type { KycRecord } from '../../domain/kyc-record';
import { providerFailure } from '../provider-failures';
import { isTrustedUrl } from '../trusted-url';
import type { IdentificationStatus, IdentificationTarget, TennpayActivities } from '../types';
import type { TennpayClient } from './client';
import type { AddAdditionalDataRequest, EnrollAdditionalData } from './schemas';

export const IDENTIFICATION_STATUSES = {
  STARTED: 'STARTED',
  PROCESSING: 'PROCESSING',
  SIGN_SESSION_ID_SUCCESSFULLY_CREATED: 'SIGN_SESSION_ID_SUCCESSFULLY_CREATED',
  DOCUMENT_SIGN_SUCCESS: 'DOCUMENT_SIGN_SUCCESS',
  ERROR: 'ERROR',
} as const;

/** 10nPay's user status codes (GET /User/{id}/status, CONTRACT part 2). */
export const TENNPAY_USER_STATUS = {
  Registered: 50,
  PendingVerification: 150,
  Active: 200,
  Deactivated: 300,
  Closed: 350,
  Blocked: 400,
} as const;

/** Statuses that mean "not there yet": keep polling. */
const WAITING_STATUSES = new Set<string | null>([null, 'STARTED', 'PROCESSING']);

/** The KYC record mapped onto 10nPay's EnrollAdditionalData (CONTRACT part 2). */
export function toEnrollAdditionalData(
  userId: number,
  record: KycRecord,
  bTrustAppCallBackId?: string,
): EnrollAdditionalData {
  const c = record.correspondenceAddress;
  const d = record.device;
  const f = record.finances;
  return {
    userId,
    ...(bTrustAppCallBackId ? { BTrustAppCallBackId: bTrustAppCallBackId } : {}),
    isCorrespondenceAddressSame: c === undefined,
    sourceOfFundId: String(f.sourceOfFundId),
    residenceAddressZipCode: record.address.postCode,
    ...(c
      ? {
          correspondenceAddress: {
            addressType: 'C' as const,
            addressLine: c.addressLine,
            city: c.city,
            ...(c.region ? { stateProvinceCounty: c.region } : {}),
            zipCode: c.postCode,
            countryId: c.country,
          },
        }
      : {}),
    ...(record.secondaryLanguage ? { secondaryLanguage: record.secondaryLanguage } : {}),
    taxResidences: record.taxResidences,
    ...(record.person.gender ? { gender: record.person.gender } : {}),
    accountPurposeCode: String(f.accountPurposeCode),
    mainActivityCode: String(f.mainActivityCode),
    ...(f.financingMethodCode !== undefined ? { financingMethodCode: String(f.financingMethodCode) } : {}),
    ...(d
      ? { enrollIP: d.ip, enrollLatitude: d.latitude, enrollLongitude: d.longitude, enrollChannel: d.channel }
      : {}),
  };
}

export function toAddAdditionalDataRequest(
  userId: number,
  record: KycRecord,
  bTrustAppCallBackId?: string,
): AddAdditionalDataRequest {
  return {
    id: userId,
    additionalData: { type: 'EnrollAdditionalData', data: toEnrollAdditionalData(userId, record, bTrustAppCallBackId) },
  };
}

/**
 * Decides what a status means for a polling target: reached, still pending, or failed.
 * For Phase A a DOCUMENT_SIGN_SUCCESS also counts (the user moved past it).
 */
export function evaluateIdentificationStatus(
  status: IdentificationStatus,
  target: IdentificationTarget,
): 'reached' | 'pending' | 'failed' {
  const s = status.status;
  if (s === IDENTIFICATION_STATUSES.DOCUMENT_SIGN_SUCCESS) return 'reached';
  if (s === IDENTIFICATION_STATUSES.SIGN_SESSION_ID_SUCCESSFULLY_CREATED) {
    if (target === 'DOCUMENT_SIGN_SUCCESS') return 'pending'; // may still show briefly in Phase B
    return status.url ? 'reached' : 'pending'; // Phase A is done only with the signing URL
  }
  if (WAITING_STATUSES.has(s)) return 'pending';
  return 'failed'; // ERROR or any other vendor code: the user must restart
}

/** A status code is safe to show (it is the provider's enum); anything odd is shortened. */
function safeStatus(s: string | null): string {
  if (s === null) return 'none';
  return /^[A-Z0-9_]{1,64}$/.test(s) ? s : 'unrecognised status';
}

export function createTennpayActivities(deps: {
  tennpay: TennpayClient;
  trustedUrlHosts: readonly string[];
}): TennpayActivities {
  const { tennpay, trustedUrlHosts } = deps;

  function checkUrl(operation: string, url: string | null): string | null {
    if (url === null) return null;
    if (!isTrustedUrl(url, trustedUrlHosts)) {
      let host = 'unparseable';
      try {
        host = new URL(url).host;
      } catch {
        /* keep 'unparseable' */
      }
      throw providerFailure('tennpay', operation, FailureType.UntrustedUrl, `URL host ${host} is not on the allowlist`, {
        nonRetryable: true,
      });
    }
    return url;
  }

  async function getIdentificationStatus(input: { userId: number; userType: 0 | 1 }): Promise<IdentificationStatus> {
    const res = await tennpay.getIdentificationStatus(input.userId, input.userType);
    return {
      status: res.videoIdentificationStatus,
      url: checkUrl('getIdentificationStatus', res.videoIdentificationUrl),
    };
  }

  return {
    async createUser({ email }) {
      const { id } = await tennpay.createUser(email);
      return { userId: id };
    },

    async getUserStatus({ userId }) {
      const s = await tennpay.getUserStatus(userId);
      return {
        emailVerified: s.isEmailVerified,
        phoneVerified: s.isPhoneNumberVerified,
        additionalData: s.isAdditionalData === true,
        identified: s.isScaVerified === true || s.status === TENNPAY_USER_STATUS.Active,
      };
    },

    async sendEmailConfirmation({ userId, email }) {
      await tennpay.sendEmailConfirmation(userId, email);
    },

    async confirmEmail({ userId, code }) {
      await tennpay.confirmEmail(userId, code);
    },

    async sendSmsCode({ userId, phoneNumber }) {
      await tennpay.sendSmsCode(userId, phoneNumber);
    },

    async resendSmsCode({ userId }) {
      await tennpay.resendSmsCode(userId);
    },

    async verifyPhone({ userId, code }) {
      await tennpay.verifyPhone(userId, code);
    },

    async addAdditionalData({ userId, record, bTrustAppCallBackId }) {
      await tennpay.addAdditionalData(toAddAdditionalDataRequest(userId, record, bTrustAppCallBackId));
    },

    async initiateIdentification({ userId, restart }) {
      const res = await tennpay.initiateIdentification({ userId, isRestartIdentification: restart });
      const url = checkUrl('initiateIdentification', res.videoIdentificationUrl);
      if (url === null) {
        throw providerFailure('tennpay', 'initiateIdentification', FailureType.MalformedResponse, 'no identification URL', {
          nonRetryable: false,
          httpStatus: 200,
        });
      }
      return { url };
    },

    getIdentificationStatus,

    async awaitIdentificationStatus({ userId, userType, target }) {
      const status = await getIdentificationStatus({ userId, userType });
      const verdict = evaluateIdentificationStatus(status, target);
      if (verdict === 'reached') return status;
      if (verdict === 'pending') {
        throw providerFailure(
          'tennpay',
          'awaitIdentificationStatus',
          FailureType.IdentificationPending,
          `status ${safeStatus(status.status)}, waiting for ${target}`,
          { nonRetryable: false },
        );
      }
      throw providerFailure(
        'tennpay',
        'awaitIdentificationStatus',
        FailureType.IdentificationFailed,
        `identification failed with status ${safeStatus(status.status)}`,
        { nonRetryable: true },
      );
    },

    async finalizeIdentification({ userId, bTrustAppCallBackId }) {
      return tennpay.finalizeIdentification({ userId, bTrustAppCallBackId, correlationType: 0 });
    },
  };
}
