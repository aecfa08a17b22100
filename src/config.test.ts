// The onboarding settings from the environment: one variable per setting of the domain's schema,
// read and checked by that schema, with a message naming the variable when it is wrong.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadApiConfig, loadOnboardingSettings, settingVariable } from './config';
import { onboardingSettingsSchema } from './domain/onboarding';

describe('loadOnboardingSettings', () => {
  it('has a default for every setting, valid under the domain schema', () => {
    const settings = loadOnboardingSettings({});
    expect(Object.keys(settings).sort()).toEqual(Object.keys(onboardingSettingsSchema.shape).sort());
    expect(onboardingSettingsSchema.safeParse(settings).success).toBe(true);
    expect(settings).toMatchObject({ identificationPollInterval: '3s', codeMaxAttempts: 5, kycDataSubmissionPoint: 'BEFORE_FINALIZE', partnerKycMethod: 'B' });
  });

  it('reads each setting from its variable, numbers from their text', () => {
    const settings = loadOnboardingSettings({ CODE_MAX_ATTEMPTS: '3', PARTNER_KYC_METHOD: 'A', USER_STEP_TIMEOUT: '48h', KYC_DATA_SUBMISSION_POINT: 'AFTER_PHONE_VERIFIED' });
    expect(settings).toMatchObject({ codeMaxAttempts: 3, partnerKycMethod: 'A', userStepTimeout: '48h', kycDataSubmissionPoint: 'AFTER_PHONE_VERIFIED' });
    expect(settingVariable('identificationBackgroundPollInterval')).toBe('IDENTIFICATION_BACKGROUND_POLL_INTERVAL');
  });

  it('refuses a wrong value with a message naming the variable', () => {
    expect(() => loadOnboardingSettings({ CODE_MAX_ATTEMPTS: '0' })).toThrow(ConfigError);
    expect(() => loadOnboardingSettings({ CODE_MAX_ATTEMPTS: '0' })).toThrow(/CODE_MAX_ATTEMPTS/);
    expect(() => loadOnboardingSettings({ PARTNER_KYC_METHOD: 'C' })).toThrow(/PARTNER_KYC_METHOD/);
    expect(() => loadOnboardingSettings({ ONBOARDING_TIMEOUT: 'a week' })).toThrow(/ONBOARDING_TIMEOUT/);
  });
});

describe('TEMPORAL_UI_URL', () => {
  const api = (extra: Record<string, string>) =>
    loadApiConfig({ OPS_API_KEY: 'ops-key-0123456789abcdef', API_SIGNING_KEY: Buffer.alloc(32, 1).toString('base64'), ...extra });

  it('is optional (no link to the Temporal UI), an http(s) URL when set', () => {
    expect(api({}).TEMPORAL_UI_URL).toBeUndefined();
    expect(api({ TEMPORAL_UI_URL: '' }).TEMPORAL_UI_URL).toBeUndefined();
    expect(api({ TEMPORAL_UI_URL: 'https://temporal.example.test' }).TEMPORAL_UI_URL).toBe('https://temporal.example.test');
    expect(() => api({ TEMPORAL_UI_URL: 'javascript:alert(1)' })).toThrow(/TEMPORAL_UI_URL/);
  });
});
