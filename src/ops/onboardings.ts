// What ops can ask of and do to onboardings (on the onboarding handle of
// src/temporal/onboarding-handle.ts, which the API uses too), shared by the ops API (src/api/routes/ops.ts), the
// back-office console (through that API) and the ops CLI (src/ops/cli.ts): list and filter through
// Temporal visibility (the search attributes the workflow publishes, src/workflows/progress.ts),
// inspect one onboarding, re-drive it (retryStep / restartIdentification / cancelOnboarding updates)
// and the batch forms of the re-drives. No personal data is read or shown: ids, stages, times and
// error types only.
import { randomUUID } from 'node:crypto';
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import type { LoadedDataConverter, Payload, ProtoFailure, TypedSearchAttributes } from '@temporalio/common';
import { google, temporal } from '@temporalio/proto';
import { parse as parseIsoDuration, toSeconds } from 'iso8601-duration';
import { z } from 'zod';
import type { OnboardingActivities } from '../activities/types';
import { type OnboardingView, STAGES, type StepError, type Stage, isEndStage, onboardingIdFromWorkflowId } from '../domain/onboarding';
import {
  ONBOARDING_WORKFLOW_TYPE,
  executionStatusName,
  hasEnded,
  needsAttention,
  needsAttentionQuery,
  onboardingHandle,
  stageEnteredAtOf,
  stageOf,
} from '../temporal/onboarding-handle';
import {
  type LastErrorSummary,
  OnboardingLastError,
  OnboardingLastErrorType,
  OnboardingNeedsAttention,
  OnboardingStage,
  OnboardingStageEnteredAt,
  PartnerExternalUserId,
  TennpayUserId,
  parseLastErrorSummary,
  typedSearchAttributesOf,
} from '../temporal/search-attributes';
import { cancelOnboarding, onboardingView, restartIdentification, retryStep, stepRetried } from '../workflows/messages';

export const OPS_ACTIONS = ['retry', 'restart-identification', 'cancel'] as const;
export type OpsAction = (typeof OPS_ACTIONS)[number];

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;
/** The most onboardings one batch call acts on; the answer says when more matched. */
export const MAX_BATCH = 500;

// ------------------------------------------------------------------------------------------ filters

/** The longest `waitingLongerThan` counted: now minus it stays a date Temporal's visibility accepts. */
export const MAX_DURATION_MS = 100 * 366 * 24 * 3600 * 1000;

/**
 * The ISO 8601 durations `waitingLongerThan` takes (`PT15M`, `P1D`, `PT1H30M`, `PT1.5H`): whole
 * numbers of a bounded size, a fraction only on the last time unit (what iso8601-duration can
 * compute), `P` alone for zero. The same pattern is the JSON Schema of /openapi.json, so that the
 * document and the server accept the same strings ([0-9], not \d, which is any Unicode digit in
 * the fuzzer's Python).
 */
export const ISO_DURATION_PATTERN =
  /^P([0-9]{1,4}Y)?([0-9]{1,4}M)?([0-9]{1,4}W)?([0-9]{1,5}D)?(T(?:[0-9]{1,6}(?:\.[0-9]{1,3})?H|(?:[0-9]{1,6}H)?[0-9]{1,6}(?:\.[0-9]{1,3})?M|(?:[0-9]{1,6}H)?(?:[0-9]{1,6}M)?[0-9]{1,8}(?:\.[0-9]{1,3})?S))?$/;

/**
 * A duration of ISO_DURATION_PATTERN in milliseconds, at most MAX_DURATION_MS (a longer wait is
 * the same filter: no onboarding has waited that long); undefined when malformed.
 */
export function isoDurationMs(text: string): number | undefined {
  if (!ISO_DURATION_PATTERN.test(text)) return undefined;
  if (text === 'P') return 0;
  let seconds: number;
  try {
    seconds = toSeconds(parseIsoDuration(text), new Date());
  } catch {
    return undefined;
  }
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(MAX_DURATION_MS, Math.round(seconds * 1000)) : undefined;
}

const booleanText = z.enum(['true', 'false']).transform((v) => v === 'true');

/** The list filters, as the query string carries them (the CLI and the batch body use the same). */
export const listFiltersSchema = z
  .object({
    stage: z.enum(STAGES).optional(),
    waitingLongerThan: z.string().regex(ISO_DURATION_PATTERN, 'an ISO 8601 duration such as PT15M').optional(),
    needsAttention: z.union([z.boolean(), booleanText]).optional(),
  })
  .strict();
