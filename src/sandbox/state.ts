// The sandbox's memory: one in-process store shared by every face, so that the control API can
// read codes and count side effects exactly as the provider faces produced them.
import { randomInt, randomUUID } from 'node:crypto';

/** One step of a Borica session's visible status, effective from `at` (epoch ms). */
export interface StatusStep {
  at: number;
  status: string;
  url: string | null;
}

export type BoricaSessionKind = 'identification' | 'signing';

export interface BoricaSession {
  sessionId: string;
  userId: number;
  kind: BoricaSessionKind;
  outcome: 'OPEN' | 'SUCCEEDED' | 'FAILED' | 'SUPERSEDED';
}

export interface SentCode {
  code: string;
  sentAt: string;
  userId: number;
}

export interface TennpayUser {
  id: number;
  merchantId: number;
  email: string;
  emailVerified: boolean;
  emailCode: { code: string; expiresAt: number } | null;
  phoneNumber: string | null;
  phoneVerified: boolean;
  smsCode: { code: string; expiresAt: number; sentAt: number } | null;
  smsFailures: number;
  additionalData: unknown;
  /** The status call answers the last step whose time has come. */
  identification: StatusStep[];
  identificationSessionId: string | null;
  bTrustAppCallBackId: string | null;
  finalized: { correlationId: string; individualId: number } | null;
}

export interface PartnerUser {
  externalUserId: string;
  userId: string;
  account: Record<string, unknown>;
  poaRequiredForExtended: boolean;
  kycFiles: number;
  verifications: Map<string, { status: 'PENDING' | 'APPROVED' | 'REJECTED'; reason?: string }>;
  latestVerificationId: string | null;
  verified: boolean;
  documentNumber: string | null;
  poaFiles: number;
  poaStatus: 'NONE' | 'WAITING' | 'QUESTIONED' | 'APPROVED' | 'REJECTED';
}

export interface Token {
  expiresAt: number;
  revoked: boolean;
}

/** Side effects, counted per subject so tests can check exactly-once behaviour. */
export interface Counters {
  usersCreatedByEmail: Record<string, number>;
  finalizeCalls: Record<string, number>;
  finalizeEffects: Record<string, number>;
  emailCodesSent: Record<string, number>;
  smsCodesSent: Record<string, number>;
  additionalDataAccepted: Record<string, number>;
  identificationsStarted: Record<string, number>;
  partnerAccountsCreated: Record<string, number>;
  kycFilesAdded: Record<string, number>;
  kycVerificationsCreated: Record<string, number>;
  userVerificationsAccepted: Record<string, number>;
  poaFilesAdded: Record<string, number>;
  webhooksDelivered: Record<string, number>;
  webhookAttempts: Record<string, number>;
  tokensIssued: number;
}

export const emptyCounters = (): Counters => ({
  usersCreatedByEmail: {},
  finalizeCalls: {},
  finalizeEffects: {},
  emailCodesSent: {},
  smsCodesSent: {},
  additionalDataAccepted: {},
  identificationsStarted: {},
  partnerAccountsCreated: {},
  kycFilesAdded: {},
  kycVerificationsCreated: {},
  userVerificationsAccepted: {},
  poaFilesAdded: {},
  webhooksDelivered: {},
  webhookAttempts: {},
  tokensIssued: 0,
});

export const bump = (map: Record<string, number>, key: string | number, by = 1): void => {
  map[String(key)] = (map[String(key)] ?? 0) + by;
};

/** A webhook as the control API shows it (the delivery log). */
export interface WebhookRecord {
  id: string;
  type: string;
  payload: Record<string, unknown>;
  attempts: number;
  delivered: boolean;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
}

export class SandboxState {
  tennpayUsers = new Map<number, TennpayUser>();
  usersByEmail = new Map<string, number>();
  usersByPhone = new Map<string, number>();
  boricaSessions = new Map<string, BoricaSession>();
  emailInbox = new Map<string, SentCode[]>();
  smsInbox = new Map<string, SentCode[]>();
  tokens = new Map<string, Token>();
  partnerUsers = new Map<string, PartnerUser>();
  webhooks: WebhookRecord[] = [];
  counters: Counters = emptyCounters();
  // Ids start high enough to look real and differ between runs (a service that keeps state
  // across sandbox restarts should not silently match an old user).
  private nextUserId = 1000 + randomInt(0, 100_000);
  private nextIndividualId = 500 + randomInt(0, 100_000);

  newUserId(): number {
    return this.nextUserId++;
  }

  newIndividualId(): number {
    return this.nextIndividualId++;
  }

  reset(): void {
    this.tennpayUsers.clear();
    this.usersByEmail.clear();
    this.usersByPhone.clear();
    this.boricaSessions.clear();
    this.emailInbox.clear();
    this.smsInbox.clear();
    this.tokens.clear();
    this.partnerUsers.clear();
    this.webhooks = [];
    this.counters = emptyCounters();
  }

  recordCode(inbox: Map<string, SentCode[]>, recipient: string, code: string, userId: number): void {
    const key = recipient.toLowerCase();
    const list = inbox.get(key) ?? [];
    list.push({ code, sentAt: new Date().toISOString(), userId });
    inbox.set(key, list);
  }

  /** The identification status visible now: the last step whose time has come. */
  currentStep(user: TennpayUser, now = Date.now()): StatusStep | null {
    let current: StatusStep | null = null;
    for (const step of user.identification) if (step.at <= now) current = step;
    return current;
  }
}

/** A fresh 6-digit code; never starts with a zero-stripping surprise (always 6 characters). */
export const newCode = (): string => String(randomInt(0, 1_000_000)).padStart(6, '0');

export const newTraceId = (): string =>
  `00-${randomUUID().replace(/-/g, '')}-${randomUUID().replace(/-/g, '').slice(0, 16)}-00`;
