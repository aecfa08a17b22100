// What the record holds, as zod schemas (the types follow from them): a change the workflow sends
// (numbered by the workflow: `seq` is 1, 2, 3… per onboarding), the events of the trail as ops read
// them, and the onboarding row. No personal data: the person enters only as keyed hashes.
import { z } from 'zod';
import { stageSchema, USER_TYPES } from '../domain/onboarding';

export const RECORD_EVENT_TYPES = ['STAGE_CHANGED', 'OPS_ACTION', 'PROVIDER_FAILURE', 'MESSAGE_REFUSED'] as const;

export const recordEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('STAGE_CHANGED'), stage: stageSchema, previousStage: stageSchema.nullable(), reason: z.string().optional() }),
  z.object({ type: z.literal('OPS_ACTION'), action: z.string(), actor: z.string(), reason: z.string().optional() }),
  z.object({ type: z.literal('PROVIDER_FAILURE'), step: z.string(), failureType: z.string() }),
  // `message`: the kind of message refused (e.g. "resendEmailCode"), `reason`: why (a limit's name).
  z.object({ type: z.literal('MESSAGE_REFUSED'), message: z.string(), reason: z.string() }),
]);
export type RecordEvent = z.infer<typeof recordEventSchema>;

export const recordIdsSchema = z.object({
  userId: z.number().int().optional(),
  individualId: z.number().int().optional(),
  partnerUserId: z.string().optional(),
  externalUserId: z.string().optional(),
  verificationId: z.string().optional(),
});
export type RecordIds = z.infer<typeof recordIdsSchema>;

/** One change, as the workflow hands it to the recordChanges local activity. */
export const recordChangeSchema = z.object({
  onboardingId: z.string().uuid(),
  seq: z.number().int().positive(),
  at: z.string().datetime(),
  event: recordEventSchema,
  /** Where the onboarding stands after this change. */
  stage: stageSchema,
  stageEnteredAt: z.string().datetime(),
  ids: recordIdsSchema,
  /** How the onboarding row is created when this is the first change the record sees of it. */
  opening: z.object({
    userType: z.enum(USER_TYPES),
    externalRef: z.string().optional(),
    resumedFrom: z.string().uuid().optional(),
    email: z.string(),
    phoneNumber: z.string(),
    startedAt: z.string().datetime(),
  }),
});
export type RecordChange = z.infer<typeof recordChangeSchema>;

/** An event of the trail, as `GET /ops/onboardings/{id}/events` shows it. */
export type TrailEvent = { seq: number; at: string } & RecordEvent;

/** The onboarding row, as the ops detail shows it when the workflow is gone. */
export interface RecordedOnboarding {
  onboardingId: string;
  userType: string;
  externalRef?: string;
  resumedFrom?: string;
  stage: z.infer<typeof stageSchema>;
  stageEnteredAt: string;
  reason?: string;
  endedAt?: string;
  ids: RecordIds;
  personalDataErasedAt?: string;
  createdAt: string;
  updatedAt: string;
  lastSeq: number;
}

export interface RecordStats {
  running: Record<string, number>;
  ended: Record<string, number>;
  /** Ended onboardings per end stage and reason (`none` where an end has no reason). */
  endedByReason: Record<string, Record<string, number>>;
  stageDurations: Record<string, { p50Seconds: number; p90Seconds: number }>;
}
