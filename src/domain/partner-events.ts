// P100's webhook events (CONTRACT part 2) and the order of each status, so that an event that
// comes late or twice never moves an onboarding backwards.
import { z } from 'zod';

export const PARTNER_EVENT_TYPES = ['user-status', 'kyc-verification-status', 'kyc-file-added', 'poa-verification-status'] as const;
export type PartnerEventType = (typeof PARTNER_EVENT_TYPES)[number];

export const partnerEventPayloadSchemas = {
  'user-status': z.object({ externalUserId: z.string().min(1), status: z.string().min(1) }),
  'kyc-verification-status': z.object({
    externalUserId: z.string().min(1),
    verificationId: z.string().min(1).optional(),
    status: z.string().min(1),
    reason: z.string().optional(),
  }),
  'kyc-file-added': z.object({ externalUserId: z.string().min(1), status: z.enum(['ADDED', 'ERROR']) }),
  'poa-verification-status': z.object({
    externalUserId: z.string().min(1),
    status: z.enum(['WAITING', 'APPROVED', 'REJECTED', 'QUESTIONED']),
  }),
} as const;

export const partnerEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('user-status'), payload: partnerEventPayloadSchemas['user-status'] }),
  z.object({ type: z.literal('kyc-verification-status'), payload: partnerEventPayloadSchemas['kyc-verification-status'] }),
  z.object({ type: z.literal('kyc-file-added'), payload: partnerEventPayloadSchemas['kyc-file-added'] }),
  z.object({ type: z.literal('poa-verification-status'), payload: partnerEventPayloadSchemas['poa-verification-status'] }),
]);
export type PartnerEvent = z.infer<typeof partnerEventSchema>;

/** Rank of a status in its own order; a higher rank is never replaced by a lower one. */
export const STATUS_RANK: Record<PartnerEventType, Record<string, number>> = {
  'user-status': { ACTIVE: 1 },
  'kyc-verification-status': { PENDING: 0, APPROVED: 1, REJECTED: 1 },
  'kyc-file-added': { ERROR: 0, ADDED: 1 },
  'poa-verification-status': { WAITING: 0, QUESTIONED: 1, APPROVED: 2, REJECTED: 2 },
};
