// The e-mail and SMS codes: checks and resends while the user waits, under one lock (two checks,
// or a check and a resend, must not interleave their 10nPay calls and attempt counting), with the
// attempts left and the resend cooldown of each channel.
import { ApplicationFailure, isCancellation } from '@temporalio/workflow';
import { FailureType } from '../domain/failures';
import { DEFAULT_MAX_RESENDS } from '../domain/message-limits';
import { durationMs, type OnboardingSettings } from '../domain/onboarding';
import { Lock } from './lock';
import type { CodeResult, ResendResult } from './messages';
import type { Progress } from './progress';
import { describeFailure, failedWith, isBusinessFailure, type Providers } from './provider-calls';

export type CodeChannel = 'email' | 'sms';


export class CodeChecks {
  private readonly lock = new Lock();
  private readonly confirmed: Record<CodeChannel, boolean> = { email: false, sms: false };
  private readonly attemptsLeft: Record<CodeChannel, number>;
  /** Resends sent per channel: at most codeMaxResends (CODE_MAX_RESENDS) per onboarding. */
  private readonly resends: Record<CodeChannel, number> = { email: 0, sms: 0 };
  /** When each code was last sent (workflow time); 0 for an SMS code not sent yet. */
  private readonly sentAt: Record<CodeChannel, number>;
  /** Why the codes can no longer be checked (too many wrong codes, or blocked by 10nPay). */
  lockedOutReason: string | undefined;

  constructor(
    private readonly deps: {
      settings: OnboardingSettings;
      /** The interactive proxies: short, a few attempts (src/workflows/provider-calls.ts). */
      providers: Providers;
      progress: Progress;
      email: string;
      userId: () => number;
    },
  ) {
    this.attemptsLeft = { email: deps.settings.codeMaxAttempts, sms: deps.settings.codeMaxAttempts };
    // 10nPay sends the e-mail code when the user is created, right after the workflow starts.
    this.sentAt = { email: Date.now(), sms: 0 };
  }

  isConfirmed(channel: CodeChannel): boolean {
    return this.confirmed[channel];
  }

  /** A code was sent by a step of the journey (the user's creation, the first SMS). */
  sent(channel: CodeChannel): void {
    this.sentAt[channel] = Date.now();
  }

  smsSent(): boolean {
    return this.sentAt.sms !== 0;
  }

  attempts(): { emailCode: number; smsCode: number } {
    return { emailCode: this.attemptsLeft.email, smsCode: this.attemptsLeft.sms };
  }

  /** Checks a code with 10nPay; at most codeMaxAttempts wrong codes, then the onboarding fails. */
  async check(channel: CodeChannel, code: string): Promise<CodeResult> {
    return this.lock.run(async () => {
      if (this.confirmed[channel]) return { accepted: true, attemptsLeft: this.attemptsLeft[channel] };
      if (this.lockedOutReason || this.attemptsLeft[channel] <= 0) return { accepted: false, attemptsLeft: 0 };
      try {
        const userId = this.deps.userId();
        if (channel === 'email') await this.deps.providers.confirmEmail({ userId, code });
        else await this.deps.providers.verifyPhone({ userId, code });
      } catch (err) {
        if (failedWith(err, FailureType.CodeBlocked)) {
          this.lockedOutReason = channel === 'email' ? 'EmailCodeBlocked' : 'SmsCodeBlocked';
          return { accepted: false, attemptsLeft: 0 };
        }
        if (!failedWith(err, FailureType.InvalidCode)) throw providerCouldNotAnswer(err);
        this.attemptsLeft[channel]--;
        if (this.attemptsLeft[channel] <= 0) {
          this.lockedOutReason = channel === 'email' ? 'EmailCodeAttemptsExceeded' : 'SmsCodeAttemptsExceeded';
        }
        return { accepted: false, attemptsLeft: this.attemptsLeft[channel] };
      }
      this.confirmed[channel] = true;
      return { accepted: true, attemptsLeft: this.attemptsLeft[channel] };
    });
  }

  /** Resends sent on the channel so far (bounded by CODE_MAX_RESENDS: src/workflows/message-limits.ts). */
  resendsOf(channel: CodeChannel): number {
    return this.resends[channel];
  }

  /** CODE_MAX_RESENDS of this onboarding. */
  maxResends(): number {
    return this.deps.settings.codeMaxResends ?? DEFAULT_MAX_RESENDS;
  }

  /**
   * For the resend validators: a resend within the cooldown is refused before it reaches the
   * history (a rejected update leaves no event), so calls in a loop do not grow it.
   */
  requireCooledDown(channel: CodeChannel): void {
    const waitMs = this.sentAt[channel] + durationMs(this.deps.settings.codeResendCooldown) - Date.now();
    if (waitMs <= 0) return;
    throw ApplicationFailure.create({
      type: FailureType.RateLimited,
      message: 'a new code can be sent later',
      details: [{ retryAfterSeconds: Math.ceil(waitMs / 1000) }],
      nonRetryable: true,
    });
  }

  /** Sends a new code, once the cooldown since the last one has passed and within the bound (`refuseWhenFull` throws past it). */
  async resend(channel: CodeChannel, refuseWhenFull: () => void = () => undefined): Promise<ResendResult> {
    return this.lock.run(async () => {
      // Under the lock: two resends let in together cannot both pass CODE_MAX_RESENDS.
      refuseWhenFull();
      const cooldownMs = durationMs(this.deps.settings.codeResendCooldown);
      const waitMs = this.sentAt[channel] + cooldownMs - Date.now();
      if (waitMs > 0) return { accepted: false, retryAfterSeconds: Math.ceil(waitMs / 1000) };
      const userId = this.deps.userId();
      try {
        if (channel === 'email') await this.deps.providers.sendEmailConfirmation({ userId, email: this.deps.email });
        else await this.deps.providers.resendSmsCode({ userId });
      } catch (err) {
        if (failedWith(err, FailureType.ResendNotAllowed)) return { accepted: false, retryAfterSeconds: Math.ceil(cooldownMs / 1000) };
        throw providerCouldNotAnswer(err);
      }
      this.sentAt[channel] = Date.now();
      this.resends[channel]++;
      this.deps.progress.done(`${channel}CodeResent`);
      return { accepted: true };
    });
  }
}

/**
 * A provider that kept failing while the user waited for a code check or resend: the user's call
 * failed for a reason of the provider's, nothing was counted, and the same call may be sent again
 * (the API answers 503 with Retry-After). Business outcomes pass through unchanged.
 */
function providerCouldNotAnswer(err: unknown): unknown {
  if (isCancellation(err) || isBusinessFailure(err)) return err;
  return ApplicationFailure.create({
    type: FailureType.ProviderUnavailable,
    message: `10nPay could not answer (${describeFailure(err).type}); try again shortly`,
    nonRetryable: true,
  });
}
