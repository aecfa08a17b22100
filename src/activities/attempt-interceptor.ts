// Stamps the attempt number into the provider failure an activity attempt raises, so that the
// workflow, which sees only the last failure once a step's quick retries are over, can tell ops
// how many attempts the step made (CONTRACT part 4, "Ops on a failing step").
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

export class AttemptStampingInterceptor implements ActivityInboundCallsInterceptor {
  constructor(private readonly attempt: () => number) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    try {
      return await next(input);
    } catch (err) {
      stampAttempt(err, this.attempt());
      throw err;
    }
  }
}

/** Adds `attempt` to a provider failure's details (the first detail, a plain object); other errors pass as they are. */
export function stampAttempt(err: unknown, attempt: number): void {
  if (!(err instanceof ApplicationFailure)) return;
  const first: unknown = err.details?.[0];
  if (first !== null && typeof first === 'object' && !Array.isArray(first)) (first as { attempt?: number }).attempt = attempt;
}

export const attemptStamping: ActivityInterceptorsFactory = (ctx) => ({ inbound: new AttemptStampingInterceptor(() => ctx.info.attempt) });