export type ListFilters = z.infer<typeof listFiltersSchema>;

function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * The visibility query for the filters. `waitingLongerThan` selects running onboardings whose
 * current stage was entered before now minus the duration; `needsAttention` the failed ones (ended
 * FAILED, or a workflow that failed outright) and those whose current step keeps failing.
 */
export function visibilityQuery(filters: ListFilters, now = new Date()): string {
  const parts = [`WorkflowType = ${quote(ONBOARDING_WORKFLOW_TYPE)}`];
  if (filters.stage) parts.push(`${OnboardingStage.name} = ${quote(filters.stage)}`);
  if (filters.waitingLongerThan) {
    const before = new Date(now.getTime() - isoDurationMs(filters.waitingLongerThan)!);
    parts.push(`ExecutionStatus = 'Running'`, `${OnboardingStageEnteredAt.name} < ${quote(before.toISOString())}`);
  }
  if (filters.needsAttention !== undefined) parts.push(needsAttentionQuery(filters.needsAttention));
  return parts.join(' AND ');
}

// ------------------------------------------------------------------------------------------ list

/** One onboarding in a list: what visibility knows, no workflow query needed. */
export interface OnboardingListItem {
  onboardingId: string;
  stage: Stage | 'UNKNOWN';
  stageEnteredAt: string;
  /** How long it has been in this stage (running onboardings), in whole seconds. */
  waitingSeconds?: number;
  /** The flagged step's failure: step, type, provider status, attempts, since (no message: see OnboardingLastError). */
  lastError?: LastErrorSummary | { type: string };
  needsAttention: boolean;
  /** Temporal's execution status: RUNNING, COMPLETED, FAILED, CANCELED, TERMINATED, … */
  status: string;
  startedAt: string;
  closedAt?: string;
  ids: { userId?: number; externalUserId?: string };
}

export interface OnboardingPage {
  items: OnboardingListItem[];
  nextPageToken?: string;
}

const STATUS_NAMES = temporal.api.enums.v1.WorkflowExecutionStatus;

function statusName(status: temporal.api.enums.v1.WorkflowExecutionStatus | null | undefined): string {
  const name = status !== null && status !== undefined ? STATUS_NAMES[status] : undefined;
  return typeof name === 'string' ? executionStatusName(name.replace(/^WORKFLOW_EXECUTION_STATUS_/, '')) : 'UNSPECIFIED';
}

function toDate(ts: google.protobuf.ITimestamp | null | undefined): Date | undefined {
  if (!ts) return undefined;
  const seconds = typeof ts.seconds === 'number' ? ts.seconds : Number(ts.seconds ?? 0);
  return new Date(seconds * 1000 + Math.floor((ts.nanos ?? 0) / 1e6));
}

/**
 * lastError as the search attributes hold it: the summary of the flagged step's failure, or its
 * type alone (an onboarding flagged before the summary was published).
 */
function lastErrorOf(attrs: TypedSearchAttributes): LastErrorSummary | { type: string } | undefined {
  const type = attrs.get(OnboardingLastErrorType);
  if (!type) return undefined;
  const summary = parseLastErrorSummary(attrs.get(OnboardingLastError));
  return summary?.type === type ? summary : { type };
}

export function listItemOf(info: temporal.api.workflow.v1.IWorkflowExecutionInfo, now = new Date()): OnboardingListItem {
  const attrs = typedSearchAttributesOf(info.searchAttributes?.indexedFields);
  const stage = stageOf(attrs) ?? 'UNKNOWN';
  const startedAt = toDate(info.startTime) ?? now;
  const enteredAt = stageEnteredAtOf(attrs, startedAt);
  const status = statusName(info.status);
  const closedAt = toDate(info.closeTime);
  const lastError = lastErrorOf(attrs);
  const userId = attrs.get(TennpayUserId);
  const externalUserId = attrs.get(PartnerExternalUserId);
  return {
    onboardingId: onboardingIdFromWorkflowId(info.execution?.workflowId ?? ''),
    stage,
    stageEnteredAt: enteredAt.toISOString(),
    ...(status === 'RUNNING' ? { waitingSeconds: Math.max(0, Math.floor((now.getTime() - enteredAt.getTime()) / 1000)) } : {}),
    ...(lastError ? { lastError } : {}),
    needsAttention: needsAttention({ flagged: attrs.get(OnboardingNeedsAttention), stage: stageOf(attrs), status }),
    status,
    startedAt: startedAt.toISOString(),
    ...(closedAt ? { closedAt: closedAt.toISOString() } : {}),
    ids: { ...(userId !== undefined ? { userId } : {}), ...(externalUserId ? { externalUserId } : {}) },
  };
}

