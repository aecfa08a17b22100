// The shapes of the API, requests and answers, as zod schemas built from the domain's: the route
// table (src/api/route-table.ts) validates requests with them and writes /openapi.json from them,
// and the API tests parse every answer with them. Patterns use [0-9] and explicit classes, never
// \d, \w or \s, which mean more in the fuzzer's Python than in JavaScript.
import { z } from 'zod';
import { text } from '../domain/json-text';
import { kycRecordSchema } from '../domain/kyc-record';
import { FILE_PURPOSES, STAGES, nextActionSchema, onboardingInputSchema, onboardingViewSchema, stageSchema, stepErrorSchema } from '../domain/onboarding';
import { MAX_PAGE_SIZE, OPS_ACTIONS, listFiltersSchema } from '../ops/onboardings';
import { recordIdsSchema as recordIdsShape } from '../record/changes';

// ------------------------------------------------------------------------------------------ requests

export const onboardingIdParamsSchema = z.object({ id: z.uuid().meta({ description: 'The onboardingId' }) });

export const startOnboardingBodySchema = onboardingInputSchema
  .pick({
    email: true,
    phoneNumber: true,
    userType: true,
    externalRef: true,
    profile: true,
  })
  // The same check as the domain's z.email(), stated as its pattern only: JSON Schema's `email`
  // format is another rule (RFC 5321), stricter on some addresses zod takes.
  .extend({ email: z.string().regex(z.regexes.email, 'an e-mail address') });
export type StartOnboardingBody = z.output<typeof startOnboardingBodySchema>;

export const codeBodySchema = z.object({ code: z.string().regex(/^[0-9]{4,8}$/, 'the code as sent, 4 to 8 digits') });

export const redirectBodySchema = z.object({
  outcome: z.enum(['success', 'fail']),
  query: z
    .record(text(1, 100), text(0, 4096))
    .default({})
    .refine((q) => Object.keys(q).length <= 50, 'at most 50 query parameters')
    .meta({ maxProperties: 50, description: 'The redirect’s query parameters' }),
});

export const kycDataBodySchema = kycRecordSchema;

export const filesFormSchema = z.object({ purpose: z.enum(FILE_PURPOSES) });

export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,200}$/, 'Idempotency-Key: 1 to 200 visible ASCII characters')
  .meta({ description: 'Makes a retried call apply once (1 to 200 visible ASCII characters)' });
export const idempotencyHeadersSchema = z.object({ 'Idempotency-Key': idempotencyKeySchema.optional() });

export const partnerKycQuerySchema = z.object({
  v: z.string().regex(/^[\x21-\x7e]{1,200}$/).meta({ description: 'The partner verification the link is for (signed with the rest)' }),
  exp: z.string().regex(/^[0-9]{1,15}$/).meta({ description: 'Expiry, seconds since the epoch' }),
  sig: z.string().regex(/^[A-Za-z0-9_-]{43}$/).meta({ description: 'The link’s signature' }),
});

export const codecPayloadSchema = z.object({
  metadata: z.record(z.string(), z.string()).optional(),
  data: z.string().optional(),
});
export const codecBodySchema = z.object({ payloads: z.array(codecPayloadSchema).max(1000) });

// Ops actions (POST /ops/onboardings/{id}/{action} and the batch forms). A reason is free text
// with at least one visible character; requestedBy is a name, not personal data.
const requestedBySchema = text(1, 100, { regex: /^[A-Za-z0-9_.@:-]+$/, message: 'a name: letters, digits and _ . @ : -' });
const reasonSchema = text(1, 500, { regex: /[^ \t\n\r\f\v]/, message: 'not blank' });
export const opsActionBodySchema = z.object({ requestedBy: requestedBySchema.optional() }).strict();
export const opsCancelBodySchema = opsActionBodySchema.extend({ reason: reasonSchema }).strict();

