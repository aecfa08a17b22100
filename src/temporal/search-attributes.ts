// The custom search attributes ops list and filter onboardings by. They carry no personal data:
// stages, times, error types and provider ids only. ONBOARDING_SEARCH_ATTRIBUTES is the one list:
// the dev-server runner, the test setup, docker-compose (checked by its test) and
// `npm run ops -- setup` (src/temporal/namespace-setup.ts, for any other namespace) register it.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const OnboardingStage = defineSearchAttributeKey('OnboardingStage', SearchAttributeType.KEYWORD);
export const OnboardingStageEnteredAt = defineSearchAttributeKey('OnboardingStageEnteredAt', SearchAttributeType.DATETIME);
export const OnboardingNeedsAttention = defineSearchAttributeKey('OnboardingNeedsAttention', SearchAttributeType.BOOL);
export const OnboardingLastErrorType = defineSearchAttributeKey('OnboardingLastErrorType', SearchAttributeType.KEYWORD);
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
  OnboardingExternalRefHash,
  TennpayUserId,
  PartnerExternalUserId,
  IntegratorEventsPending,
] as const;
