// The failing step as ops see it, from what describe says of the pending activities: which pending
// activity is a failing step (polls that answer "not yet" are not), and lastError brought up to
// date with its attempts, before and after the workflow flags the step.
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { stampAttempt } from '../activities/attempt-interceptor';
import type { StepError } from '../domain/onboarding';
import { type PendingActivity, currentStepError, failingStep } from './onboardings';

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
