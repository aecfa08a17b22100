// What P100 has told the onboarding so far, by kind of event (webhooks, or its status call where
// it has one), and the waits for a status: the most advanced status of each kind is kept, so an
// event that comes late or twice never moves an onboarding backwards.
import { condition, patched } from '@temporalio/workflow';
import { FailureType } from '../domain/failures';
import { durationMs, type OnboardingSettings } from '../domain/onboarding';
import { PARTNER_EVENT_TYPES, STATUS_RANK, type PartnerEvent, type PartnerEventType } from '../domain/partner-events';
import { OnboardingEnded } from './onboarding-ended';
import type { Progress } from './progress';
import { failedWith } from './provider-calls';

export interface PartnerStatus {
  status: string;
  verificationId?: string;
  reason?: string;
}

export class PartnerStatuses {
  private readonly latest: Partial<Record<PartnerEventType, PartnerStatus>> = {};

  constructor(
    private readonly deps: {
      progress: Progress;
      settings: OnboardingSettings;
      externalUserId: string;
      /** Known to flag overdue events without asking the patch (patch lean-history implies it). */
      flagOverdue?: boolean;
    },
  ) {}

  /** A webhook event: applied when it is about this onboarding's P100 user. */
  applyEvent(event: PartnerEvent): void {
    if (!PARTNER_EVENT_TYPES.includes(event.type)) return;
    if (event.payload.externalUserId !== this.deps.externalUserId) return;
    this.apply(event.type, event.payload);
  }

  /** Keeps the most advanced status of each kind: a late or repeated event never moves it back. */
  apply(type: PartnerEventType, next: PartnerStatus): void {
    const rank = STATUS_RANK[type];
    const current = this.latest[type];
    const nextRank = rank[next.status];
    if (nextRank === undefined) return;
    const sameVerification = current?.verificationId === undefined || next.verificationId === undefined || current.verificationId === next.verificationId;
    if (current && sameVerification && (rank[current.status] ?? -1) >= nextRank) return;
    this.latest[type] = { status: next.status, ...(next.verificationId ? { verificationId: next.verificationId } : {}), ...(next.reason ? { reason: next.reason } : {}) };
  }

  /** Forgets a kind of status, before P100 is asked for it anew (a new KYC, new files). */
  forget(type: PartnerEventType): void {
    delete this.latest[type];
  }

  /**
   * Waits for a status that satisfies `done`. When none comes for a while, asks P100 through
   * `fallback` (where P100 offers a status call) and keeps waiting; where P100 offers none, flags
   * the onboarding for ops (the event may have been lost beyond P100's redelivery) and keeps
   * waiting. Gives up after the step timeout.
   */
  async await(
    type: PartnerEventType,
    done: (s: PartnerStatus) => boolean,
    fallback: (() => Promise<PartnerStatus>) | undefined,
    abandonReason: string,
  ): Promise<PartnerStatus> {
    const { progress, settings } = this.deps;
    const reached = () => {
      const s = this.latest[type];
      return s !== undefined && done(s);
    };
    // Onboardings started before overdue events were flagged keep waiting as they did.
    const flagOverdue = !fallback && (this.deps.flagOverdue === true || patched('flag-overdue-partner-events'));
    let flagged = false;
    const deadline = Date.now() + durationMs(settings.userStepTimeout);
    if (!reached()) progress.waiting();
    while (!reached()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new OnboardingEnded('ABANDONED', abandonReason, true);
      const wait = fallback || (flagOverdue && !flagged) ? Math.min(left, durationMs(settings.partnerWebhookFallbackAfter)) : left;
      if (await condition(reached, wait)) break;
      if (fallback) {
        try {
          this.apply(type, await fallback());
        } catch (err) {
          if (!failedWith(err, FailureType.PartnerKycNotFound)) throw err;
        }
      } else if (flagOverdue && !flagged) {
        flagged = true;
        progress.flag({ step: `partnerEvent:${type}`, type: 'PartnerEventOverdue', message: `no ${type} event from P100 yet` });
      }
    }
    if (flagged) progress.clearAttention();
    return this.latest[type]!;
  }
}
