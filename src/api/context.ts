// What every router gets: the injected dependencies plus the derived secrets and timeouts.
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { ApiConfig, PartnerConfig, TemporalConfig } from '../config';
import type { OnboardingSettings } from '../domain/onboarding';
import type { FileStore } from '../files/file-store';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { RecordUnavailableError, type OnboardingRecord } from '../record/repository';
import type { KycOptionsCache } from './kyc-options';
import type { PartnerKycPageFetcher } from './partner-kyc-page';
import { ProblemError, problems } from './problem-details';
import type { ApiSecrets } from './secrets';
import { problemForTemporalError } from './temporal-errors';

export interface Timeouts {
  /** GET /onboardings/{id}: how long the workflow query may take before the degraded answer. */
  queryMs: number;
  /** Updates and signals: no answer in this time → 503 with Retry-After. */
  updateMs: number;
  /** Starting a workflow, describe(), readiness. */
  rpcMs: number;
  /** The partner's KYC page. */
  partnerPageMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = { queryMs: 3_000, updateMs: 10_000, rpcMs: 5_000, partnerPageMs: 10_000 };

export interface ApiContext {
  client: Client;
  api: ApiConfig;
  temporal: Pick<TemporalConfig, 'TASK_QUEUE'>;
  partner: Pick<PartnerConfig, 'PARTNER_WEBHOOK_TOKEN'>;
  settings: () => OnboardingSettings;
  fileStore: FileStore;
  partnerKycPage: PartnerKycPageFetcher;
  /** 10nPay's lookup lists for GET /reference/kyc-options and the check of KYC codes. */
  kycOptions?: KycOptionsCache;
  codec: PayloadCodec;
  secrets: ApiSecrets;
  timeouts: Timeouts;
  logger: Logger;
  metrics: Metrics;
  /** The onboarding record (DATABASE_URL), when the service has one. */
  record?: OnboardingRecord;
}

/** Runs Temporal calls under a deadline; Temporal errors become problems (404, 409, 400, 503). */
export async function temporalCall<R>(ctx: ApiContext, ms: number, fn: () => Promise<R>, onboardingId?: string): Promise<R> {
  try {
    return await withDeadline(ctx, ms, fn);
  } catch (err) {
    const problem = problemForTemporalError(err, onboardingId);
    if (problem) throw new ProblemError(problem);
    throw err;
  }
}

/**
 * The gRPC deadline covers every call fn makes (and the SDK's own retries); the abort signal
 * is a second guard for waits the deadline does not reach.
 */
export function withDeadline<R>(ctx: Pick<ApiContext, 'client'>, ms: number, fn: () => Promise<R>): Promise<R> {
  return ctx.client.withAbortSignal(AbortSignal.timeout(ms + 500), () => ctx.client.withDeadline(Date.now() + ms, fn));
}

/** Runs a call on the record; no record configured, or PostgreSQL unreachable, is a 503 to retry. */
export async function recordCall<R>(ctx: ApiContext, fn: (record: OnboardingRecord) => Promise<R>): Promise<R> {
  if (!ctx.record) throw new ProblemError(problems.unavailable('The onboarding record is not configured (DATABASE_URL)', 60));
  try {
    return await fn(ctx.record);
  } catch (err) {
    if (err instanceof RecordUnavailableError) {
      ctx.logger.warn({ err: err.message }, 'onboarding record unavailable');
      throw new ProblemError(problems.unavailable('The onboarding record cannot be reached; try again shortly', 5));
    }
    throw err;
  }
}
