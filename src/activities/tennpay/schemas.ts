// 10nPay's shapes, one zod schema per call (request and response), as CONTRACT parts 1–2 give
// them. An assumption the provider corrects is fixed here, in one line.
import { z } from 'zod';

const int32Id = z.number().int().min(1).max(2147483647);
const correlationType = z.number().int().optional();

// -- POST {auth}/connect/mtls/token (form-encoded request) --------------------------------------
export const tokenRequestSchema = z.object({
  client_id: z.string().min(1),
  grant_type: z.literal('client_credentials'),
  scope: z.string().min(1),
  'IdentityServer:MTLS:X509Certificate': z.string().regex(/^[0-9A-F]{40}$/),
});
export type TokenRequest = z.infer<typeof tokenRequestSchema>;

export const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().positive(),
  token_type: z.string().refine((t) => t.toLowerCase() === 'bearer', 'a Bearer token'),
  scope: z.string().optional(),
});
export type TokenResponse = z.infer<typeof tokenResponseSchema>;

// -- POST /User ----------------------------------------------------------------------------------
export const createUserRequestSchema = z.object({
  merchantId: z.number().int().positive(),
  email: z.string().min(1),
  additionalData: z.object({ type: z.string(), data: z.unknown() }).optional(),
});
export type CreateUserRequest = z.infer<typeof createUserRequestSchema>;
export const createUserResponseSchema = z.object({ id: int32Id });

// -- POST /User/email/send-confirmation (204) ----------------------------------------------------
export const sendEmailConfirmationRequestSchema = z.object({ id: int32Id, email: z.string().min(1) });

// -- POST /User/email/confirm -------------------------------------------------------------------
export const confirmEmailRequestSchema = z.object({
  id: int32Id,
  token: z.string().min(1),
  correlationType,
});
/** 200 `{"success":true,"message":"","code":200}`; `success: false` in a 200 is treated as a wrong code. */
export const confirmEmailResponseSchema = z
  .object({
    success: z.boolean().optional(),
    message: z.string().nullish(),
    code: z.number().nullish(),
  })
  .nullish();

// -- POST /User/phone-number/send-code (204) ----------------------------------------------------
export const sendSmsCodeRequestSchema = z.object({
  id: int32Id,
  phoneNumber: z.string().regex(/^\+[1-9]\d{6,14}$/, 'E.164'),
  correlationType,
});

// -- POST /User/{id}/phone-number/resend-code (empty body, 204) ----------------------------------

// -- POST /User/phone-number/verify (200) -------------------------------------------------------
export const verifyPhoneRequestSchema = z.object({ id: int32Id, code: z.string().min(1), correlationType });
/** 200 with no agreed body; anything (or nothing) is accepted. */
export const verifyPhoneResponseSchema = z.unknown();

// -- GET /User/{id}/status ------------------------------------------------------------------------
export const userStatusResponseSchema = z.object({
  isEmailVerified: z.boolean(),
  isPhoneNumberVerified: z.boolean(),
  isScaVerified: z.boolean().optional(),
  isAdditionalData: z.boolean().optional(),
  isOptionalKyc: z.boolean().optional(),
  status: z.number().int(),
});
export type UserStatus = z.infer<typeof userStatusResponseSchema>;

// -- POST /User/add-additional-data ---------------------------------------------------------------
const countryId = z.string().regex(/^[A-Z]{2}$/);
// The `value` of an item of the matching lookup list, as a string: digits ("8") or words
// ("DAILY_PAYMENTS"), as 10nPay's list gives it.
const lookupValue = z.string().min(1, 'a lookup value as a string, e.g. "8"');