/** One page of onboardings matching the filters; the page token is Temporal's, in base64url. */
export async function listOnboardings(
  client: Client,
  filters: ListFilters,
  { pageSize = DEFAULT_PAGE_SIZE, pageToken }: { pageSize?: number; pageToken?: string } = {},
): Promise<OnboardingPage> {
  const now = new Date();
  const response = await client.workflowService.listWorkflowExecutions({
    namespace: client.options.namespace,
    query: visibilityQuery(filters, now),
    pageSize,
    nextPageToken: pageToken ? Buffer.from(pageToken, 'base64url') : undefined,
  });
  const items = response.executions.map((info) => listItemOf(info, now));
  const token = response.nextPageToken && response.nextPageToken.length > 0 ? Buffer.from(response.nextPageToken).toString('base64url') : undefined;
  return { items, ...(token ? { nextPageToken: token } : {}) };
}

/** Every onboarding matching the filters, up to `limit` (the batch forms and the CLI). */
export async function listAllOnboardings(client: Client, filters: ListFilters, limit = MAX_BATCH): Promise<{ items: OnboardingListItem[]; truncated: boolean }> {
  const items: OnboardingListItem[] = [];
  let pageToken: string | undefined;
  do {
    const page = await listOnboardings(client, filters, { pageSize: Math.min(MAX_PAGE_SIZE, limit - items.length + 1), pageToken });
    items.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken && items.length <= limit);
  return { items: items.slice(0, limit), truncated: items.length > limit || pageToken !== undefined };
}

/** How many running onboardings are in each stage, and how many need attention (the gauges). */
export async function countByStage(client: Client): Promise<{ byStage: Partial<Record<Stage, number>>; needsAttention: number }> {
  const count = async (query: string) =>
    Number((await client.workflowService.countWorkflowExecutions({ namespace: client.options.namespace, query })).count ?? 0);
  const running = `WorkflowType = ${quote(ONBOARDING_WORKFLOW_TYPE)} AND ExecutionStatus = 'Running'`;
  const stages = STAGES.filter((s) => !isEndStage(s));
  const counts = await Promise.all(stages.map((s) => count(`${running} AND ${OnboardingStage.name} = ${quote(s)}`)));
  const attention = await count(`${running} AND ${needsAttentionQuery(true)}`);
  return { byStage: Object.fromEntries(stages.map((s, i) => [s, counts[i]!])), needsAttention: attention };
}

// ------------------------------------------------------------------------------------------ one

export interface PendingActivity {
  activityId: string;
  activityType: string;
  state: string;
  attempt: number;
  maximumAttempts?: number;
  scheduledAt?: string;
  lastStartedAt?: string;
  nextAttemptAt?: string;
  expiresAt?: string;
  lastFailure?: FailureSummary;
  lastAttemptCompletedAt?: string;
}

/** An activity failure as ops see it: its type, a message free of personal data, the provider's HTTP status. */
export interface FailureSummary {
  type: string;
  message: string;
  httpStatus?: number;
}

export interface OnboardingDetail {
  onboardingId: string;
  /** Temporal's execution status. */
  status: string;
  runId: string;
  startedAt: string;
  closedAt?: string;
  historyLength: number;
  /** The workflow's own view (stage, next action, timeline, last error); absent when no worker answered. */
  view?: OnboardingView;
  viewUnavailable?: string;
  /** What the search attributes say (always there, even without a worker). */
  stage: Stage | 'UNKNOWN';
  stageEnteredAt: string;
  needsAttention: boolean;
  lastError?: OnboardingView['lastError'] | LastErrorSummary | { type: string };
  pendingActivities: PendingActivity[];
}

const ACTIVITY_STATES = temporal.api.enums.v1.PendingActivityState;