export const opsListQuerySchema = listFiltersSchema
  .extend({
    pageSize: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_PAGE_SIZE)
      .optional()
      .meta({ type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE }),
    pageToken: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,4096}$/, 'a nextPageToken from an earlier answer')
      .optional()
      .meta({ description: 'The nextPageToken of an earlier answer to the same filters (signed: any other is a 400)' }),
    email: z.string().trim().min(3).max(320).optional().meta({ description: 'Exact search by e-mail in the onboarding record (keyed hash); alone' }),
    phoneNumber: z
      .string()
      .trim()
      .regex(/^\+?[0-9 ()-]{7,20}$/, 'a phone number such as +359888123456')
      .optional()
      .meta({ description: 'Exact search by phone number in the onboarding record (keyed hash); alone' }),
  })
  .strict()
  .refine(
    (q) => (q.email === undefined && q.phoneNumber === undefined) || Object.values(q).filter((v) => v !== undefined).length === 1,
    'email or phoneNumber searches alone, without other filters',
  );

const batchFilters = listFiltersSchema.extend({
  requestedBy: requestedBySchema.optional(),
  dryRun: z.boolean().optional(),
});
/** A batch needs a filter: stage, waitingLongerThan or needsAttention=true. */
const AT_LEAST_ONE_FILTER = {
  anyOf: [
    { required: ['stage'] },
    { required: ['waitingLongerThan'] },
    { required: ['needsAttention'], properties: { needsAttention: { enum: [true, 'true'] } } },
  ],
};
const hasFilter = (b: { stage?: unknown; waitingLongerThan?: unknown; needsAttention?: boolean }) =>
  b.stage !== undefined || b.waitingLongerThan !== undefined || b.needsAttention === true;
const FILTER_MESSAGE = 'a batch needs at least one filter: stage, waitingLongerThan or needsAttention=true';

export const opsBatchBodySchema = batchFilters
  .extend({ reason: reasonSchema.optional() })
  .strict()
  .refine(hasFilter, { message: FILTER_MESSAGE })
  .meta(AT_LEAST_ONE_FILTER);
/** A batch cancel says why. */
export const opsBatchCancelBodySchema = batchFilters
  .extend({ reason: reasonSchema })
  .strict()
  .refine(hasFilter, { message: FILTER_MESSAGE })
  .meta(AT_LEAST_ONE_FILTER);

// ------------------------------------------------------------------------------------------ answers

export const problemSchema = z
  .looseObject({
    type: z.string(),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    detail: z.string().optional(),
    attemptsLeft: z.number().int().optional().meta({ description: 'Wrong code: tries left' }),
    onboardingId: z.string().optional().meta({ description: 'The onboarding concerned (e.g. the existing one of a 409 for an externalRef)' }),
    stage: z.string().optional(),
    failureType: z.string().optional().meta({ description: 'Why the onboarding refused the call: WrongStage, OnboardingEnded, InvalidInput, …' }),
    retryAfterSeconds: z.number().int().optional().meta({ description: 'As the Retry-After header' }),
    errors: z.array(z.object({ path: z.string(), message: z.string(), code: z.string() })).optional(),
  })
  .meta({ description: 'RFC 9457 problem details, with extension members where they apply' });

export const acceptedSchema = z.object({ accepted: z.literal(true) }).strict();

export const startedSchema = z
  .object({
    onboardingId: z.uuid(),
    accessToken: z.string().meta({ description: 'The Bearer token of every frontend call on this onboarding' }),
    stage: stageSchema,
    nextAction: nextActionSchema,
    resumedFrom: z.uuid().optional().meta({ description: 'A person who comes back: the earlier onboarding whose 10nPay user this one goes on with' }),
  })
  .strict();

export const degradedViewSchema = z
  .object({
    onboardingId: z.string(),
    stage: stageSchema,
    stageEnteredAt: z.string(),
    nextAction: nextActionSchema,
    needsAttention: z.boolean(),
    degraded: z.literal(true),
  })
  .strict()
  .meta({ description: 'What Temporal keeps without a worker (search attributes): the worker could not answer in time' });

export const onboardingAnswerSchema = z.union([onboardingViewSchema.strict(), degradedViewSchema]);

