// The custom search attributes ops list and filter onboardings by. They carry no personal data:
// stages, times, error types and provider ids only. ONBOARDING_SEARCH_ATTRIBUTES is the one list:
// the dev-server runner, the test setup, docker-compose (checked by its test) and
// `npm run ops -- setup` (src/temporal/namespace-setup.ts, for any other namespace) register it.
import type { temporal } from '@temporalio/proto';
import {
  defaultPayloadConverter,
  defineSearchAttributeKey,
  type SearchAttributePair,
  SearchAttributeType,
  TypedSearchAttributes,
} from '@temporalio/common';
import { type StepError, stepErrorSchema } from '../domain/onboarding';

/** A search attribute's key, as defineSearchAttributeKey makes it (the SDK exports no name for the type). */
export type SearchAttributeKey<T extends SearchAttributeType = SearchAttributeType> = ReturnType<typeof defineSearchAttributeKey<T>>;

export const OnboardingStage = defineSearchAttributeKey('OnboardingStage', SearchAttributeType.KEYWORD);
export const OnboardingStageEnteredAt = defineSearchAttributeKey('OnboardingStageEnteredAt', SearchAttributeType.DATETIME);
export const OnboardingNeedsAttention = defineSearchAttributeKey('OnboardingNeedsAttention', SearchAttributeType.BOOL);
export const OnboardingLastErrorType = defineSearchAttributeKey('OnboardingLastErrorType', SearchAttributeType.KEYWORD);
/**
 * The flagged step's failure as ops list it: lastError without its message (a search attribute is
 * not encrypted; the message stays in the encrypted history), as compact JSON (lastErrorSummary).
 */
export const OnboardingLastError = defineSearchAttributeKey('OnboardingLastError', SearchAttributeType.KEYWORD);
export const OnboardingExternalRefHash = defineSearchAttributeKey('OnboardingExternalRefHash', SearchAttributeType.KEYWORD);
export const TennpayUserId = defineSearchAttributeKey('TennpayUserId', SearchAttributeType.INT);
export const PartnerExternalUserId = defineSearchAttributeKey('PartnerExternalUserId', SearchAttributeType.KEYWORD);
/** On an onboarding's event delivery workflow: events wait to reach the integrator's receiver. */
export const IntegratorEventsPending = defineSearchAttributeKey('IntegratorEventsPending', SearchAttributeType.BOOL);

export const ONBOARDING_SEARCH_ATTRIBUTES = [
  OnboardingStage,
  OnboardingStageEnteredAt,
  OnboardingNeedsAttention,
  OnboardingLastErrorType,
  OnboardingLastError,
  OnboardingExternalRefHash,
  TennpayUserId,
  PartnerExternalUserId,
  IntegratorEventsPending,
] as const;

/** lastError as a search attribute carries it: every field but the message. */
export const lastErrorSummarySchema = stepErrorSchema.omit({ message: true });
export type LastErrorSummary = Omit<StepError, 'message'>;

/** The value of OnboardingLastError for a lastError (null clears it). */
export function lastErrorSummary(error: StepError | undefined): string | null {
  if (!error) return null;
  // zod's object drops the keys it does not name: the message.
  const summary = lastErrorSummarySchema.safeParse(error);
  return summary.success ? JSON.stringify(summary.data) : null;
}

/** OnboardingLastError read back; undefined when absent or not one of ours. */
export function parseLastErrorSummary(value: string | undefined): LastErrorSummary | undefined {
  if (!value) return undefined;
  try {
    const parsed = lastErrorSummarySchema.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The onboarding search attributes of a raw execution info (a visibility list answers those), by
 * the SDK's public payload converter: search attributes are plain JSON, never through the codec;
 * each value carries its type in the payload's metadata, and a single value may come in an array.
 */
export function typedSearchAttributesOf(indexedFields: Record<string, temporal.api.common.v1.IPayload> | null | undefined): TypedSearchAttributes {
  const pairs: SearchAttributePair[] = [];
  for (const key of ONBOARDING_SEARCH_ATTRIBUTES as readonly SearchAttributeKey<SearchAttributeType>[]) {
    const payload = indexedFields?.[key.name];
    if (!payload) continue;
    let value: unknown;
    try {
      value = defaultPayloadConverter.fromPayload(payload);
    } catch {
      continue;
    }
    if (Array.isArray(value)) value = value[0];
    if (value === undefined || value === null) continue;
    if (key.type === SearchAttributeType.DATETIME) value = new Date(String(value));
    pairs.push({ key, value } as SearchAttributePair);
  }
  return new TypedSearchAttributes(pairs);
}