/** Runs the payloads through the client's codecs, the last one first (as they were encoded in order). */
async function decodePayloads(converter: LoadedDataConverter, payloads: Payload[]): Promise<Payload[]> {
  let decoded = payloads;
  for (const codec of [...converter.payloadCodecs].reverse()) decoded = await codec.decode(decoded);
  return decoded;
}

/**
 * The failure with what ops read of it decoded (the codec encrypts failure messages and details):
 * its encoded attributes, an application failure's details, and the same down its causes.
 */
async function decodeFailure(converter: LoadedDataConverter, failure: ProtoFailure, depth = 0): Promise<ProtoFailure> {
  const decoded: ProtoFailure = { ...failure };
  if (failure.encodedAttributes) decoded.encodedAttributes = (await decodePayloads(converter, [failure.encodedAttributes]))[0] ?? null;
  const details = failure.applicationFailureInfo?.details?.payloads;
  if (details?.length) decoded.applicationFailureInfo = { ...failure.applicationFailureInfo, details: { payloads: await decodePayloads(converter, details) } };
  if (failure.cause && depth < 8) decoded.cause = await decodeFailure(converter, failure.cause, depth + 1);
  return decoded;
}

async function failureSummary(client: Client, failure: temporal.api.failure.v1.IFailure | null | undefined): Promise<FailureSummary | undefined> {
  if (!failure) return undefined;
  const converter = client.options.loadedDataConverter;
  let decoded: Error | undefined;
  try {
    // The SDK's public failure converter, on the failure the codecs decoded.
    decoded = converter.failureConverter.failureToError(await decodeFailure(converter, failure), converter.payloadConverter);
  } catch {
    decoded = undefined;
  }
  // An activity's ApplicationFailure, or a timeout whose cause is the last ApplicationFailure.
  let e: unknown = decoded;
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    const typed = e as Error & { type?: string | null; details?: unknown[] | null };
    if (typed.name === 'ApplicationFailure' && typed.type) {
      const httpStatus = (typed.details?.[0] as { httpStatus?: unknown } | null | undefined)?.httpStatus;
      return { type: typed.type, message: typed.message.slice(0, 500), ...(typeof httpStatus === 'number' ? { httpStatus } : {}) };
    }
    if (!(e as { cause?: unknown }).cause) break;
    e = (e as { cause?: unknown }).cause;
  }
  const top = decoded ?? new Error(failure.message ?? 'failure');
  return { type: top.name, message: top.message.slice(0, 500) };
}

export async function pendingActivitiesOf(client: Client, description: WorkflowExecutionDescription): Promise<PendingActivity[]> {
  return Promise.all(
    (description.raw.pendingActivities ?? []).map(async (a) => {
      const state = ACTIVITY_STATES[a.state ?? 0];
      const lastFailure = await failureSummary(client, a.lastFailure);
      const iso = (ts: google.protobuf.ITimestamp | null | undefined) => toDate(ts)?.toISOString();
      const entry: PendingActivity = {
        activityId: a.activityId ?? '',
        activityType: a.activityType?.name ?? 'unknown',
        state: typeof state === 'string' ? state.replace(/^PENDING_ACTIVITY_STATE_/, '') : 'UNKNOWN',
        attempt: a.attempt ?? 0,
      };
      if (a.maximumAttempts) entry.maximumAttempts = a.maximumAttempts;
      const scheduledAt = iso(a.scheduledTime);
      const lastStartedAt = iso(a.lastStartedTime);
      const nextAttemptAt = iso(a.nextAttemptScheduleTime);
      const expiresAt = iso(a.expirationTime);
      if (scheduledAt) entry.scheduledAt = scheduledAt;
      if (lastStartedAt) entry.lastStartedAt = lastStartedAt;
      if (nextAttemptAt) entry.nextAttemptAt = nextAttemptAt;
      if (expiresAt) entry.expiresAt = expiresAt;
      const lastAttemptCompletedAt = iso(a.lastAttemptCompleteTime);
      if (lastAttemptCompletedAt) entry.lastAttemptCompletedAt = lastAttemptCompletedAt;
      if (lastFailure) entry.lastFailure = lastFailure;
      return entry;
    }),
  );
}

/**
 * Activities that poll by failing until there is something to return: their "not yet" is no
 * failing step.
 */