const listStageSchema = z.union([stageSchema, z.literal('UNKNOWN').meta({ description: 'No stage recorded (not written by this service)' })]);
/** The ids the onboarding record keeps (the record's own schema, with nothing else allowed). */
const recordIdsSchema = recordIdsShape.strict();
/** The ids a list item shows, as the search attributes give them. */
const idsSchema = recordIdsSchema.pick({ userId: true, externalUserId: true });

/**
 * lastError in the list and the detail: the view's (step, type, message, at, the provider's
 * status, attempts, since when), of which the list carries all but the message (its search
 * attribute is not encrypted), and an onboarding flagged before that summary existed the type.
 */
const opsLastErrorSchema = stepErrorSchema
  .partial()
  .required({ type: true })
  .strict()
  .meta({ description: 'The failing step’s latest failure: step, type, message (not in the list), at, httpStatus, attempts and since when' });

export const listItemSchema = z
  .object({
    onboardingId: z.string(),
    stage: listStageSchema,
    stageEnteredAt: z.string(),
    waitingSeconds: z.number().int().optional().meta({ description: 'Running onboardings: how long in this stage' }),
    lastError: opsLastErrorSchema.optional(),
    needsAttention: z.boolean(),
    status: z.string().meta({ description: 'Temporal’s execution status: RUNNING, COMPLETED, FAILED, …' }),
    startedAt: z.string(),
    closedAt: z.string().optional(),
    ids: idsSchema,
  })
  .strict();
/** An onboarding found in the record (search by person). */
export const recordListItemSchema = z
  .object({
    onboardingId: z.string(),
    stage: stageSchema,
    stageEnteredAt: z.string(),
    reason: z.string().optional(),
    needsAttention: z.boolean(),
    status: z.enum(['RUNNING', 'ENDED']).meta({ description: 'From the record: RUNNING, or ENDED with its end stage' }),
    startedAt: z.string(),
    closedAt: z.string().optional(),
    ids: recordIdsSchema,
  })
  .strict();
export const listPageSchema = z
  .object({ items: z.array(z.union([listItemSchema, recordListItemSchema])), nextPageToken: z.string().optional() })
  .strict();

/** GET /ops/onboardings/{id} once the workflow is gone from Temporal: what the record holds. */
export const opsRecordDetailSchema = z
  .object({
    onboardingId: z.string(),
    source: z.literal('record'),
    stage: stageSchema,
    stageEnteredAt: z.string(),
    reason: z.string().optional(),
    userType: z.string(),
    externalRef: z.string().optional(),
    resumedFrom: z.string().optional(),
    ids: recordIdsSchema,
    startedAt: z.string(),
    endedAt: z.string().optional(),
    personalDataErasedAt: z.string().optional(),
  })
  .strict();

/** GET /ops/onboardings/{id}/events: the trail, oldest first. */
export const opsEventsSchema = z
  .object({
    items: z.array(
      z.discriminatedUnion('type', [
        z.object({ seq: z.number().int(), at: z.string(), type: z.literal('STAGE_CHANGED'), stage: stageSchema, previousStage: stageSchema.nullable(), reason: z.string().optional() }).strict(),
        z.object({ seq: z.number().int(), at: z.string(), type: z.literal('OPS_ACTION'), action: z.string(), actor: z.string(), reason: z.string().optional() }).strict(),
        z.object({ seq: z.number().int(), at: z.string(), type: z.literal('PROVIDER_FAILURE'), step: z.string(), failureType: z.string() }).strict(),
        z.object({ seq: z.number().int(), at: z.string(), type: z.literal('MESSAGE_REFUSED'), message: z.string(), reason: z.string() }).strict(),
      ]),
    ),
  })
  .strict();

/** GET /ops/stats. */
export const opsStatsSchema = z
  .object({
    running: z.record(z.string(), z.number().int()),
    ended: z.record(z.string(), z.number().int()),
    endedByReason: z
      .record(z.string(), z.record(z.string(), z.number().int()))
      .meta({ description: 'Ended onboardings per end stage and reason (`none` where the end has no reason, e.g. COMPLETED)' }),
    stageDurations: z.record(z.string(), z.object({ p50Seconds: z.number(), p90Seconds: z.number() }).strict()),
  })
  .strict();

