// The failing step as ops see it, from what describe says of the pending activities: which pending
// activity is a failing step (polls that answer "not yet" are not), and lastError brought up to
// date with its attempts, before and after the workflow flags the step; and the list's lastError,
// read from the search attributes the workflow published.
import { ApplicationFailure, type SearchAttributePair, TypedSearchAttributes } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { indexedFieldsOf } from '../../test/support/search-attributes';
import { stampAttempt } from '../activities/attempt-interceptor';
import type { StepError } from '../domain/onboarding';
import { OnboardingLastError, OnboardingLastErrorType, OnboardingNeedsAttention, OnboardingStage, lastErrorSummary } from '../temporal/search-attributes';
import { type PendingActivity, currentStepError, failingStep, listItemOf } from './onboardings';

const finalize = (over: Partial<PendingActivity> = {}): PendingActivity => ({
  activityId: '12',
  activityType: 'finalizeIdentification',
  state: 'SCHEDULED',
  attempt: 4,
  scheduledAt: '2026-12-02T05:00:00.000Z',
  lastAttemptCompletedAt: '2026-12-02T05:00:07.000Z',
  lastFailure: { type: 'ProviderUnavailable', message: '10nPay finalizeIdentification: provider unavailable', httpStatus: 503 },
  ...over,
});

describe('failingStep', () => {
  it('picks a step activity with a failed attempt behind it, not a poll waiting for its answer nor a first attempt', () => {
    const poll: PendingActivity = { activityId: '9', activityType: 'awaitIdentificationStatus', state: 'SCHEDULED', attempt: 30, lastFailure: { type: 'IdentificationPending', message: 'waiting' } };
    const firstAttempt: PendingActivity = { activityId: '10', activityType: 'createPartnerAccount', state: 'STARTED', attempt: 1 };
    expect(failingStep([poll, firstAttempt])).toBeUndefined();
    expect(failingStep([poll, finalize()])).toMatchObject({ activityId: '12' });
    expect(failingStep([])).toBeUndefined();
  });
});

describe('currentStepError', () => {
  it('in the quick retries (not flagged yet): the activity is all there is', () => {
    expect(currentStepError(undefined, finalize())).toEqual({
      step: 'finalizeIdentification',
      type: 'ProviderUnavailable',
      message: '10nPay finalizeIdentification: provider unavailable',
      httpStatus: 503,
      at: '2026-12-02T05:00:07.000Z',
      attempts: 3,
      since: '2026-12-02T05:00:00.000Z',
    });
  });

  it('in the slow retries: the slow activity’s failed attempts add to those the flag counted; the step and since stay', () => {
    const flagged: StepError = { step: 'finalizeIdentification', type: 'ProviderUnavailable', message: 'm', at: '2026-12-02T05:00:15.000Z', httpStatus: 503, attempts: 4, since: '2026-12-02T05:00:00.000Z' };
    const slow = finalize({ attempt: 3, scheduledAt: '2026-12-02T05:00:15.000Z', lastAttemptCompletedAt: '2026-12-02T05:20:15.000Z', lastFailure: { type: 'ProviderUnavailable', message: 'again', httpStatus: 502 } });
    expect(currentStepError(flagged, slow)).toEqual({
      step: 'finalizeIdentification',
      type: 'ProviderUnavailable',
      message: 'again',
      httpStatus: 502,
      at: '2026-12-02T05:20:15.000Z',
      attempts: 6,
      since: '2026-12-02T05:00:00.000Z',
    });
  });
});

describe('stampAttempt', () => {
  it('adds the attempt to a provider failure’s details and leaves other errors alone', () => {
    const failure = ApplicationFailure.create({ type: 'ProviderUnavailable', message: 'down', details: [{ provider: 'tennpay', operation: 'finalizeIdentification', httpStatus: 503 }] });
    stampAttempt(failure, 3);
    expect(failure.details?.[0]).toEqual({ provider: 'tennpay', operation: 'finalizeIdentification', httpStatus: 503, attempt: 3 });
    const bare = ApplicationFailure.create({ type: 'X', message: 'no details' });
    stampAttempt(bare, 2);
    expect(bare.details ?? []).toEqual([]);
    const plain = new Error('not a failure');
    stampAttempt(plain, 2);
    expect(plain).not.toHaveProperty('details');
  });
});

describe('the list’s lastError', () => {
  const flagged: StepError = {
    step: 'finalizeIdentification',
    type: 'ProviderUnavailable',
    message: '10nPay finalizeIdentification: provider unavailable',
    at: '2026-12-02T05:00:15.000Z',
    httpStatus: 503,
    attempts: 4,
    since: '2026-12-02T05:00:00.000Z',
  };
  const listed = (pairs: SearchAttributePair[]) =>
    listItemOf({
      execution: { workflowId: 'onboarding-6f1c1c1e-0000-4000-8000-000000000000', runId: 'run-1' },
      status: temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
      startTime: { seconds: Date.parse('2026-12-02T04:59:00Z') / 1000 },
      searchAttributes: { indexedFields: indexedFieldsOf(new TypedSearchAttributes(pairs)) },
    } as unknown as temporal.api.workflow.v1.IWorkflowExecutionInfo);

  it('is the view’s, step, status, attempts and since, as the workflow published it, without the message', () => {
    const item = listed([
      { key: OnboardingStage, value: 'FINALIZING' },
      { key: OnboardingNeedsAttention, value: true },
      { key: OnboardingLastErrorType, value: flagged.type },
      { key: OnboardingLastError, value: lastErrorSummary(flagged)! },
    ]);
    expect(item.lastError).toEqual({ ...flagged, message: undefined });
    expect(item.lastError).not.toHaveProperty('message');
    expect(lastErrorSummary(flagged)).not.toContain('provider unavailable');
  });

  it('is the type alone for an onboarding flagged before the summary, or whose summary is of an earlier error', () => {
    const typeOnly = [
      { key: OnboardingStage, value: 'FINALIZING' },
      { key: OnboardingLastErrorType, value: 'ProviderUnavailable' },
    ] satisfies SearchAttributePair[];
    expect(listed(typeOnly).lastError).toEqual({ type: 'ProviderUnavailable' });
    const stale = lastErrorSummary({ ...flagged, type: 'ProviderTimeout' })!;
    expect(listed([...typeOnly, { key: OnboardingLastError, value: stale }]).lastError).toEqual({ type: 'ProviderUnavailable' });
    expect(listed([{ key: OnboardingStage, value: 'FINALIZING' }]).lastError).toBeUndefined();
  });
});