const POLLING_ACTIVITIES: readonly string[] = ['awaitIdentificationStatus'] satisfies (keyof OnboardingActivities)[];

/**
 * The provider step failing now, if any: a pending step activity with a failed attempt behind
 * it, in its quick retries (before the workflow flags it) as in its slow ones (after).
 */
export function failingStep(pending: readonly PendingActivity[]): PendingActivity | undefined {
  return pending.find((a) => !POLLING_ACTIVITIES.includes(a.activityType) && (a.lastFailure !== undefined || a.attempt > 1));
}

/**
 * lastError brought up to date with the failing activity: its latest failure and the attempts
 * made. Once the workflow has flagged the step (its quick retries are over), the slow activity's
 * attempts add to those the flag counted; before, the activity is all there is.
 */
export function currentStepError(flagged: StepError | undefined, failing: PendingActivity, now = new Date()): StepError {
  const failedHere = Math.max(failing.attempt - 1, failing.lastFailure ? 1 : 0);
  const latest = failing.lastFailure ?? (flagged ? { type: flagged.type, message: flagged.message } : { type: 'ActivityFailure', message: 'the step is being retried' });
  const httpStatus = failing.lastFailure ? failing.lastFailure.httpStatus : flagged?.httpStatus;
  return {
    step: flagged?.step ?? failing.activityType,
    type: latest.type,
    message: latest.message,
    at: failing.lastAttemptCompletedAt ?? flagged?.at ?? now.toISOString(),
    ...(httpStatus !== undefined ? { httpStatus } : {}),
    attempts: (flagged?.attempts ?? 0) + failedHere,
    since: flagged?.since ?? flagged?.at ?? failing.scheduledAt ?? now.toISOString(),
  };
}

/** Thrown when the onboarding does not exist. */
export class OnboardingNotFound extends Error {
  override name = 'OnboardingNotFound';
}

export async function describeOnboarding(client: Client, onboardingId: string, { queryTimeoutMs = 3_000 }: { queryTimeoutMs?: number } = {}): Promise<OnboardingDetail> {
  const handle = onboardingHandle(client, onboardingId);
  const description = await handle.describe();
  const attrs = description.typedSearchAttributes;
  const stage = stageOf(attrs) ?? 'UNKNOWN';
  const detail: OnboardingDetail = {
    onboardingId,
    status: description.status.name,
    runId: description.runId,
    startedAt: description.startTime.toISOString(),
    ...(description.closeTime ? { closedAt: description.closeTime.toISOString() } : {}),
    historyLength: description.historyLength,
    stage,
    stageEnteredAt: stageEnteredAtOf(attrs, description.startTime).toISOString(),
    needsAttention: needsAttention({ flagged: attrs.get(OnboardingNeedsAttention), stage: stageOf(attrs), status: description.status.name }),
    pendingActivities: await pendingActivitiesOf(client, description),
  };
  const lastError = lastErrorOf(attrs);
  if (lastError) detail.lastError = lastError;
  try {
    const view = await client.withDeadline(Date.now() + queryTimeoutMs, () => handle.query(onboardingView));
    detail.view = view;
    detail.stage = view.stage;
    detail.stageEnteredAt = view.stageEnteredAt;
    detail.needsAttention = needsAttention({ flagged: view.needsAttention, stage: view.stage, status: description.status.name });
    if (view.lastError) detail.lastError = view.lastError;
  } catch (err) {
    detail.viewUnavailable = err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 200) : 'no answer';
  }
  const failing = failingStep(detail.pendingActivities);
  if (failing) {
    const flagged = detail.view?.needsAttention && detail.view.lastError ? detail.view.lastError : undefined;
    detail.lastError = currentStepError(flagged, failing);
  }
  return detail;
}

// ------------------------------------------------------------------------------------------ actions

export interface ActionOptions {
  /** Who asked (an ops user name or "ops-api"; never personal data). */
  requestedBy: string;
  /** cancel only: why. */
  reason?: string;
}

/** Thrown when the onboarding has ended: no action applies any more. */
export class OnboardingHasEnded extends Error {
  override name = 'OnboardingHasEnded';
  constructor(
    readonly onboardingId: string,
    readonly status: string,
    readonly stage: string,
  ) {
    super(`the onboarding has ended (${status}, stage ${stage})`);
  }
}

