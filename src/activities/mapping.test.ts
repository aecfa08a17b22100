import { describe, expect, it } from 'vitest';
import { toAddUserVerificationRequest, toCreateKycVerificationRequest, toCreateUserAccountRequest } from './partner/activities';
import { addUserVerificationRequestSchema, createKycVerificationRequestSchema, createUserAccountRequestSchema } from './partner/schemas';
import { evaluateIdentificationStatus, toAddAdditionalDataRequest, toEnrollAdditionalData } from './tennpay/activities';
import { addAdditionalDataRequestSchema } from './tennpay/schemas';
import { kycRecord } from './test-support/records';
import { isTrustedUrl } from './trusted-url';

describe('KYC record → 10nPay EnrollAdditionalData', () => {
  it('maps codes as strings (words as they are, numbers as digits), taxResidences as a string, and no correspondence address as "same"', () => {
    const data = toEnrollAdditionalData(2077, kycRecord());
    expect(data).toEqual({
      userId: 2077,
      isCorrespondenceAddressSame: true,
      sourceOfFundId: '8',
      residenceAddressZipCode: '1000',
      taxResidences: 'BG',
      gender: 'F',
      accountPurposeCode: 'SAVINGS',
      mainActivityCode: 'RETIRED',
    });
    expect(addAdditionalDataRequestSchema.safeParse(toAddAdditionalDataRequest(2077, kycRecord())).success).toBe(true);
  });

  it('maps a correspondence address with addressType "C", the device and the callback id', () => {
    const record = kycRecord({
      correspondenceAddress: { addressLine: 'Main St 1', city: 'Plovdiv', region: 'Plovdiv', postCode: '4000', country: 'BG' },
      device: { ip: '203.0.113.7', latitude: 42.7, longitude: 23.3, channel: 'W' },
      secondaryLanguage: 'BUL',
      taxResidences: 'BG,DE',
      finances: {
        sourceOfFundId: '1',
        accountPurposeCode: 3,
        mainActivityCode: '1',
        financingMethodCode: 2,
        incomeSource: 'SALARY',
        openAccountReason: 'DAILY_USE',
        occupation: 'IT',
      },
    });
    const req = toAddAdditionalDataRequest(11, record, 'cb-1');
    expect(req.id).toBe(11);
    expect(req.additionalData.type).toBe('EnrollAdditionalData');
    expect(req.additionalData.data).toMatchObject({
      userId: 11,
      BTrustAppCallBackId: 'cb-1',
      isCorrespondenceAddressSame: false,
      correspondenceAddress: {
        addressType: 'C',
        addressLine: 'Main St 1',
        city: 'Plovdiv',
        stateProvinceCounty: 'Plovdiv',
        zipCode: '4000',
        countryId: 'BG',
      },
      secondaryLanguage: 'BUL',
      taxResidences: 'BG,DE',
      sourceOfFundId: '1',
      accountPurposeCode: '3',
      financingMethodCode: '2',
      enrollIP: '203.0.113.7',
      enrollLatitude: 42.7,
      enrollLongitude: 23.3,
      enrollChannel: 'W',
    });
    expect(addAdditionalDataRequestSchema.safeParse(req).success).toBe(true);
  });
});

describe('identification status against a target', () => {
  const s = (status: string | null, url: string | null = null) => ({ status, url });
  it('Phase A is reached with the signing URL, or when signing already succeeded', () => {
    expect(evaluateIdentificationStatus(s('SIGN_SESSION_ID_SUCCESSFULLY_CREATED', 'https://b.example/x'), 'SIGN_SESSION_ID_SUCCESSFULLY_CREATED')).toBe('reached');
    expect(evaluateIdentificationStatus(s('SIGN_SESSION_ID_SUCCESSFULLY_CREATED'), 'SIGN_SESSION_ID_SUCCESSFULLY_CREATED')).toBe('pending');
    expect(evaluateIdentificationStatus(s('DOCUMENT_SIGN_SUCCESS'), 'SIGN_SESSION_ID_SUCCESSFULLY_CREATED')).toBe('reached');
    expect(evaluateIdentificationStatus(s('PROCESSING'), 'SIGN_SESSION_ID_SUCCESSFULLY_CREATED')).toBe('pending');
    expect(evaluateIdentificationStatus(s(null), 'SIGN_SESSION_ID_SUCCESSFULLY_CREATED')).toBe('pending');
  });
  it('Phase B waits through SIGN_SESSION_ID_SUCCESSFULLY_CREATED', () => {
    expect(evaluateIdentificationStatus(s('SIGN_SESSION_ID_SUCCESSFULLY_CREATED', 'https://b.example/x'), 'DOCUMENT_SIGN_SUCCESS')).toBe('pending');
    expect(evaluateIdentificationStatus(s('DOCUMENT_SIGN_SUCCESS'), 'DOCUMENT_SIGN_SUCCESS')).toBe('reached');
  });
  it('ERROR and unknown codes fail', () => {
    expect(evaluateIdentificationStatus(s('ERROR'), 'DOCUMENT_SIGN_SUCCESS')).toBe('failed');
    expect(evaluateIdentificationStatus(s('VENDOR_TIMEOUT_42'), 'SIGN_SESSION_ID_SUCCESSFULLY_CREATED')).toBe('failed');
  });
});

