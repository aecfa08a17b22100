// How a refused or failed update reaches the frontend: a provider that could not answer is a 503
// the caller retries, not a 409 that says the call does not fit the onboarding.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { FailureType } from '../domain/failures';
import { problemForTemporalError } from './temporal-errors';

const updateFailed = (type: string) =>
  new WorkflowUpdateFailedError('update failed', ApplicationFailure.create({ type, message: 'the provider could not answer; try again shortly', nonRetryable: true }));

describe('problemForTemporalError', () => {
  it('answers a provider that could not answer an update with 503 and Retry-After', () => {
    const problem = problemForTemporalError(updateFailed(FailureType.ProviderUnavailable), 'ob-1');
    expect(problem).toMatchObject({ status: 503, retryAfterSeconds: expect.any(Number) });
    expect(problem?.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('keeps 409 for a call that does not fit the stage', () => {
    expect(problemForTemporalError(updateFailed(FailureType.WrongStage), 'ob-1')).toMatchObject({ status: 409, extensions: { failureType: 'WrongStage' } });
  });
});