/**
 * Sends one ops action as an update and waits for the workflow to accept it. The updates'
 * validators refuse what does not fit (WrongStage, OnboardingEnded, InvalidInput): the caller gets
 * Temporal's WorkflowUpdateFailedError (the API maps it to 409 / 400).
 */
export async function runAction(client: Client, onboardingId: string, action: OpsAction, options: ActionOptions): Promise<unknown> {
  const handle = onboardingHandle(client, onboardingId);
  const description = await handle.describe();
  if (hasEnded(description.status.name)) {
    throw new OnboardingHasEnded(onboardingId, description.status.name, stageOf(description.typedSearchAttributes) ?? 'UNKNOWN');
  }
  const updateId = `ops-${action}-${randomUUID()}`;
  const requestedBy = options.requestedBy;
  switch (action) {
    case 'retry': {
      // A step failing inside its activity (quick or slow retries): the server resets the
      // activity, which starts the next attempt now (or right after a running one ends). A step
      // waiting on the workflow's own timer (onboardings flagged before the slow retries moved
      // into the activity) is re-driven by the update, which refuses when nothing is failing.
      const failing = failingStep(await pendingActivitiesOf(client, description));
      if (failing) {
        await client.workflowService.resetActivity({
          namespace: client.options.namespace,
          execution: { workflowId: description.workflowId, runId: description.runId },
          identity: 'onboarding-ops',
          id: failing.activityId,
          resetHeartbeat: true,
        });
        // The workflow did not take part: it hears of the retry so that the trail names the actor.
        await handle.signal(stepRetried, { requestedBy });
        return { retried: failing.activityType };
      }
      return handle.executeUpdate(retryStep, { args: [{ requestedBy }], updateId });
    }
    case 'restart-identification':
      return handle.executeUpdate(restartIdentification, { args: [{ requestedBy }], updateId });
    case 'cancel':
      return handle.executeUpdate(cancelOnboarding, { args: [{ requestedBy, reason: options.reason ?? '' }], updateId });
  }
}

export interface BatchOutcome {
  onboardingId: string;
  stage: string;
  outcome: 'done' | 'refused' | 'skipped' | 'error';
  detail?: string;
}

export interface BatchReport {
  action: OpsAction;
  filters: ListFilters;
  dryRun: boolean;
  matched: number;
  /** More onboardings matched than one batch acts on (MAX_BATCH); run it again. */
  truncated: boolean;
  counts: Record<BatchOutcome['outcome'], number>;
  results: BatchOutcome[];
}

/**
 * The batch form: every running onboarding matching the filters gets the action, a few at a time.
 * Each one's outcome is reported; one refusal (a stage that moved on meanwhile) stops nothing.
 */
export async function runBatch(
  client: Client,
  action: OpsAction,
  filters: ListFilters,
  options: ActionOptions & { dryRun?: boolean; concurrency?: number; describeError?: (err: unknown) => { outcome: 'refused' | 'error'; detail: string } },
): Promise<BatchReport> {
  const { items, truncated } = await listAllOnboardings(client, filters);
  const results: BatchOutcome[] = [];
  const queue = items.filter((i) => i.status === 'RUNNING');
  for (const item of items) {
    if (item.status !== 'RUNNING') results.push({ onboardingId: item.onboardingId, stage: item.stage, outcome: 'skipped', detail: `not running (${item.status})` });
  }
  const describeError =
    options.describeError ??
    ((err: unknown) => ({ outcome: 'error' as const, detail: err instanceof Error ? err.message : String(err) }));
  const work = async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      if (options.dryRun) {
        results.push({ onboardingId: item.onboardingId, stage: item.stage, outcome: 'skipped', detail: 'dry run' });
        continue;
      }
      try {
        await runAction(client, item.onboardingId, action, options);
        results.push({ onboardingId: item.onboardingId, stage: item.stage, outcome: 'done' });
      } catch (err) {
        const { outcome, detail } = err instanceof OnboardingHasEnded ? { outcome: 'refused' as const, detail: err.message } : describeError(err);
        results.push({ onboardingId: item.onboardingId, stage: item.stage, outcome, detail });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, work));
  const counts = { done: 0, refused: 0, skipped: 0, error: 0 };
  for (const r of results) counts[r.outcome]++;
  return { action, filters, dryRun: options.dryRun ?? false, matched: items.length, truncated, counts, results };
}
