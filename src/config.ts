// The one configuration loader: every process (worker, API, ops CLI) reads the environment here,
// validated by zod once at start-up, so a missing or malformed setting stops the process with a
// message naming the variable instead of failing later inside a request.
import { existsSync, statSync } from 'node:fs';
import type { Duration } from '@temporalio/common';
import { z } from 'zod';
import { RISK_LEVELS } from './activities/partner/schemas';
import { durationMs, durationSchema, onboardingSettingsSchema, type OnboardingSettings } from './domain/onboarding';

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

const tennpayCoreSchema = z.object({
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

const partnerCoreSchema = z.object({
  PARTNER_BASE_URL: z.url(),
  PARTNER_API_KEY: z.string().min(1),
  PARTNER_WEBHOOK_TOKEN: z.string().min(16, 'must be at least 16 characters'),
  PARTNER_DEFAULT_RISK_LEVEL: z.enum(RISK_LEVELS).default('LOW'),
});

// --- Provider URLs are https (issue 10): plain http only where PROVIDER_ALLOW_HTTP=true says so
// (the sandbox and `npm start`), so a production deploy cannot send credentials in clear. ---
const providerHttpShape = {
  PROVIDER_ALLOW_HTTP: z.enum(['true', 'false']).default('false'),
};
function httpsOnly(names: readonly string[]) {
  return (c: Record<string, unknown>, ctx: z.RefinementCtx): void => {
    if (c.PROVIDER_ALLOW_HTTP === 'true') return;
    for (const name of names) {
      const value = c[name];
      if (typeof value === 'string' && !/^https:\/\//i.test(value)) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'must be an https URL (set PROVIDER_ALLOW_HTTP=true only for a local sandbox)' });
      }
    }
  };
}
const tennpaySchema = tennpayCoreSchema.extend(providerHttpShape).superRefine(httpsOnly(['TENNPAY_BASE_URL', 'TENNPAY_AUTH_URL']));
const partnerSchema = partnerCoreSchema.extend(providerHttpShape).superRefine(httpsOnly(['PARTNER_BASE_URL']));
// --- end of the provider URL block ---

/**
 * The onboarding settings' defaults (CONTRACT part 1 and the issues); the schema is the domain's.
 * The tests' settings start from these too (test/support/fixtures.ts).
 */
export const SETTING_DEFAULTS: Readonly<OnboardingSettings> = {
  identificationPollInterval: '3s',
  identificationPollCap: '5m',
  identificationBackgroundPollInterval: '30s',
  codeWaitTimeout: '24h',
  userStepTimeout: '72h',
  onboardingTimeout: '7d',
  codeMaxAttempts: 5,
  codeMaxResends: 5,
  codeResendCooldown: '60s',
  identificationMaxRestarts: 5,
  kycDataSubmissionPoint: 'BEFORE_FINALIZE',
  stepAttentionAfter: '15s',
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
      // Optional settings (added after onboardings were started without them) are read like the others.
      const inner = schema instanceof z.ZodOptional ? (schema.unwrap() as z.ZodType) : schema;
      const fromText: z.ZodType = inner instanceof z.ZodNumber ? z.coerce.number().pipe(inner) : inner;
      return [settingVariable(setting), fromText.default(SETTING_DEFAULTS[setting as keyof OnboardingSettings])];
    }),
  ),
);

const apiCoreSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  OPS_API_KEY: z.string().min(16, 'must be at least 16 characters'),
  FRONTEND_URL: z.url().default('http://localhost:3000'),
  PUBLIC_BASE_URL: z.url().optional(),
  TRUSTED_URL_HOSTS: csv,
  FILE_STORE_DIR: z.string().default('.data/files'),
  START_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(30),
  CODEC_CORS_ORIGINS: csv,
  // The Temporal Web UI's base URL: the console links each onboarding's workflow there; no link
  // without it (npm start sets the dev server's).
  TEMPORAL_UI_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .optional()
    .or(z.literal('').transform(() => undefined)),
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

