// The ops routes of the outbound events (GET /ops/outbound-events, POST /ops/outbound-events/
// redeliver): their query, body and answers as zod schemas, for the route table and the tests.
import { z } from 'zod';
import { MAX_UNDELIVERED_LISTED } from '../ops/outbound-events';

export const outboundEventsQuerySchema = z
  .object({
    undelivered: z.literal('true').optional().meta({ description: 'The list is of undelivered events; true is the only value' }),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_UNDELIVERED_LISTED)
      .optional()
      .meta({ type: 'integer', minimum: 1, maximum: MAX_UNDELIVERED_LISTED }),
  })
  .strict();

export const redeliverBodySchema = z
  .object({
    onboardingId: z.uuid().optional().meta({ description: 'Only this onboarding’s events; every onboarding’s when absent' }),
    requestedBy: z.string().regex(/^[A-Za-z0-9_.@:-]{1,100}$/, 'a name: letters, digits and _ . @ : -').optional(),
  })
  .strict();

const undeliveredSchema = z
  .object({
    onboardingId: z.string(),
    lastDeliveredSeq: z.number().int(),
    delivered: z.number().int(),
    ended: z.boolean(),
    pending: z.array(z.object({ seq: z.number().int(), stage: z.string(), at: z.string() }).strict()),
    stalled: z.object({ seq: z.number().int(), since: z.string(), error: z.string() }).strict().optional(),
    attempt: z.number().int().optional(),
    lastFailure: z.string().optional(),
    nextAttemptAt: z.string().optional(),
  })
  .strict();

export const undeliveredListSchema = z.object({ items: z.array(undeliveredSchema), truncated: z.boolean() }).strict();
export const redeliveredSchema = z.object({ onboardingIds: z.array(z.string()), truncated: z.boolean() }).strict();
