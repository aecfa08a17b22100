// How the onboarding ends from anywhere in its journey: a step throws OnboardingEnded with the end
// stage and the reason, and the workflow records it (src/workflows/onboarding.ts, `run`).
export class OnboardingEnded extends Error {
  constructor(
    readonly stage: 'FAILED' | 'ABANDONED',
    readonly reason: string,
    readonly flagForOps = false,
  ) {
    super(reason);
  }
}
