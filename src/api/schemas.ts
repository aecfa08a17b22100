// The request shapes of the API, from the domain's zod schemas (one definition, also used to
// write /openapi.json).
import { z } from 'zod';
import { kycRecordSchema } from '../domain/kyc-record';
import { FILE_PURPOSES, onboardingInputSchema } from '../domain/onboarding';

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