export const enrollAdditionalDataSchema = z.object({
  userId: int32Id,
  BTrustAppCallBackId: z.string().optional(),
  isCorrespondenceAddressSame: z.boolean(),
  sourceOfFundId: lookupValue,
  residenceAddressZipCode: z.string().optional(),
  correspondenceAddress: z
    .object({
      addressType: z.literal('C'),
      addressLine: z.string().min(1),
      city: z.string().min(1),
      stateProvinceCounty: z.string().optional(),
      zipCode: z.string().min(1),
      countryId,
    })
    .optional(),
  secondaryLanguage: z.string().regex(/^[A-Z]{3}$/).optional(),
  taxResidences: z.string().min(2),
  gender: z.enum(['M', 'F']).optional(),
  accountPurposeCode: lookupValue,
  mainActivityCode: lookupValue,
  financingMethodCode: lookupValue.optional(),
  enrollIP: z.string().optional(),
  enrollLatitude: z.number().optional(),
  enrollLongitude: z.number().optional(),
  enrollChannel: z.enum(['M', 'W']).optional(),
});
export type EnrollAdditionalData = z.infer<typeof enrollAdditionalDataSchema>;

export const addAdditionalDataRequestSchema = z.object({
  id: int32Id,
  additionalData: z.object({ type: z.literal('EnrollAdditionalData'), data: enrollAdditionalDataSchema }),
});
export type AddAdditionalDataRequest = z.infer<typeof addAdditionalDataRequestSchema>;
export const addAdditionalDataResponseSchema = z.unknown();

// -- lookups GET /User/source-of-funds, /User/account-purpose, /User/main-activity, /User/financing-method
export const lookupResponseSchema = z.array(
  z.object({ label: z.string(), value: z.union([z.string(), z.number()]).transform(String) }),
);

// -- POST /Enrollment/initiate-external-identification -------------------------------------------
export const initiateIdentificationRequestSchema = z.object({
  userId: int32Id,
  isRestartIdentification: z.boolean(),
  localTimezone: z.string().optional(),
  userAgent: z.string().optional(),
  browserLanguage: z.string().optional(),
  userLanguage: z.string().optional(),
  deviceName: z.string().optional(),
  correlationType,
});
export type InitiateIdentificationRequest = z.infer<typeof initiateIdentificationRequestSchema>;
export const initiateIdentificationResponseSchema = z.object({
  videoIdentificationUrl: z.string().min(1),
  videoIdentificationStatus: z.string().nullish(),
  message: z.string().nullish(),
});

// -- GET /Enrollment/{id}/{userType}/true/get-identification-process-status ----------------------
export const identificationStatusResponseSchema = z.object({
  videoIdentificationUrl: z.string().nullish().transform((v) => (v ? v : null)),
  videoIdentificationStatus: z.string().nullish().transform((v) => (v ? v : null)),
  message: z.string().nullish(),
});
export type IdentificationStatusResponse = z.infer<typeof identificationStatusResponseSchema>;

// -- POST /Enrollment/finalize-external-identification -------------------------------------------
export const finalizeIdentificationRequestSchema = z.object({
  userId: int32Id,
  bTrustAppCallBackId: z.string().nullable(),
  correlationType: z.number().int(),
});
export type FinalizeIdentificationRequest = z.infer<typeof finalizeIdentificationRequestSchema>;
export const finalizeIdentificationResponseSchema = z.object({
  correlationId: z.string().min(1),
  individualId: z.number().int(),
});

// -- Problem details (every error) ---------------------------------------------------------------
/** ASP.NET problem details, parsed defensively: every member may be null (a 404), the body empty (a 500). */
export const problemDetailsSchema = z
  .object({
    type: z.string().nullish().catch(null),
    title: z.string().nullish().catch(null),
    status: z.number().nullish().catch(null),
    detail: z.string().nullish().catch(null),
    traceId: z.string().nullish().catch(null),
    errors: z.record(z.string(), z.union([z.array(z.unknown()), z.string()]).nullish()).nullish().catch(null),
    /** OAuth token endpoint errors (RFC 6749): invalid_client, invalid_scope, … */
    error: z.string().nullish().catch(null),
    /** Some 10nPay endpoints answer `{"success":false,"message":…}` instead. */
    message: z.string().nullish().catch(null),
  })
  .loose();
export type ProblemDetailsBody = z.infer<typeof problemDetailsSchema>;
