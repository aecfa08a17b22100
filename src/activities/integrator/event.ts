// An outbound event to the integrator's back office (CONTRACT part 4, "Pushed, not polled"): what
// the delivery workflow carries for each stage change, the body the receiver gets and the
// webhook-id that stays the same on every attempt. Identifiers and stages only, never personal data.
import { z } from 'zod';
import { stageSchema } from '../../domain/onboarding';
import { recordIdsSchema } from '../../record/changes';

export const INTEGRATOR_EVENT_TYPE = 'onboarding.stage_changed';

/** The provider and service ids of an onboarding, as the record keeps them: numbers and opaque ids, no personal data. */
export const integratorEventIdsSchema = recordIdsSchema.strict();

/** One stage change, as publishOnboardingEvent hands it to the delivery workflow. */
export const integratorEventSchema = z
  .object({
    onboardingId: z.string().uuid(),
    /** The record's sequence number of the change: the order of delivery. */
    seq: z.number().int().positive(),
    stage: stageSchema,
    previousStage: stageSchema.nullable(),
    reason: z.string().optional(),
    ids: integratorEventIdsSchema,
    externalRef: z.string().optional(),
    /** When the change happened (ISO 8601): the body's timestamp. */
    at: z.string().datetime(),
  })
  .strict();
export type IntegratorEvent = z.infer<typeof integratorEventSchema>;

/** The body the receiver gets. */
export interface IntegratorWebhookBody {
  type: typeof INTEGRATOR_EVENT_TYPE;
  timestamp: string;
  data: {
    onboardingId: string;
    externalRef?: string;
    seq: number;
    stage: string;
    previousStage: string | null;
    reason?: string;
    ids: IntegratorEvent['ids'];
  };
}

export function webhookBodyOf(event: IntegratorEvent): IntegratorWebhookBody {
  const { onboardingId, externalRef, seq, stage, previousStage, reason, ids, at } = event;
  return {
    type: INTEGRATOR_EVENT_TYPE,
    timestamp: at,
    data: {
      onboardingId,
      ...(externalRef !== undefined ? { externalRef } : {}),
      seq,
      stage,
      previousStage,
      ...(reason !== undefined ? { reason } : {}),
      ids,
    },
  };
}

/** Stable per (onboarding, seq): a receiver de-duplicates repeated deliveries by it. */
export const webhookIdFor = (onboardingId: string, seq: number): string => `evt_${onboardingId}_${seq}`;
