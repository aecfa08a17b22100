// The KYC record: one domain record, collected once from the user (CONTRACT part 3), which the
// service maps onto 10nPay's add-additional-data and P100's account and verification calls.
import { z } from 'zod';
import { dateTime, text } from './json-text';

const countryCode = z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166 alpha-2 country code such as "BG"');
const isoDate = z.string().regex(/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/, 'a date as YYYY-MM-DD');
// A code from one of 10nPay's lookup lists (GET /reference/kyc-options): the list's `value` as a
// string, whatever form 10nPay gives it (digits or words). Which values exist is 10nPay's to say,
// so the API checks them against the lists it read, not against a pattern invented here.
const lookupCode = z
  .union([z.string().trim().min(1).max(100), z.number().int().nonnegative()])
  .transform(String);

export const DOCUMENT_TYPES = ['ID_CARD', 'PASSPORT', 'RESIDENCE_PERMIT', 'DRIVER_LICENSE'] as const;
export const INCOME_SOURCES = [
  'BUSINESS_ACTIVITY',
  'SALARY',
  'OTHER',
  'MAINTAINED_BY_FAMILY',
  'INVESTMENTS',
  'SOCIAL_BENEFITS',
  'TENANCY',
] as const;
export const OPEN_ACCOUNT_REASONS = [
  'INVESTMENTS_OR_CRYPTOCURRENCIE',
  'CURRENCY_EXCHANGE',
  'DAILY_USE',
  'GAMING_OR_GAMBLING',
  'TRANSFER_OF_FUNDS_OUTSIDE_OF_EUROPE',
] as const;

/**
 * P100's occupations (asked when incomeSource is SALARY). The contract names `IT` and
 * `FINANCE_AND_ACCOUNTING` and elides the rest: this list is **assumed** beyond those two, and only
 * offered to frontends (GET /reference/kyc-options); the record accepts any occupation code.
 */
export const OCCUPATIONS = [
  'IT',
  'FINANCE_AND_ACCOUNTING',
  'ADMINISTRATION',
  'CONSTRUCTION',
  'EDUCATION',
  'HEALTHCARE',
  'HOSPITALITY',
  'LEGAL',
  'MANUFACTURING',
  'PUBLIC_SECTOR',
  'RETAIL',
  'TRANSPORT',
  'OTHER',
] as const;

/** When P100 needs them (CONTRACT part 2, Create KYC Verification): taxId for BUSINESS_ACTIVITY, occupation for SALARY. */
const CONDITIONAL_FIELDS = [
  ['BUSINESS_ACTIVITY', 'taxId'],
  ['SALARY', 'occupation'],
] as const;

const financesSchema = z
  .object({
    sourceOfFundId: lookupCode,
    accountPurposeCode: lookupCode,
    mainActivityCode: lookupCode,
    financingMethodCode: lookupCode.optional(),
    incomeSource: z.enum(INCOME_SOURCES),
    openAccountReason: z.enum(OPEN_ACCOUNT_REASONS),
    occupation: text(1, 60).optional(),
    taxId: text(1, 40).optional(),
  })
  .superRefine((f, ctx) => {
    for (const [source, field] of CONDITIONAL_FIELDS) {
      if (f.incomeSource === source && !f[field]) ctx.addIssue({ code: 'custom', path: [field], message: `required when incomeSource is ${source}` });
    }
  })
  // The same rule in the JSON Schema of /openapi.json, so that the document refuses what the server does.
  .meta({
    allOf: CONDITIONAL_FIELDS.map(([source, field]) => ({
      anyOf: [{ properties: { incomeSource: { not: { const: source } } } }, { required: [field] }],
    })),
  });

export const kycRecordSchema = z
  .object({
    person: z.object({
      firstName: text(1, 100),
      lastName: text(1, 100),
      gender: z.enum(['M', 'F']).optional(),
      birthDate: isoDate,
      birthCountry: countryCode,
      citizenship: countryCode,
      nationality: countryCode,
      personalNumber: text(1, 40),
    }),
    address: z.object({
      street: text(1, 200),
      number: text(1, 20),
      city: text(1, 100),
      postCode: text(1, 20),
      country: countryCode,
    }),
    correspondenceAddress: z
      .object({
        addressLine: text(1, 200),
        city: text(1, 100),
        region: text(0, 100).optional(),
        postCode: text(1, 20),
        country: countryCode,
      })
      .optional(),
    document: z.object({
      type: z.enum(DOCUMENT_TYPES),
      number: text(1, 40),
      expiresOn: isoDate,
      issuingCountry: countryCode,
    }),
    finances: financesSchema,
    taxResidences: z.string().regex(/^[A-Z]{2}(,[A-Z]{2})*$/, 'ISO country codes such as "BG" or "BG,DE"'),
    secondaryLanguage: z.string().regex(/^[A-Z]{3}$/, 'an ISO 639-2 code such as "BUL"').optional(),
    device: z
      .object({
        ip: text(3, 45),
        latitude: z.number().min(-90).max(90),
        longitude: z.number().min(-180).max(180),
        channel: z.enum(['M', 'W']),
      })
      .optional(),
    consents: z.object({
      partnerTerms: z.object({
        accepted: z.literal(true, { message: 'the partner terms must be accepted' }),
        version: z.string().min(1),
        acceptedAt: dateTime(),
      }),
    }),
  });

export type KycRecord = z.output<typeof kycRecordSchema>;
export type KycRecordInput = z.input<typeof kycRecordSchema>;
