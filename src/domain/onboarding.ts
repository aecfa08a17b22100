// The onboarding's shared vocabulary (CONTRACT part 3): stages, next actions, the view the API
// serves, the workflow's input and settings. Imported by the workflow, the API and the ops tools,
// so everything here must stay deterministic and free of Node built-ins.
import type { Duration } from '@temporalio/common';
import { z } from 'zod';
import { text } from './json-text';
import { kycRecordSchema } from './kyc-record';

export const STAGES = [
  'CREATING_USER',
  'AWAITING_EMAIL_CODE',
  'AWAITING_SMS_CODE',
  'AWAITING_KYC_DATA',
  'STARTING_IDENTIFICATION',
  'AWAITING_IDENTIFICATION',
  'VERIFYING_IDENTIFICATION',
  'AWAITING_SIGNATURE',
  'VERIFYING_SIGNATURE',
  'IDENTIFICATION_FAILED',
  'FINALIZING',
  'CREATING_PARTNER_ACCOUNT',
  'AWAITING_PARTNER_KYC',
  'AWAITING_FILES',
  'VERIFYING_PARTNER_ACCOUNT',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'ABANDONED',
] as const;
export const stageSchema = z.enum(STAGES);
export type Stage = z.infer<typeof stageSchema>;

export const END_STAGES: readonly Stage[] = ['COMPLETED', 'FAILED', 'CANCELLED', 'ABANDONED'];
export const isEndStage = (stage: Stage): boolean => END_STAGES.includes(stage);

export const USER_TYPES = ['INDIVIDUAL', 'MERCHANT'] as const;
export type UserType = (typeof USER_TYPES)[number];
/** 10nPay's numeric user type in the status call's path. */
export const tennpayUserType = (t: UserType): 0 | 1 => (t === 'INDIVIDUAL' ? 0 : 1);

export const FILE_PURPOSES = ['KYC', 'PROOF_OF_ADDRESS'] as const;
export type FilePurpose = (typeof FILE_PURPOSES)[number];

export const URL_PURPOSES = ['IDENTIFICATION', 'DOCUMENT_SIGNING', 'PARTNER_KYC'] as const;

export const nextActionSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('CONFIRM_EMAIL') }),
  z.object({ type: z.literal('ENTER_SMS_CODE') }),
  z.object({ type: z.literal('SUBMIT_KYC_DATA'), message: z.string().optional() }),
  z.object({ type: z.literal('OPEN_URL'), url: z.string(), purpose: z.enum(URL_PURPOSES) }),
  z.object({ type: z.literal('UPLOAD_FILES'), purpose: z.enum(FILE_PURPOSES) }),
  z.object({ type: z.literal('RESTART_IDENTIFICATION') }),
  z.object({ type: z.literal('WAIT') }),
  z.object({ type: z.literal('NONE') }),
]);
export type NextAction = z.infer<typeof nextActionSchema>;

/** A failure as ops and frontends see it: a stable type, a message free of personal data. */
export const stepErrorSchema = z.object({
  step: z.string(),
  type: z.string(),
  message: z.string(),
  at: z.string(),
  /** The provider's HTTP status on the latest failure, when it answered. */
  httpStatus: z.number().int().optional(),
  /** How many attempts the step has made so far (the latest failure's attempt). */
  attempts: z.number().int().optional(),
  /** When the step started failing (the start of the step whose attempts all failed). */
  since: z.string().optional(),
});
export type StepError = z.infer<typeof stepErrorSchema>;

export const timelineEntrySchema = z.object({ step: z.string(), at: z.string() });
export type TimelineEntry = z.infer<typeof timelineEntrySchema>;

/** What `GET /onboardings/{id}` shows; the workflow's `onboardingView` query answers it. */
export const onboardingViewSchema = z.object({
  onboardingId: z.string(),
  stage: stageSchema,
  stageEnteredAt: z.string(),
  nextAction: nextActionSchema,
  reason: z.string().optional(),
  needsAttention: z.boolean(),
  ids: z.object({
    userId: z.number().int().optional(),
    individualId: z.number().int().optional(),
    correlationId: z.string().optional(),
    partnerUserId: z.string().optional(),
    externalUserId: z.string().optional(),
    verificationId: z.string().optional(),
  }),
  kycDataReceived: z.boolean(),
  timeline: z.array(timelineEntrySchema),
  lastError: stepErrorSchema.optional(),
  attemptsLeft: z.object({ emailCode: z.number().int(), smsCode: z.number().int() }),
  /** The earlier onboarding of the same person whose 10nPay user this one goes on with. */
  resumedFrom: z.string().optional(),
});
export type OnboardingView = z.infer<typeof onboardingViewSchema>;

