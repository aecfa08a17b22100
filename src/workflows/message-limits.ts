// The onboarding's side of the abuse limits (src/domain/message-limits.ts): how many messages of
// each kind it has taken, and the refusal past each bound. A refusal costs no history once it is
// recorded: validators refuse updates (a rejected update leaves no event) and the API refuses
// signals after asking the counts. Only the first message past a bound is let in, so that the
// workflow writes its refusal to the record once (MESSAGE_REFUSED) before it answers LimitReached.
import { ApplicationFailure, patched } from '@temporalio/workflow';
import { FailureType } from '../domain/failures';
import { LIMIT_NAMES, LIMITED_MESSAGES, type LimitedMessage, type MessageLimitStates } from '../domain/message-limits';
import type { Progress } from './progress';

export interface MessageBound {
  /** Messages of the kind taken so far. */
  received: () => number;
  max: number;
}

export class MessageLimits {
  private readonly refusalRecorded = new Set<LimitedMessage>();

  constructor(
    private readonly progress: Progress,
    private readonly bounds: Record<LimitedMessage, MessageBound>,
  ) {}

  /** The kind's bound is reached: the next message of it is refused. */
  full(message: LimitedMessage): boolean {
    const { received, max } = this.bounds[message];
    return received() >= max;
  }

  /** For validators: past the bound, once the refusal is recorded, refused here (no history). */
  requireRoom(message: LimitedMessage): void {
    if (this.full(message) && this.refusalRecorded.has(message)) throw this.limitReached(message);
  }

  /**
   * For handlers, past the bound: records the refusal (once per kind) and returns the failure to
   * answer with. Behind a patch: onboardings that took messages past a bound before it existed
   * (a signal the API let through) replay them as they ran.
   */
  refuse(message: LimitedMessage): ApplicationFailure | undefined {
    if (!patched('record-refused-messages')) return undefined;
    if (!this.refusalRecorded.has(message)) {
      this.refusalRecorded.add(message);
      this.progress.messageRefused(message, LIMIT_NAMES[message]);
    }
    return this.limitReached(message);
  }

  states(): MessageLimitStates {
    return Object.fromEntries(
      LIMITED_MESSAGES.map((m) => [m, { received: this.bounds[m].received(), max: this.bounds[m].max, refusalRecorded: this.refusalRecorded.has(m) }]),
    ) as MessageLimitStates;
  }

  private limitReached(message: LimitedMessage): ApplicationFailure {
    const { max } = this.bounds[message];
    return ApplicationFailure.create({
      type: FailureType.LimitReached,
      message: `this onboarding has taken ${max} ${WHAT[message]}, the most it takes`,
      details: [{ message, limit: LIMIT_NAMES[message] }],
      nonRetryable: true,
    });
  }
}

const WHAT: Record<LimitedMessage, string> = {
  boricaRedirectReceived: 'redirects',
  partnerEventReceived: 'partner events',
  submitKycData: 'KYC records',
  submitFiles: 'file uploads',
  resendEmailCode: 'e-mail code resends',
  resendSmsCode: 'SMS code resends',
};
