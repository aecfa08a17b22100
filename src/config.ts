// The one configuration loader: every process (worker, API, ops CLI) reads the environment here,
// validated by zod once at start-up, so a missing or malformed setting stops the process with a
// message naming the variable instead of failing later inside a request.
import { z } from 'zod';
import { RISK_LEVELS } from './activities/partner/schemas';
import { onboardingSettingsSchema, type OnboardingSettings } from './domain/onboarding';

const csv = z
  .string()
  .default('')
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );

const base64Key = z
  .string()
  .refine((s) => Buffer.from(s, 'base64').length === 32, 'must be the base64 of exactly 32 bytes');


const temporalSchema = z.object({
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TASK_QUEUE: z.string().default('onboarding'),
  PAYLOAD_ENCRYPTION_KEY: base64Key,
  PAYLOAD_ENCRYPTION_OLD_KEYS: csv.pipe(z.array(base64Key)),
});

const tennpaySchema = z.object({
  TENNPAY_BASE_URL: z.url(),
  TENNPAY_AUTH_URL: z.url(),
  TENNPAY_CLIENT_ID: z.string().min(1),
  TENNPAY_CLIENT_SECRET: z.string().min(1).optional(),
  TENNPAY_SCOPE: z.string().default('Tenn.CRM IdentityServerApi Tenn.RiskService Tenn.FileStorage'),
  TENNPAY_MERCHANT_ID: z.coerce.number().int().positive(),
  TENNPAY_CLIENT_CERT: z.string().min(1),
  TENNPAY_CLIENT_KEY: z.string().min(1),
  TENNPAY_CA_CERT: z.string().min(1).optional(),
});

const partnerSchema = z.object({
  PARTNER_BASE_URL: z.url(),
  PARTNER_API_KEY: z.string().min(1),
  PARTNER_WEBHOOK_TOKEN: z.string().min(16, 'must be at least 16 characters'),
  PARTNER_DEFAULT_RISK_LEVEL: z.enum(RISK_LEVELS).default('LOW'),
});

/** The onboarding settings' defaults (CONTRACT part 1 and the issues); the schema is the domain's. */
const SETTING_DEFAULTS: OnboardingSettings = {
  identificationPollInterval: '3s',
  identificationPollCap: '5m',
  identificationBackgroundPollInterval: '30s',
  codeWaitTimeout: '24h',
  userStepTimeout: '72h',
  onboardingTimeout: '7d',
  codeMaxAttempts: 5,
  codeResendCooldown: '60s',
  identificationMaxRestarts: 5,
  kycDataSubmissionPoint: 'BEFORE_FINALIZE',
  stepAttentionAfter: '10m',
  stepSlowRetryInterval: '10m',
  partnerKycMethod: 'B',
  partnerKycMaxAttempts: 3,
  partnerWebhookFallbackAfter: '15m',
  partnerTooManyVerificationsWait: '1h',
};

/** A setting's environment variable: its name in SCREAMING_SNAKE_CASE (codeMaxAttempts → CODE_MAX_ATTEMPTS). */
export const settingVariable = (setting: string): string => setting.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();

/**
 * The environment schema of the onboarding settings, derived from the domain's settings schema:
 * one variable per setting, read as the setting's schema reads it (numbers from their text), with
 * the setting's default.
 */
const onboardingSettingsEnvSchema = z.object(
  Object.fromEntries(
    Object.entries(onboardingSettingsSchema.shape).map(([setting, schema]) => {
      const fromText: z.ZodType = schema instanceof z.ZodNumber ? z.coerce.number().pipe(schema) : schema;
      return [settingVariable(setting), fromText.default(SETTING_DEFAULTS[setting as keyof OnboardingSettings])];
    }),
  ),
);

const apiSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  OPS_API_KEY: z.string().min(16, 'must be at least 16 characters'),
  FRONTEND_URL: z.url().default('http://localhost:3000'),
  PUBLIC_BASE_URL: z.url().optional(),
  TRUSTED_URL_HOSTS: csv,
  FILE_STORE_DIR: z.string().default('.data/files'),
  START_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(30),
  CODEC_CORS_ORIGINS: csv,
});

export type TemporalConfig = z.infer<typeof temporalSchema>;
export type TennpayConfig = z.infer<typeof tennpaySchema>;
export type PartnerConfig = z.infer<typeof partnerSchema>;
export type ApiConfig = z.infer<typeof apiSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function parse<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.infer<T> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(environment)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}

export const loadTemporalConfig = (env = process.env): TemporalConfig => parse(temporalSchema, env);
export const loadTennpayConfig = (env = process.env): TennpayConfig => parse(tennpaySchema, env);
export const loadPartnerConfig = (env = process.env): PartnerConfig => parse(partnerSchema, env);
export const loadApiConfig = (env = process.env): ApiConfig => parse(apiSchema, env);

/** Everything the worker needs. */
export function loadWorkerConfig(env = process.env) {
  return {
    temporal: loadTemporalConfig(env),
    tennpay: loadTennpayConfig(env),
    partner: loadPartnerConfig(env),
    trustedUrlHosts: parse(apiSchema.pick({ TRUSTED_URL_HOSTS: true }), env).TRUSTED_URL_HOSTS,
    fileStoreDir: parse(apiSchema.pick({ FILE_STORE_DIR: true }), env).FILE_STORE_DIR,
  };
}
export type WorkerConfig = ReturnType<typeof loadWorkerConfig>;

/** The settings an onboarding is started with (see OnboardingSettings), from the environment. */
export function loadOnboardingSettings(env = process.env): OnboardingSettings {
  const byVariable = parse(onboardingSettingsEnvSchema, env);
  return onboardingSettingsSchema.parse(
    Object.fromEntries(Object.keys(onboardingSettingsSchema.shape).map((setting) => [setting, byVariable[settingVariable(setting)]])),
  );
}

/**
 * Every environment schema of the service, by part: the variables a deployment may set. A variable
 * whose schema refuses `undefined` has no default and must be set.
 */
export const ENVIRONMENT_SCHEMAS = {
  temporal: temporalSchema,
  tennpay: tennpaySchema,
  partner: partnerSchema,
  onboardingSettings: onboardingSettingsEnvSchema,
  api: apiSchema,
} as const;
