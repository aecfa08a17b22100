// The one configuration loader: every process (worker, API, ops CLI) reads the environment here,
// validated by zod once at start-up, so a missing or malformed setting stops the process with a
// message naming the variable instead of failing later inside a request.
import { existsSync, statSync } from 'node:fs';
import { z } from 'zod';
import { durationSchema } from './domain/onboarding';

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

const duration = durationSchema;

export const KYC_SUBMISSION_POINTS = ['AFTER_PHONE_VERIFIED', 'BEFORE_FINALIZE'] as const;

const temporalCoreSchema = z.object({
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TASK_QUEUE: z.string().default('onboarding'),
  PAYLOAD_ENCRYPTION_KEY: base64Key,
  PAYLOAD_ENCRYPTION_OLD_KEYS: csv.pipe(z.array(base64Key)),
});

// --- Connection to Temporal (CONTRACT part 4): TLS, mutual TLS, Temporal Cloud API key. ---
// PEM paths are checked here, so a wrong path stops every process at start with the variable's
// name; whether the server accepts them is learnt by connecting (src/temporal/connection.ts).
const pemFile = z
  .string()
  .min(1)
  .refine((p) => existsSync(p) && statSync(p).isFile(), 'no such file (a PEM file path is expected)');

const temporalTlsShape = {
  TEMPORAL_TLS_CA: pemFile.optional(),
  TEMPORAL_TLS_CERT: pemFile.optional(),
  TEMPORAL_TLS_KEY: pemFile.optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
};

const temporalSchema = temporalCoreSchema.extend(temporalTlsShape).superRefine((c, ctx) => {
  // Mutual TLS needs both halves; one alone is a deployment mistake, not a choice.
  if (Boolean(c.TEMPORAL_TLS_CERT) !== Boolean(c.TEMPORAL_TLS_KEY)) {
    ctx.addIssue({
      code: 'custom',
      path: [c.TEMPORAL_TLS_CERT ? 'TEMPORAL_TLS_KEY' : 'TEMPORAL_TLS_CERT'],
      message: 'TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY are set together (mutual TLS) or not at all',
    });
  }
});
// --- end of the connection block ---

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
  PARTNER_KYC_METHOD: z.enum(['A', 'B']).default('B'),
  PARTNER_DEFAULT_RISK_LEVEL: z.enum(['LOW', 'MEDIUM', 'HIGH']).default('LOW'),
});

/** Timings and limits of the onboarding; defaults from CONTRACT part 1 and the issues. */
const onboardingSettingsSchema = z.object({
  IDENTIFICATION_POLL_INTERVAL: duration.default('3s'),
  IDENTIFICATION_POLL_CAP: duration.default('5m'),
  IDENTIFICATION_BACKGROUND_POLL_INTERVAL: duration.default('30s'),
  CODE_WAIT_TIMEOUT: duration.default('24h'),
  USER_STEP_TIMEOUT: duration.default('72h'),
  ONBOARDING_TIMEOUT: duration.default('7d'),
  CODE_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(5),
  CODE_RESEND_COOLDOWN: duration.default('60s'),
  IDENTIFICATION_MAX_RESTARTS: z.coerce.number().int().min(0).default(5),
  KYC_DATA_SUBMISSION_POINT: z.enum(KYC_SUBMISSION_POINTS).default('BEFORE_FINALIZE'),
  STEP_ATTENTION_AFTER: duration.default('10m'),
  STEP_SLOW_RETRY_INTERVAL: duration.default('10m'),
  PARTNER_KYC_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(3),
  PARTNER_WEBHOOK_FALLBACK_AFTER: duration.default('15m'),
  PARTNER_TOO_MANY_VERIFICATIONS_WAIT: duration.default('1h'),
});

const apiSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  OPS_API_KEY: z.string().min(16, 'must be at least 16 characters'),
  FRONTEND_URL: z.url().default('http://localhost:3000'),
  PUBLIC_BASE_URL: z.url().optional(),
  TRUSTED_URL_HOSTS: csv,
  FILE_STORE_DIR: z.string().default('.data/files'),
  START_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(30),
  CODEC_CORS_ORIGINS: csv,
  // Named ops identities, `name:key,…`; the name is the actor recorded for what the key does.
  OPS_API_KEYS: csv.pipe(
    z.array(
      z
        .string()
        .regex(/^[A-Za-z0-9_.@-]{1,64}:\S{16,}$/, 'each entry is name:key, the name letters, digits, _ . @ -, the key at least 16 characters')
        .transform((pair) => ({ name: pair.slice(0, pair.indexOf(':')), key: pair.slice(pair.indexOf(':') + 1) })),
    ),
  ).optional(),
});