// --- Secrets that rotate (CONTRACT part 4): what the API hands out is signed with its own key,
// apart from PAYLOAD_ENCRYPTION_KEY; the old keys still verify during a rotation. ---
const apiSigningShape = {
  API_SIGNING_KEY: base64Key,
  API_SIGNING_OLD_KEYS: csv.pipe(z.array(base64Key)),
  // Express's `trust proxy`: off by default (the socket's address is the client's); "true", a
  // number of hops, or addresses/subnets ("loopback, 10.0.0.0/8") behind a load balancer.
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((v): boolean | number | string => (v === 'true' ? true : v === 'false' || v === '' ? false : /^\d+$/.test(v) ? Number(v) : v)),
  // Wrong ops keys per client address per minute before it is answered 429 (and counted).
  OPS_AUTH_MAX_FAILURES: z.coerce.number().int().positive().default(10),
};
// --- end of the signing block ---

const apiSchema = apiCoreSchema.extend(apiSigningShape);

/** The onboarding record (PostgreSQL); without DATABASE_URL the service runs without one. */
const recordSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  RECORD_PERSONAL_DATA_RETENTION: duration.default('90d'),
});

// --- Outbound events to the integrator's back office (CONTRACT part 4, "Pushed, not polled"). ---
// Without INTEGRATOR_WEBHOOK_URL no event is published. Deliveries are retried for
// INTEGRATOR_DELIVERY_RETRY_FOR (at least 24 h, the contract's floor), the backoff capped at
// INTEGRATOR_DELIVERY_MAX_INTERVAL; INTEGRATOR_WEBHOOK_TIMEOUT bounds one attempt.
const atLeast = (min: Duration) => (d: Duration) => durationMs(d) >= durationMs(min);
const integratorSchema = z
  .object({
    INTEGRATOR_WEBHOOK_URL: z.url().optional().or(z.literal('').transform(() => undefined)),
    INTEGRATOR_WEBHOOK_SECRET: z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, 'must be whsec_ then base64')
      .refine((s) => Buffer.from(s.slice('whsec_'.length), 'base64').length >= 24, 'the key after whsec_ must be at least 24 bytes')
      .optional()
      .or(z.literal('').transform(() => undefined)),
    INTEGRATOR_WEBHOOK_TIMEOUT: duration.default('10s'),
    INTEGRATOR_DELIVERY_RETRY_FOR: duration.default('72h').refine(atLeast('24h'), 'must be at least 24h'),
    INTEGRATOR_DELIVERY_MAX_INTERVAL: duration.default('1h'),
  })
  .superRefine((c, ctx) => {
    if (c.INTEGRATOR_WEBHOOK_URL && !c.INTEGRATOR_WEBHOOK_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['INTEGRATOR_WEBHOOK_SECRET'], message: 'required with INTEGRATOR_WEBHOOK_URL (events are always signed)' });
    }
  });
export type IntegratorConfig = z.infer<typeof integratorSchema>;
export const loadIntegratorConfig = (env = process.env): IntegratorConfig => parse(integratorSchema, env);
// --- end of the outbound events block ---

/**
 * The worker's workflow cache (issue 15): how many onboardings a worker keeps in memory between
 * their messages. Waiting onboardings beyond it are evicted and replayed from history when a
 * message comes, so a worker's memory is bounded by this, not by the number of waiting onboardings.
 */
const workerCacheSchema = z.object({
  WORKFLOW_CACHE_SIZE: z.coerce.number().int().min(0).default(200),
});
export type WorkerCacheConfig = z.infer<typeof workerCacheSchema>;
export const loadWorkerCacheConfig = (env = process.env): WorkerCacheConfig => parse(workerCacheSchema, env);

export type TemporalConfig = z.infer<typeof temporalSchema>;
export type RecordConfig = z.infer<typeof recordSchema>;
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
    integrator: loadIntegratorConfig(env),
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
  record: recordSchema,
  workerCache: workerCacheSchema,
  integrator: integratorSchema,
} as const;
