// P100 Partner API shapes, one zod schema per call (request and response), as CONTRACT part 2 gives
// them (seeds/ for Add User Verification). An assumption P100 corrects is fixed here, in one line.
import { z } from 'zod';
import { DOCUMENT_TYPES, INCOME_SOURCES, OPEN_ACCOUNT_REASONS } from '../../domain/kyc-record';

const countryCode = z.string().regex(/^[A-Z]{2}$/);
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
export const RISK_LEVELS = ['LOW', 'MEDIUM', 'HIGH'] as const; // assumed values
export type RiskLevel = (typeof RISK_LEVELS)[number];

// -- Create User Account POST /v1/user/balances/crypto-and-fiat ----------------------------------
export const createUserAccountRequestSchema = z.object({
  externalUserId: z.string().min(1),
  email: z.string().min(3),
  phone: z.string().min(5),
  firstName: z.string().min(1),
  lastName: z.string().min(1),
  street: z.string().min(1),
  number: z.string().min(1),
  city: z.string().min(1),
  postCode: z.string().min(1),
  country: countryCode,
  citizenship: countryCode,
  nationality: countryCode,
  birthCountry: countryCode,
  birthDate: isoDate,
  userIdentificationNumber: z.string().min(1),
  hasAcceptedP100Tc: z.boolean(),
});
export type CreateUserAccountRequest = z.infer<typeof createUserAccountRequestSchema>;
export const createUserAccountResponseSchema = z.object({
  userId: z.union([z.string(), z.number()]).transform(String).nullish(),
  poaRequiredForExtended: z.boolean().nullish().transform((v) => v === true),
});

// -- Method A: Add KYC File POST /v1/user/kyc-files/{externalUserId} (multipart `files`) ----------
/** 201; no agreed body. */
export const addKycFilesResponseSchema = z.unknown();

// -- Method B: Create KYC Verification POST /v1/kyc ------------------------------------------------
export const createKycVerificationRequestSchema = z.object({
  externalUserId: z.string().min(1),
  documentType: z.enum(DOCUMENT_TYPES),
  country: countryCode,
  incomeSource: z.enum(INCOME_SOURCES),
  openAccountReason: z.enum(OPEN_ACCOUNT_REASONS),
  taxId: z.string().min(1).optional(),
  occupation: z.string().min(1).optional(),
  additionalInfo: z.string().optional(),
});
export type CreateKycVerificationRequest = z.infer<typeof createKycVerificationRequestSchema>;
export const createKycVerificationResponseSchema = z.object({
  verificationId: z.union([z.string().min(1), z.number()]).transform(String), // assumed
});

// -- Method B: Redirect to Verification GET /v1/kyc/verification/{externalUserId}/{verificationId}
// 200 text/html, forwarded as is; no schema.

// -- Method B: Get KYC Status GET /v1/kyc/status/{externalUserId} -------------------------------
export const kycStatusResponseSchema = z.object({
  status: z.string().min(1), // PENDING | APPROVED | REJECTED (assumed values; kept open)
  reason: z.string().nullish(),
});

// -- Add User Verification POST /v1/user/verification (seeds/) -----------------------------------
export const addUserVerificationRequestSchema = z.object({
  externalUserId: z.string().min(1),
  documentType: z.enum(DOCUMENT_TYPES),
  documentNumber: z.string().min(1),
  documentExpirationDate: isoDate,
  openAccountReason: z.enum(OPEN_ACCOUNT_REASONS),
  incomeSource: z.enum(INCOME_SOURCES),
  occupation: z.string().min(1).optional(),
  riskLvl: z.enum(RISK_LEVELS),
});
export type AddUserVerificationRequest = z.infer<typeof addUserVerificationRequestSchema>;
export const addUserVerificationResponseSchema = z.object({ message: z.string().nullish() }).loose().nullish();

// -- Add POA File POST /v1/user/poa-files/{externalUserId} (multipart `files`, ≤ 3) ---------------
/** 201, or 202 with `{"errorCode":"P211"}` (pending). */
export const addPoaFilesResponseSchema = z
  .object({ errorCode: z.string().nullish(), message: z.string().nullish() })
  .loose()
  .nullish();

// -- Errors ------------------------------------------------------------------------------------
/** `{"errorCode":"P412","errorName":"invalid-user","errorMessage":"…"}`; P403 has no errorName. */
export const partnerErrorSchema = z
  .object({
    errorCode: z.string().nullish().catch(null),
    errorName: z.string().nullish().catch(null),
    errorMessage: z.string().nullish().catch(null),
    message: z.string().nullish().catch(null),
  })
  .loose();
