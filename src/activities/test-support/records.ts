// A valid KYC record for tests, parsed through the domain schema so it has the output shape.
import { kycRecordSchema, type KycRecord, type KycRecordInput } from '../../domain/kyc-record';

export function kycRecordInput(overrides: Partial<KycRecordInput> = {}): KycRecordInput {
  return {
    person: {
      firstName: 'Maria',
      lastName: 'Petrova',
      gender: 'F',
      birthDate: '1990-04-12',
      birthCountry: 'BG',
      citizenship: 'BG',
      nationality: 'BG',
      personalNumber: '9004121234',
    },
    address: { street: 'Vitosha Blvd', number: '12A', city: 'Sofia', postCode: '1000', country: 'BG' },
    document: { type: 'ID_CARD', number: '645123987', expiresOn: '2031-06-11', issuingCountry: 'BG' },
    finances: {
      sourceOfFundId: 8,
      accountPurposeCode: 'SAVINGS',
      mainActivityCode: 'RETIRED',
      incomeSource: 'SALARY',
      openAccountReason: 'DAILY_USE',
      occupation: 'IT',
    },
    taxResidences: 'BG',
    consents: { partnerTerms: { accepted: true, version: '2025-01', acceptedAt: '2026-05-01T10:00:00Z' } },
    ...overrides,
  };
}

export function kycRecord(overrides: Partial<KycRecordInput> = {}): KycRecord {
  return kycRecordSchema.parse(kycRecordInput(overrides));
}
