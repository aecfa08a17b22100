// Test data: obviously fictitious people, so no real personal data ever sits in the repository.
import { randomUUID } from 'node:crypto';
import type { KycRecordInput } from '../../src/domain/kyc-record';
import { SETTING_DEFAULTS } from '../../src/config';
import type { OnboardingInput, OnboardingSettings } from '../../src/domain/onboarding';

/**
 * The settings the tests start onboardings with: the service's defaults (src/config.ts), but for
 * fewer identification restarts (quicker to exhaust) and a step flagged for ops only after ten
 * minutes, so that a test's provider faults are retried quickly without flagging unless it asks.
 */
export function testSettings(overrides: Partial<OnboardingSettings> = {}): OnboardingSettings {
  return {
    ...SETTING_DEFAULTS,
    identificationMaxRestarts: 3,
    stepAttentionAfter: '10m',
    ...overrides,
  };
}

let counter = 0;
/** A fresh fictitious applicant: unique e-mail, phone and document number per call. */
export function testApplicant(): { email: string; phoneNumber: string; documentNumber: string } {
  counter++;
  const n = `${Date.now() % 1_000_000}${counter}`.padStart(8, '0').slice(-8);
  return { email: `applicant-${randomUUID().slice(0, 8)}@example.test`, phoneNumber: `+35988${n.slice(0, 7)}`, documentNumber: `TST${n}` };
}

export function testKycRecord(documentNumber = 'TST0000001'): KycRecordInput {
  return {
    person: {
      firstName: 'Testa',
      lastName: 'Fictiva',
      gender: 'F',
      birthDate: '1990-01-01',
      birthCountry: 'BG',
      citizenship: 'BG',
      nationality: 'BG',
      personalNumber: '0000000000',
    },
    address: { street: 'Test Street', number: '1', city: 'Sofia', postCode: '1000', country: 'BG' },
    document: { type: 'ID_CARD', number: documentNumber, expiresOn: '2035-06-11', issuingCountry: 'BG' },
    finances: {
      sourceOfFundId: '8',
      accountPurposeCode: 'DAILY_PAYMENTS',
      mainActivityCode: 'EMPLOYED',
      incomeSource: 'SALARY',
      openAccountReason: 'DAILY_USE',
      occupation: 'IT',
    },
    taxResidences: 'BG',
    secondaryLanguage: 'BUL',
    device: { ip: '203.0.113.7', latitude: 42.69, longitude: 23.32, channel: 'W' },
    consents: { partnerTerms: { accepted: true, version: '2026-01', acceptedAt: '2026-11-01T10:00:00Z' } },
  };
}

export function testOnboardingInput(overrides: Partial<OnboardingInput> = {}): OnboardingInput {
  const applicant = testApplicant();
  return {
    onboardingId: randomUUID(),
    email: applicant.email,
    phoneNumber: applicant.phoneNumber,
    userType: 'INDIVIDUAL',
    settings: testSettings(),
    ...overrides,
  };
}
