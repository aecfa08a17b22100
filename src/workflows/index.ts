// The workflows this worker runs; the worker's bundle starts from this file.
export { onboardingWorkflow } from './onboarding';
export { integratorEventDeliveryWorkflow } from './event-delivery';