describe('trusted URLs', () => {
  const hosts = ['borica.example', '127.0.0.1:4010'];
  it('accepts an exact host match over https, and http only on loopback', () => {
    expect(isTrustedUrl('https://borica.example/sign/1', hosts)).toBe(true);
    expect(isTrustedUrl('https://BORICA.example/sign/1', hosts)).toBe(true);
    expect(isTrustedUrl('http://127.0.0.1:4010/borica/x', hosts)).toBe(true);
    expect(isTrustedUrl('http://borica.example/sign/1', hosts)).toBe(false);
  });
  it('refuses look-alikes, other ports, credentials and other schemes', () => {
    expect(isTrustedUrl('https://evil-borica.example/', hosts)).toBe(false);
    expect(isTrustedUrl('https://borica.example.evil.com/', hosts)).toBe(false);
    expect(isTrustedUrl('https://sub.borica.example/', hosts)).toBe(false);
    expect(isTrustedUrl('http://127.0.0.1:4011/x', hosts)).toBe(false);
    expect(isTrustedUrl('https://borica.example@evil.com/', hosts)).toBe(false);
    expect(isTrustedUrl('https://user:pw@borica.example/', hosts)).toBe(false);
    expect(isTrustedUrl('javascript:alert(1)', hosts)).toBe(false);
    expect(isTrustedUrl('not a url', hosts)).toBe(false);
    expect(isTrustedUrl('https://borica.example/', [])).toBe(false);
  });
});

describe('KYC record → P100', () => {
  const record = kycRecord();
  it('Create User Account', () => {
    const req = toCreateUserAccountRequest({ externalUserId: 'ob-1', email: 'maria@example.com', phoneNumber: '+359888123456', record });
    expect(req).toEqual({
      externalUserId: 'ob-1',
      email: 'maria@example.com',
      phone: '+359888123456',
      firstName: 'Maria',
      lastName: 'Petrova',
      street: 'Vitosha Blvd',
      number: '12A',
      city: 'Sofia',
      postCode: '1000',
      country: 'BG',
      citizenship: 'BG',
      nationality: 'BG',
      birthCountry: 'BG',
      birthDate: '1990-04-12',
      userIdentificationNumber: '9004121234',
      hasAcceptedP100Tc: true,
    });
    expect(createUserAccountRequestSchema.safeParse(req).success).toBe(true);
  });
  it('Create KYC Verification: taxId and occupation only where given', () => {
    const req = toCreateKycVerificationRequest('ob-1', record);
    expect(req).toEqual({ externalUserId: 'ob-1', documentType: 'ID_CARD', country: 'BG', incomeSource: 'SALARY', openAccountReason: 'DAILY_USE', occupation: 'IT' });
    expect(createKycVerificationRequestSchema.safeParse(req).success).toBe(true);
  });
  it('Add User Verification with the configured risk level', () => {
    const req = toAddUserVerificationRequest('ob-1', record, 'MEDIUM');
    expect(req).toEqual({
      externalUserId: 'ob-1',
      documentType: 'ID_CARD',
      documentNumber: '645123987',
      documentExpirationDate: '2031-06-11',
      openAccountReason: 'DAILY_USE',
      incomeSource: 'SALARY',
      occupation: 'IT',
      riskLvl: 'MEDIUM',
    });
    expect(addUserVerificationRequestSchema.safeParse(req).success).toBe(true);
  });
});
