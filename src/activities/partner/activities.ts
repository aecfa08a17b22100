// The P100 activities: the KYC record mapped onto the Partner API's calls; P410 on create and P442
// on verification are answered as success (the account exists / the user is verified), every other
// failure is left as classified by ./errors.ts.
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../domain/failures';
import type { StoredFile } from '../../domain/files';
import type { KycRecord } from '../../domain/kyc-record';
import type { FileStore } from '../../files/file-store';
import type { PartnerActivities } from '../types';
import type { PartnerClient, UploadFile } from './client';
import type {
  AddUserVerificationRequest,
  CreateKycVerificationRequest,
  CreateUserAccountRequest,
  RiskLevel,
} from './schemas';

export function toCreateUserAccountRequest(input: {
  externalUserId: string;
  email: string;
  phoneNumber: string;
  record: KycRecord;
}): CreateUserAccountRequest {
  const { person, address, consents } = input.record;
  return {
    externalUserId: input.externalUserId,
    email: input.email,
    phone: input.phoneNumber,
    firstName: person.firstName,
    lastName: person.lastName,
    street: address.street,
    number: address.number,
    city: address.city,
    postCode: address.postCode,
    country: address.country,
    citizenship: person.citizenship,
    nationality: person.nationality,
    birthCountry: person.birthCountry,
    birthDate: person.birthDate,
    userIdentificationNumber: person.personalNumber,
    hasAcceptedP100Tc: consents.partnerTerms.accepted === true,
  };
}

export function toCreateKycVerificationRequest(externalUserId: string, record: KycRecord): CreateKycVerificationRequest {
  const f = record.finances;
  return {
    externalUserId,
    documentType: record.document.type,
    country: record.document.issuingCountry,
    incomeSource: f.incomeSource,
    openAccountReason: f.openAccountReason,
    ...(f.taxId ? { taxId: f.taxId } : {}),
    ...(f.occupation ? { occupation: f.occupation } : {}),
  };
}

export function toAddUserVerificationRequest(
  externalUserId: string,
  record: KycRecord,
  riskLvl: RiskLevel,
): AddUserVerificationRequest {
  const f = record.finances;
  return {
    externalUserId,
    documentType: record.document.type,
    documentNumber: record.document.number,
    documentExpirationDate: record.document.expiresOn,
    openAccountReason: f.openAccountReason,
    incomeSource: f.incomeSource,
    ...(f.occupation ? { occupation: f.occupation } : {}),
    riskLvl,
  };
}

const isFailure = (err: unknown, type: FailureType): boolean => err instanceof ApplicationFailure && err.type === type;

/** Upload failures after which the user is asked for other files: the stored ones are deleted. */
const REPLACED_ON: FailureType[] = [FailureType.PartnerFileRejected, FailureType.StoredFileMissing, FailureType.PartnerPoaNotRequired];

export function createPartnerActivities(deps: {
  partner: PartnerClient;
  fileStore: FileStore;
  /** PARTNER_DEFAULT_RISK_LEVEL. */
  riskLevel: RiskLevel;
}): PartnerActivities {
  const { partner, fileStore, riskLevel } = deps;

  async function readFiles(files: StoredFile[]): Promise<UploadFile[]> {
    // A missing or altered file is not something a retry can fix: the user must upload again.
    return Promise.all(
      files.map(async (f, i) => {
        try {
          return { bytes: await fileStore.read(f), contentType: f.contentType, filename: `file-${i + 1}.${ext(f.contentType)}` };
        } catch {
          throw ApplicationFailure.create({
            type: FailureType.StoredFileMissing,
            message: `stored file ${i + 1} of ${files.length} is missing or does not match its checksum`,
            nonRetryable: true,
          });
        }
      }),
    );
  }

  /**
   * Files (CONTRACT part 4): sends stored files to P100 and deletes them once P100 has them; files
   * P100 refused (P426, P440), wants none of (P460) or of which one is gone are deleted too: the
   * user is asked for new ones, which replace them. Transient failures keep them for the retry. A
   * retry of an upload whose answer was lost after the deletion finds the sent marks: done.
   */
  async function sendFiles(files: StoredFile[], send: (upload: UploadFile[]) => Promise<void>): Promise<void> {
    if (await fileStore.allSent(files)) return;
    try {
      await send(await readFiles(files));
    } catch (err) {
      if (REPLACED_ON.some((type) => isFailure(err, type))) await Promise.all(files.map((f) => fileStore.remove(f)));
      throw err;
    }
    await Promise.all(files.map((f) => fileStore.markSent(f)));
  }

  return {
    async createPartnerAccount(input) {
      try {
        const res = await partner.createUserAccount(toCreateUserAccountRequest(input));
        return { partnerUserId: res.userId, poaRequiredForExtended: res.poaRequiredForExtended, alreadyExisted: false };
      } catch (err) {
        // Our externalUserId is stable per onboarding: P410 means our own earlier attempt succeeded
        // (its answer lost), so the account is there; what that answer said is unknown.
        if (isFailure(err, FailureType.PartnerAccountExists)) {
          return { partnerUserId: null, poaRequiredForExtended: null, alreadyExisted: true };
        }
        throw err;
      }
    },

    async uploadKycFiles({ externalUserId, files }) {
      await sendFiles(files, (upload) => partner.addKycFiles(externalUserId, upload));
    },

    async createKycVerification({ externalUserId, record }) {
      return partner.createKycVerification(toCreateKycVerificationRequest(externalUserId, record));
    },

    async getKycStatus({ externalUserId }) {
      return partner.getKycStatus(externalUserId);
    },

    async addUserVerification({ externalUserId, record }) {
      try {
        await partner.addUserVerification(toAddUserVerificationRequest(externalUserId, record, riskLevel));
      } catch (err) {
        // P442: our own earlier attempt verified the user (its answer lost) — done.
        if (!isFailure(err, FailureType.PartnerAlreadyVerified)) throw err;
      }
    },

    async uploadPoaFiles({ externalUserId, files }) {
      await sendFiles(files, async (upload) => {
        try {
          // Accepted (201) or pending (202 P211): either way the poa-verification-status event follows.
          await partner.addPoaFiles(externalUserId, upload);
        } catch (err) {
          // P447: proof of address already verified — nothing left to do.
          if (!isFailure(err, FailureType.PartnerAlreadyVerified)) throw err;
        }
      });
    },
  };
}

function ext(contentType: string): string {
  return contentType === 'application/pdf' ? 'pdf' : contentType === 'image/png' ? 'png' : 'jpg';
}
