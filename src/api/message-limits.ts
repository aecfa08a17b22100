// The API's side of the abuse limits for the messages that are signals (Borica redirects, P100
// webhooks): a signal always lands in the history, so the API asks the onboarding how many it took
// (query messageLimits) and sends none past the bound once the workflow has recorded the refusal.
import { workflowIdFor } from '../domain/onboarding';
import type { LimitedMessage, MessageLimitState } from '../domain/message-limits';
import { messageLimits } from '../workflows/messages';
import { type ApiContext, withDeadline } from './context';
import { ProblemError, problems } from './problem-details';
import { isNotFound } from './temporal-errors';

/** How long the API waits for the counts before it lets the signal through. */
const LIMIT_QUERY_MS = 2_000;

/**
 * Where the onboarding stands on one kind of message, with `full` when the next one is refused; or
 * undefined when the worker cannot answer now: the message is then not refused for that (the
 * workflow refuses it itself past the bound, at the cost of one history event).
 */
export async function limitOf(
  ctx: ApiContext,
  onboardingId: string,
  message: LimitedMessage,
  { notFound = () => new ProblemError(problems.notFound()) }: { notFound?: () => Error } = {},
): Promise<(MessageLimitState & { full: boolean }) | undefined> {
  try {
    const states = await withDeadline(ctx, Math.min(ctx.timeouts.queryMs, LIMIT_QUERY_MS), () =>
      ctx.client.workflow.getHandle(workflowIdFor(onboardingId)).query(messageLimits),
    );
    const state = states[message];
    return { ...state, full: state.received >= state.max };
  } catch (err) {
    if (isNotFound(err)) throw notFound();
    return undefined;
  }
}