/**
 * Timings and limits, fixed for one onboarding when it starts (the workflow cannot read the
 * environment, and a setting changed mid-flight must not change a running onboarding's history).
 * Durations are in Temporal's `ms` string form.
 */
const DURATION = /^\d+(\.\d+)?\s*(ms|s|m|h|d)?$/;
/** A duration in Temporal's `ms` form ("3s", "5m", "24h", "7d") or in milliseconds. */
export const durationSchema = z.custom<Duration>((v) => typeof v === 'string' && DURATION.test(v), {
  message: 'a duration such as 3s, 5m, 24h or 7d',
});

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** A setting's duration in milliseconds (a bare number is milliseconds, as Temporal reads it). */
export function durationMs(duration: Duration): number {
  if (typeof duration === 'number') return duration;
  const match = DURATION.exec(duration);
  if (!match) throw new TypeError(`not a duration: ${duration}`);
  const unit = (match[2] ?? 'ms') as keyof typeof UNIT_MS;
  return Math.round(parseFloat(duration) * UNIT_MS[unit]);
}

/** When the KYC data goes to 10nPay's add-additional-data (CONTRACT part 2). */
export const KYC_SUBMISSION_POINTS = ['AFTER_PHONE_VERIFIED', 'BEFORE_FINALIZE'] as const;
/** P100's KYC method: A uploads the KYC files, B sends the user to P100's verification page. */
export const PARTNER_KYC_METHODS = ['A', 'B'] as const;

/**
 * The settings schema. Each setting is also an environment variable of the same name in
 * SCREAMING_SNAKE_CASE (src/config.ts derives the environment schema from this one).
 */
export const onboardingSettingsSchema = z.object({
  identificationPollInterval: durationSchema,
  identificationPollCap: durationSchema,
  identificationBackgroundPollInterval: durationSchema,
  codeWaitTimeout: durationSchema,
  userStepTimeout: durationSchema,
  onboardingTimeout: durationSchema,
  codeMaxAttempts: z.number().int().min(1),
  codeResendCooldown: durationSchema,
  /** CODE_MAX_RESENDS: resends per code channel per onboarding (absent in onboardings started before: 5). */
  codeMaxResends: z.number().int().min(0).optional(),
  identificationMaxRestarts: z.number().int().min(0),
  kycDataSubmissionPoint: z.enum(KYC_SUBMISSION_POINTS),
  stepAttentionAfter: durationSchema,
  stepSlowRetryInterval: durationSchema,
  partnerKycMethod: z.enum(PARTNER_KYC_METHODS),
  partnerKycMaxAttempts: z.number().int().min(1),
  partnerWebhookFallbackAfter: durationSchema,
  partnerTooManyVerificationsWait: durationSchema,
});
export type OnboardingSettings = z.infer<typeof onboardingSettingsSchema>;

export const onboardingInputSchema = z.object({
  onboardingId: z.string().uuid(),
  email: z.email(),
  phoneNumber: z.string().regex(/^\+[1-9][0-9]{6,14}$/, 'an E.164 phone number such as +359888123456'),
  userType: z.enum(USER_TYPES),
  externalRef: text(1, 200).optional(),
  profile: kycRecordSchema.optional(),
  settings: onboardingSettingsSchema,
  /**
   * A person who comes back (CONTRACT part 4): the earlier onboarding that created this e-mail's
   * 10nPay user, and that user; the new onboarding goes on with it instead of creating one.
   */
  resume: z.object({ onboardingId: z.string().uuid(), userId: z.number().int().positive() }).optional(),
});
export type OnboardingInput = z.infer<typeof onboardingInputSchema>;

/** Workflow ids carry no personal data: they are derived from the opaque onboarding id. */
export const workflowIdFor = (onboardingId: string): string => `onboarding-${onboardingId}`;
export const onboardingIdFromWorkflowId = (workflowId: string): string => workflowId.replace(/^onboarding-/, '');