const pendingActivitySchema = z
  .object({
    activityType: z.string(),
    state: z.string(),
    attempt: z.number().int(),
    maximumAttempts: z.number().int().optional(),
    scheduledAt: z.string().optional(),
    lastStartedAt: z.string().optional(),
    nextAttemptAt: z.string().optional(),
    expiresAt: z.string().optional(),
    lastFailure: z.object({ type: z.string(), message: z.string(), httpStatus: z.number().int().optional() }).strict().optional(),
    activityId: z.string(),
    lastAttemptCompletedAt: z.string().optional(),
  })
  .strict();

export const opsDetailSchema = z
  .object({
    onboardingId: z.string(),
    status: z.string(),
    runId: z.string(),
    startedAt: z.string(),
    closedAt: z.string().optional(),
    historyLength: z.number().int(),
    view: onboardingViewSchema.strict().optional(),
    viewUnavailable: z.string().optional().meta({ description: 'Why the workflow’s own view is missing (no worker answered)' }),
    stage: listStageSchema,
    stageEnteredAt: z.string(),
    needsAttention: z.boolean(),
    lastError: opsLastErrorSchema
      .optional()
      .meta({ description: 'The failing step’s latest failure, its attempts and since when, brought up to date from the pending activity' }),
    pendingActivities: z.array(pendingActivitySchema),
    temporalUiUrl: z.url().optional().meta({ description: 'The workflow in the Temporal Web UI (where TEMPORAL_UI_URL is set)' }),
  })
  .strict();

/** GET /ops/whoami: the identity of the ops key the call carries (OPS_API_KEYS name, or `ops`). */
export const opsWhoamiSchema = z.object({ actor: z.string() }).strict();

export const opsActionAnswerSchema = (action: (typeof OPS_ACTIONS)[number]) =>
  z.object({ onboardingId: z.string(), action: z.literal(action) }).strict();

const BATCH_OUTCOMES = ['done', 'refused', 'skipped', 'error'] as const;
export const batchReportSchema = z
  .object({
    action: z.enum(OPS_ACTIONS),
    filters: z.object({ stage: z.enum(STAGES).optional(), waitingLongerThan: z.string().optional(), needsAttention: z.boolean().optional() }).strict(),
    dryRun: z.boolean(),
    matched: z.number().int(),
    truncated: z.boolean().meta({ description: 'More matched than one batch acts on: run it again' }),
    counts: z.object({ done: z.number().int(), refused: z.number().int(), skipped: z.number().int(), error: z.number().int() }).strict(),
    results: z.array(
      z.object({ onboardingId: z.string(), stage: z.string(), outcome: z.enum(BATCH_OUTCOMES), detail: z.string().optional() }).strict(),
    ),
  })
  .strict();

export const codecAnswerSchema = z
  .object({ payloads: z.array(z.object({ metadata: z.record(z.string(), z.string()), data: z.string() }).strict()) })
  .strict();

export const webhookReceivedSchema = z.object({ received: z.literal(true) }).strict();
export const healthSchema = z.object({ status: z.literal('ok') }).strict();
export const readySchema = z.object({ status: z.literal('ready') }).strict();
export const openApiAnswerSchema = z.looseObject({ openapi: z.string() });

/** GET /reference/kyc-options: each list a KYC form may offer, as values with a label to show. */
const optionListSchema = z.array(z.object({ value: z.string(), label: z.string() }).strict());
export const kycOptionsSchema = z
  .object({
    sourceOfFunds: optionListSchema,
    accountPurposes: optionListSchema,
    mainActivities: optionListSchema,
    financingMethods: optionListSchema,
    incomeSources: optionListSchema,
    openAccountReasons: optionListSchema,
    documentTypes: optionListSchema,
    occupations: optionListSchema,
  })
  .strict();