/** The onboarding record (PostgreSQL); without DATABASE_URL the service runs without one. */
const recordSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  RECORD_PERSONAL_DATA_RETENTION: duration.default('90d'),
});

/**
 * The worker's workflow cache (issue 15): how many onboardings a worker keeps in memory between
 * their messages. Waiting onboardings beyond it are evicted and replayed from history when a
 * message comes, so a worker's memory is bounded by this, not by the number of waiting onboardings.
 */
const workerCacheSchema = z.object({
  WORKFLOW_CACHE_SIZE: z.coerce.number().int().min(0).default(1000),
});
export type WorkerCacheConfig = z.infer<typeof workerCacheSchema>;
export const loadWorkerCacheConfig = (env = process.env): WorkerCacheConfig => parse(workerCacheSchema, env);

export type TemporalConfig = z.infer<typeof temporalSchema>;
export type RecordConfig = z.infer<typeof recordSchema>;
export type TennpayConfig = z.infer<typeof tennpaySchema>;
export type PartnerConfig = z.infer<typeof partnerSchema>;
export type OnboardingSettingsEnv = z.infer<typeof onboardingSettingsSchema>;
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
export const loadOnboardingSettingsEnv = (env = process.env): OnboardingSettingsEnv =>
  parse(onboardingSettingsSchema, env);
export const loadApiConfig = (env = process.env): ApiConfig => parse(apiSchema, env);
export const loadRecordConfig = (env = process.env): RecordConfig => parse(recordSchema, env);

/** Everything the worker needs. */
export function loadWorkerConfig(env = process.env) {
  return {
    temporal: loadTemporalConfig(env),
    tennpay: loadTennpayConfig(env),
    partner: loadPartnerConfig(env),
    trustedUrlHosts: parse(apiSchema.pick({ TRUSTED_URL_HOSTS: true }), env).TRUSTED_URL_HOSTS,
    fileStoreDir: parse(apiSchema.pick({ FILE_STORE_DIR: true }), env).FILE_STORE_DIR,
    cache: loadWorkerCacheConfig(env),
  };
}
export type WorkerConfig = ReturnType<typeof loadWorkerConfig>;

/** The settings an onboarding is started with (see OnboardingSettings), from the environment. */
export function loadOnboardingSettings(env = process.env): import('./domain/onboarding').OnboardingSettings {
  const s = loadOnboardingSettingsEnv(env);
  const partner = parse(partnerSchema.pick({ PARTNER_KYC_METHOD: true }), env);
  return {
    identificationPollInterval: s.IDENTIFICATION_POLL_INTERVAL,
    identificationPollCap: s.IDENTIFICATION_POLL_CAP,
    identificationBackgroundPollInterval: s.IDENTIFICATION_BACKGROUND_POLL_INTERVAL,
    codeWaitTimeout: s.CODE_WAIT_TIMEOUT,
    userStepTimeout: s.USER_STEP_TIMEOUT,
    onboardingTimeout: s.ONBOARDING_TIMEOUT,
    codeMaxAttempts: s.CODE_MAX_ATTEMPTS,
    codeResendCooldown: s.CODE_RESEND_COOLDOWN,
    identificationMaxRestarts: s.IDENTIFICATION_MAX_RESTARTS,
    kycDataSubmissionPoint: s.KYC_DATA_SUBMISSION_POINT,
    stepAttentionAfter: s.STEP_ATTENTION_AFTER,
    stepSlowRetryInterval: s.STEP_SLOW_RETRY_INTERVAL,
    partnerKycMethod: partner.PARTNER_KYC_METHOD,
    partnerKycMaxAttempts: s.PARTNER_KYC_MAX_ATTEMPTS,
    partnerWebhookFallbackAfter: s.PARTNER_WEBHOOK_FALLBACK_AFTER,
    partnerTooManyVerificationsWait: s.PARTNER_TOO_MANY_VERIFICATIONS_WAIT,
  };
}
