// The request shapes of the API, from the domain's zod schemas (one definition, also used to
// write /openapi.json).
import { z } from 'zod';
import { kycRecordSchema } from '../domain/kyc-record';
import { FILE_PURPOSES, onboardingInputSchema } from '../domain/onboarding';
import { listFiltersSchema } from '../ops/onboardings';

export const startOnboardingBodySchema = onboardingInputSchema.pick({
  email: true,
  phoneNumber: true,
  userType: true,
  externalRef: true,
  profile: true,
});
export type StartOnboardingBody = z.output<typeof startOnboardingBodySchema>;

export const codeBodySchema = z.object({ code: z.string().regex(/^\d{4,8}$/, 'the code as sent, 4 to 8 digits') });

export const redirectBodySchema = z.object({
  outcome: z.enum(['success', 'fail']),
  query: z
    .record(z.string().min(1).max(100), z.string().max(4096))
    .default({})
    .refine((q) => Object.keys(q).length <= 50, 'at most 50 query parameters'),
});

export const kycDataBodySchema = kycRecordSchema;

export const filesFormSchema = z.object({ purpose: z.enum(FILE_PURPOSES) });

export const idempotencyKeySchema = z.string().regex(/^[\x21-\x7e]{1,200}$/, 'Idempotency-Key: 1 to 200 visible ASCII characters');

export const codecPayloadSchema = z.object({
  metadata: z.record(z.string(), z.string()).optional(),
  data: z.string().optional(),
});
export const codecBodySchema = z.object({ payloads: z.array(codecPayloadSchema).max(1000) });

// Ops actions (POST /ops/onboardings/{id}/{action} and the batch form).
const requestedBySchema = z.string().trim().min(1).max(100).regex(/^[\w.@:-]+$/);
export const opsActionBodySchema = z.object({ requestedBy: requestedBySchema.optional() }).strict();
export const opsCancelBodySchema = opsActionBodySchema.extend({ reason: z.string().trim().min(1).max(500) }).strict();
export const opsBatchBodySchema = listFiltersSchema
  .extend({
    reason: z.string().trim().min(1).max(500).optional(),
    requestedBy: requestedBySchema.optional(),
    dryRun: z.boolean().optional(),
  })
  .strict()
  .refine((b) => b.stage !== undefined || b.waitingLongerThan !== undefined || b.needsAttention === true, {
    message: 'a batch needs at least one filter: stage, waitingLongerThan or needsAttention=true',
  });
