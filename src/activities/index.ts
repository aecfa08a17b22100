// The activities the worker registers, built by dependency injection (as in temporalio/samples-
// typescript activities-dependency-injection): `createActivities(deps)` closes over the provider
// clients, so tests hand in clients pointed at the sandbox and the worker hands in the real ones.
import { isEndStage } from '../domain/onboarding';
import type { WorkerConfig } from '../config';
import { FileStore } from '../files/file-store';
import { PartnerClient } from './partner/client';
import { createPartnerActivities } from './partner/activities';
import type { RiskLevel } from './partner/schemas';
import { TennpayClient } from './tennpay/client';
import { createTennpayActivities } from './tennpay/activities';
import type { OnboardingActivities } from './types';
import { createRecordActivities, type RecordActivities } from '../record/activity';
import type { OnboardingRecord } from '../record/repository';

export interface ActivityDependencies {
  tennpay: TennpayClient;
  partner: PartnerClient;
  fileStore: FileStore;
  /** TRUSTED_URL_HOSTS: every URL handed to the user must have one of these hosts. */
  trustedUrlHosts: string[];
  /** PARTNER_DEFAULT_RISK_LEVEL (default LOW). */
  partnerRiskLevel?: RiskLevel;
  /** The onboarding record (DATABASE_URL); without it the workflow's record writes are dropped. */
  record?: OnboardingRecord;
}

export function createActivities(deps: ActivityDependencies): OnboardingActivities & RecordActivities {
  const record = createRecordActivities(deps.record);
  return {
    // Files (CONTRACT part 4): once the record holds an onboarding's end, however it ended, its
    // uploaded documents are deleted. Here rather than as a workflow step: no history spent, and a
    // failed deletion is retried with the write (the removal is idempotent).
    async recordChanges(changes) {
      await record.recordChanges(changes);
      const ended = new Set(changes.filter((c) => isEndStage(c.stage)).map((c) => c.onboardingId));
      for (const onboardingId of ended) await deps.fileStore.removeAllOf(onboardingId);
    },
    ...createTennpayActivities({ tennpay: deps.tennpay, trustedUrlHosts: deps.trustedUrlHosts }),
    ...createPartnerActivities({
      partner: deps.partner,
      fileStore: deps.fileStore,
      riskLevel: deps.partnerRiskLevel ?? 'LOW',
    }),
  };
}

/** Builds the clients from configuration (reads the 10nPay PEM files once). */
export function createActivityDependencies(
  config: WorkerConfig,
  fileStoreDir: string,
): ActivityDependencies & { close(): Promise<void> } {
  const tennpay = TennpayClient.fromConfig(config.tennpay);
  const partner = PartnerClient.fromConfig(config.partner);
  return {
    tennpay,
    partner,
    fileStore: new FileStore(fileStoreDir, { current: config.temporal.PAYLOAD_ENCRYPTION_KEY, old: config.temporal.PAYLOAD_ENCRYPTION_OLD_KEYS }),
    trustedUrlHosts: config.trustedUrlHosts,
    partnerRiskLevel: config.partner.PARTNER_DEFAULT_RISK_LEVEL,
    async close() {
      await Promise.all([tennpay.close(), partner.close()]);
    },
  };
}

export { TennpayClient, type TennpayClientOptions } from './tennpay/client';
export { TennpayTokenManager, certificateThumbprint, type AccessTokenProvider } from './tennpay/token-manager';
export { PartnerClient, type PartnerClientOptions, type VerificationPage } from './partner/client';
export { isTrustedUrl } from './trusted-url';
export type { ProviderFailureDetails } from './provider-failures';
export type * from './types';
