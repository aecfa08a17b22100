// The frontend's calls (CONTRACT part 3): start an onboarding, read it, and the user's steps.
// A thin shell: every call starts, signals, updates or queries the onboarding's workflow; the
// rules (which call fits which stage, how many tries are left) live in the workflow.
import { createHash, randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type WorkflowExecutionDescription } from '@temporalio/client';
import { WorkflowIdReusePolicy, type SearchAttributePair } from '@temporalio/common';
import type { UpdateDefinition } from '@temporalio/common';
import type { Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { rateLimit } from 'express-rate-limit';
import multer from 'multer';
import { ALLOWED_FILE_TYPES, MAX_FILE_BYTES, MAX_FILES_PER_UPLOAD, type StoredFile } from '../../domain/files';
import {
  type NextAction,
  type OnboardingInput,
  type OnboardingView,
  type Stage,
  isEndStage,
  workflowIdFor,
} from '../../domain/onboarding';
import {
  ONBOARDING_WORKFLOW_TYPE,
  type OnboardingWorkflow,
  hasEnded,
  needsAttention,
  onboardingHandle,
  stageEnteredAtOf,
  stageOf,
} from '../../temporal/onboarding-handle';
import {
  OnboardingExternalRefHash,
  OnboardingNeedsAttention,
  OnboardingStage,
  OnboardingStageEnteredAt,
} from '../../temporal/search-attributes';
import {
  boricaRedirectReceived,
  onboardingView,
  resendEmailCode,
  resendSmsCode,
  restartIdentification,
  submitEmailCode,
  submitFiles,
  submitKycData,
  submitSmsCode,
  type BoricaRedirect,
  type CodeResult,
  type ResendResult,
} from '../../workflows/messages';
import { isTrustedUrl } from '../../activities/trusted-url';
import { FailureType } from '../../domain/failures';
import { type ApiContext, recordCall, temporalCall, withDeadline } from '../context';
import { decidePersonStart, type Execution, type PersonStart } from './person-start';
import { type Handlers, inputOf } from '../mount-routes';
import { type Problem, ProblemError, problems, sendProblem } from '../problem-details';
import {
  type StartOnboardingBody,
  type codeBodySchema,
  type partnerKycQuerySchema,
  filesFormSchema,
  type kycDataBodySchema,
  type redirectBodySchema,
} from '../schemas';
import { canonicalJson } from '../secrets';
import { checkKycCodes } from './reference';
import { limitOf } from '../message-limits';
import { isNotFound, LIMIT_REACHED_RETRY_AFTER_SECONDS, problemForTemporalError } from '../temporal-errors';
import { answerView, awaitRecordedView, recordedView, streamOnboarding } from './onboarding-views';
import type { RecordedView } from '../../record/changes';


/** How long a partner-KYC link stays valid. */
export const PARTNER_KYC_LINK_TTL_SECONDS = 15 * 60;

/** The Idempotency-Key header, as the route table checked it. */
function idempotencyKeyOf(res: Response): string | undefined {
  return inputOf<{ headers: { 'Idempotency-Key'?: string } }>(res).headers['Idempotency-Key'];
}

function bodyOf<T>(res: Response): T {
  return inputOf(res).body as T;
}

/** The memo kept on each onboarding to recognise a repeated start: keyed hashes, no personal data. */
interface StartMemo {
  requestHash?: string;
  idempotencyKeyHash?: string;
  /** The earlier onboarding of a person who comes back (an opaque id). */
  resumedFrom?: string;
}

/** The frontend's operations of the route table (and the signed partner-KYC link). */
export function onboardingsHandlers(ctx: ApiContext): Handlers {
  const { client, secrets, timeouts } = ctx;
  const handleOf = (id: string) => onboardingHandle(client, id);

  // ---------------------------------------------------------------- POST /onboardings
  const startLimiter = rateLimit({
    windowMs: 60_000,
    limit: ctx.api.START_RATE_LIMIT_PER_MINUTE,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // Whether X-Forwarded-For counts is TRUST_PROXY's decision (off by default), not a mistake to warn about.
    validate: { xForwardedForHeader: false },
    handler: (req, res) => {
      const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime?.getTime() ?? Date.now() + 60_000;
      sendProblem(res, problems.tooManyRequests('Too many onboardings started from this address', Math.ceil((reset - Date.now()) / 1000)));
    },
  });

  async function startOnboarding(req: Request, res: Response): Promise<void> {
    const body = bodyOf<StartOnboardingBody>(res);
    if (body.profile) await checkKycCodes(ctx, body.profile, ['profile']);
    const key = idempotencyKeyOf(res);
    const candidates = body.externalRef
      ? secrets.onboardingIdsForExternalRef(body.externalRef)
      : key
        ? secrets.onboardingIdsForIdempotencyKey(key)
        : [randomUUID()];
    const onboardingId = candidates[0]!;
    res.locals.onboardingId = onboardingId;
    // After a rotation of API_SIGNING_KEY, the same externalRef or key may have started an
    // onboarding under an old key's id: that one is the onboarding asked for.
    const startedBeforeRotation = await existingAmong(candidates.slice(1));
    if (startedBeforeRotation) return repeatedStart(res, startedBeforeRotation, body, key);
    const person = await personRules(res, body, key, candidates);
    if (person === 'repeat') return;
    const resume = person.resume;
    const memo: StartMemo = { requestHash: secrets.hash('body', canonicalJson(body)) };
    if (key) memo.idempotencyKeyHash = secrets.hash('idem', key);
    if (resume) memo.resumedFrom = resume.onboardingId;
    const searchAttributes: SearchAttributePair[] = [
      { key: OnboardingStage, value: 'CREATING_USER' },
      { key: OnboardingStageEnteredAt, value: new Date() },
      { key: OnboardingNeedsAttention, value: false },
    ];
    if (body.externalRef) searchAttributes.push({ key: OnboardingExternalRefHash, value: secrets.hash('ref', body.externalRef) });
    const input: OnboardingInput = {
      onboardingId,
      email: body.email,
      phoneNumber: body.phoneNumber,
      userType: body.userType,
      ...(body.externalRef !== undefined ? { externalRef: body.externalRef } : {}),
      ...(body.profile !== undefined ? { profile: body.profile } : {}),
      settings: ctx.settings(),
      ...(resume ? { resume } : {}),
    };
    try {
      await withDeadline(ctx, timeouts.rpcMs, () =>
        client.workflow.start<OnboardingWorkflow>(ONBOARDING_WORKFLOW_TYPE, {
          workflowId: workflowIdFor(onboardingId),
          taskQueue: ctx.temporal.TASK_QUEUE,
          args: [input],
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          typedSearchAttributes: searchAttributes,
          memo: { ...memo },
        }),
      );
    } catch (err) {
      // The row this start wrote stands for no workflow of its own: it goes (unless a workflow wrote to it).
      if (person.opened) await ctx.record?.forgetStart(onboardingId).catch(() => undefined);
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
        const problem = problemForTemporalError(err, onboardingId);
        if (problem) throw new ProblemError(problem);
        throw err;
      }
      return repeatedStart(res, onboardingId, body, key);
    }
    ctx.metrics.onboardingsStarted.inc({ outcome: 'started' });
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json({
      onboardingId,
      accessToken: secrets.accessTokenFor(onboardingId),
      stage: 'CREATING_USER' satisfies Stage,
      nextAction: { type: 'WAIT' } satisfies NextAction,
      ...(resume ? { resumedFrom: resume.onboardingId } : {}),
    });
  }

  /** A start refused because the person has another onboarding (409 naming it, no token). */
  function personConflict(slug: string, title: string, detail: string, onboardingId: string): ProblemError {
    ctx.metrics.onboardingsStarted.inc({ outcome: 'conflict' });
    return new ProblemError({ status: 409, slug, title, detail, extensions: { onboardingId } });
  }

  /**
   * A person who comes back (CONTRACT part 4), decided under the record's lock on the e-mail
   * (src/api/routes/person-start.ts): an e-mail with a COMPLETED onboarding, or with one still
   * running, is refused with that onboarding's id (409); an earlier onboarding that created the
   * 10nPay user and ended without completing is gone on with (the resume returned). The new
   * onboarding's row is written under the lock, before its workflow starts, so that a second start
   * for the same e-mail at the same moment finds it. Without a record, every start is a new one;
   * with a record that cannot be reached, the start is a 503 to retry. 'repeat': answered already;
   * `opened`: this start wrote the new onboarding's row.
   */
  async function personRules(
    res: Response,
    body: StartOnboardingBody,
    key: string | undefined,
    candidates: string[],
  ): Promise<{ resume?: { onboardingId: string; userId: number }; opened: boolean } | 'repeat'> {
    if (!ctx.record) return { opened: false };
    const onboardingId = candidates[0]!;
    if (body.externalRef !== undefined || key !== undefined) {
      // The key's or externalRef's onboarding exists: the repeat rules answer, and no row is written for it.
      const existing = await existingAmong([onboardingId]);
      if (existing) {
        await repeatedStart(res, existing, body, key);
        return 'repeat';
      }
    }
    const decision = await recordCall(ctx, (record) =>
      record.startForPerson<PersonStart>(body.email, async (found) => {
        const d = await decidePersonStart(found, candidates, executionOf);
        if (d.kind !== 'new') return { result: d };
        const open = {
          onboardingId,
          userType: body.userType,
          ...(body.externalRef !== undefined ? { externalRef: body.externalRef } : {}),
          ...(d.resume ? { resumedFrom: d.resume.onboardingId, tennpayUserId: d.resume.userId } : {}),
          email: body.email,
          phoneNumber: body.phoneNumber,
          startedAt: new Date().toISOString(),
        };
        return { result: d, open, forget: d.forget };
      }),
    );
    switch (decision.kind) {
      case 'new':
        if (!decision.resume) return { opened: true };
        ctx.logger.info({ onboardingId, resumedFrom: decision.resume.onboardingId }, 'a person comes back');
        return { resume: decision.resume, opened: true };
      case 'repeat':
        // Started under this key or externalRef a moment ago: the start below meets it.
        return { opened: false };
      case 'completed':
        throw personConflict('onboarding-completed', 'This person has completed an onboarding', 'An onboarding with this e-mail has completed; there is nothing to start again', decision.onboardingId);
      case 'running':
        throw personConflict('onboarding-running', 'This person has an onboarding in progress', 'An onboarding with this e-mail is in progress; go on with it, or cancel it first', decision.onboardingId);
    }
  }

  /** Whether Temporal runs, has closed, or does not have an onboarding. */
  async function executionOf(id: string): Promise<Execution> {
    try {
      const description = await withDeadline(ctx, timeouts.rpcMs, () => handleOf(id).describe());
      return hasEnded(description.status.name) ? 'CLOSED' : 'RUNNING';
    } catch (err) {
      if (isNotFound(err)) return 'NOT_FOUND';
      const problem = problemForTemporalError(err, id);
      if (problem) throw new ProblemError(problem);
      throw err;
    }
  }

  /** The first of `ids` (derived under old signing keys) whose onboarding exists, if any. */
  async function existingAmong(ids: string[]): Promise<string | undefined> {
    for (const id of ids) {
      try {
        await withDeadline(ctx, timeouts.rpcMs, () => handleOf(id).describe());
        return id;
      } catch (err) {
        if (isNotFound(err)) continue;
        const problem = problemForTemporalError(err, id);
        if (problem) throw new ProblemError(problem);
        throw err;
      }
    }
    return undefined;
  }

  /**
   * The onboarding exists already: the same key and body get it again; anything else does not.
   * The memo's hashes may come from an old signing key, so they are checked against every key.
   */
  async function repeatedStart(res: Response, onboardingId: string, body: StartOnboardingBody, key: string | undefined): Promise<void> {
    const handle = handleOf(onboardingId);
    const description = await temporalCall(ctx, timeouts.rpcMs, () => handle.describe(), onboardingId);
    const existing = (description.memo ?? {}) as StartMemo;
    if (key && secrets.hashMatches('idem', key, existing.idempotencyKeyHash)) {
      if (!secrets.hashMatches('body', canonicalJson(body), existing.requestHash)) {
        ctx.metrics.onboardingsStarted.inc({ outcome: 'key_reused' });
        throw new ProblemError({
          status: 422,
          slug: 'idempotency-key-reused',
          title: 'The Idempotency-Key was used with another request',
          detail: 'This Idempotency-Key started an onboarding with a different body',
        });
      }
      ctx.metrics.onboardingsStarted.inc({ outcome: 'replayed' });
      let stage: Stage = stageFrom(description);
      let nextAction: NextAction = isEndStage(stage) ? { type: 'NONE' } : { type: 'WAIT' };
      try {
        const view = await withDeadline(ctx, Math.min(timeouts.queryMs, 2_000), () => handle.query(onboardingView));
        stage = view.stage;
        nextAction = view.nextAction;
      } catch {
        // the worker is slow or down: the search attributes tell the stage, the user waits
      }
      res.setHeader('Cache-Control', 'no-store');
      res.status(200).json({
        onboardingId,
        accessToken: secrets.accessTokenFor(onboardingId),
        stage,
        nextAction,
        ...(typeof existing.resumedFrom === 'string' ? { resumedFrom: existing.resumedFrom } : {}),
      });
      return;
    }
    ctx.metrics.onboardingsStarted.inc({ outcome: 'conflict' });
    throw new ProblemError(
      problems.conflict('An onboarding for this externalRef exists already', { onboardingId }),
    );
  }

  // ---------------------------------------------------------------- GET /onboardings/{id}
  const decorate = (req: Request, view: OnboardingView) => decorateView(ctx, req, view);

  async function getOnboarding(req: Request, res: Response): Promise<void> {
    const id = res.locals.onboardingId as string;
    // The record first: it answers without the worker (PostgreSQL down: 503 with Retry-After).
    let recorded: RecordedView | undefined;
    try {
      recorded = await recordedView(ctx, id);
    } catch (err) {
      // PostgreSQL down: the workflow answers (or, without a worker, the degraded view) as before the record.
      if (!(err instanceof ProblemError)) throw err;
      ctx.logger.warn({ onboardingId: id }, 'onboarding view from the workflow: the record cannot be reached');
    }
    if (recorded) {
      res.setHeader('Cache-Control', 'no-store');
      res.status(200).json(answerView(decorate, req, recorded.view));
      return;
    }
    // Nothing recorded yet (an onboarding just started, or one from before the record kept views).
    const handle = handleOf(id);
    let view: OnboardingView;
    try {
      view = await withDeadline(ctx, timeouts.queryMs, () => handle.query(onboardingView));
    } catch (err) {
      if (isNotFound(err)) throw new ProblemError(problems.notFound());
      // The worker cannot answer in time: answer from what Temporal keeps without it.
      const description = await temporalCall(ctx, timeouts.rpcMs, () => handle.describe(), id);
      ctx.logger.warn({ onboardingId: id, err: errorName(err) }, 'onboarding view degraded: the query was not answered');
      res.setHeader('X-Onboarding-View', 'degraded');
      res.status(200).json(degradedView(id, description));
      return;
    }
    res.status(200).json(decorateView(ctx, req, { ...view, needsAttention: needsAttention({ flagged: view.needsAttention, stage: view.stage }) }));
  }

  // ---------------------------------------------------------------- the user's steps (updates)
  type Stability = 'body' | 'unique';

  /**
   * Sends an update with a stable update id, so a retried call is applied once: the
   * Idempotency-Key when given, else for 'body' calls (codes, KYC data) a keyed hash of the call
   * and its body. 'unique' calls (resends, restart) get a fresh id without a key: their validators
   * refuse a repeat that no longer fits (a cooldown, a stage already left), so nothing is applied twice.
   */
  /** An onboarding that has ended takes no more calls: 409 onboarding-ended, as every step answers. */
  async function refuseWhenEnded(id: string): Promise<WorkflowExecutionDescription> {
    const description = await temporalCall(ctx, timeouts.rpcMs, () => handleOf(id).describe(), id);
    if (hasEnded(description.status.name)) {
      throw new ProblemError({
        status: 409,
        slug: 'onboarding-ended',
        title: 'The onboarding has ended',
        detail: 'The onboarding has ended and takes no more calls',
        extensions: { onboardingId: id, stage: stageFrom(description) },
      });
    }
    return description;
  }

  async function update<Ret, Args extends unknown[]>(
    req: Request,
    res: Response,
    call: string,
    def: UpdateDefinition<Ret, Args, string>,
    buildArgs: () => Args | Promise<Args>,
    body: unknown,
    stability: Stability = 'body',
  ): Promise<Ret> {
    const id = res.locals.onboardingId as string;
    const key = idempotencyKeyOf(res);
    const handle = handleOf(id);
    await refuseWhenEnded(id);
    const updateId = key
      ? `${call}-${secrets.hash('update', `${call}\n${key}`).slice(0, 40)}`
      : stability === 'body'
        ? `${call}-${secrets.hash('update', canonicalJson({ call, body })).slice(0, 40)}`
        : `${call}-${randomUUID()}`;
    const args = await buildArgs();
    // The handle's overloads split on empty and non-empty argument lists; both send `args` as given.
    const typedDef = def as unknown as UpdateDefinition<Ret, [unknown], string>;
    const result = await temporalCall(ctx, timeouts.updateMs, () => handle.executeUpdate(typedDef, { args: args as unknown as [unknown], updateId }), id);
    return answeredOnceRecorded(id, result);
  }

  /**
   * Read-your-own-action: an update that names the record's seq showing its effect is answered
   * once the record has it (or after a short wait: the record down, GET asks the workflow).
   */
  async function answeredOnceRecorded<Ret>(id: string, result: Ret): Promise<Ret> {
    if (!result || typeof result !== 'object' || !('recordedSeq' in result)) return result;
    const { recordedSeq, ...rest } = result as Ret & { recordedSeq?: number };
    if (typeof recordedSeq === 'number') await awaitRecordedView(ctx, id, ({ seq }) => seq >= recordedSeq);
    return rest as Ret;
  }

  function answerCode(res: Response, result: CodeResult): void {
    if (result.accepted) {
      res.status(200).json({ accepted: true });
      return;
    }
    sendProblem(res, {
      status: 422,
      slug: 'wrong-code',
      title: 'The code is not right',
      detail: result.attemptsLeft > 0 ? 'The code does not match; try again' : 'The code does not match and no attempts are left',
      extensions: { attemptsLeft: result.attemptsLeft, onboardingId: res.locals.onboardingId },
    });
  }

  function answerResend(res: Response, result: ResendResult): void {
    if (result.accepted) {
      res.status(202).json({ accepted: true });
      return;
    }
    if (result.retryAfterSeconds !== undefined) {
      sendProblem(res, problems.tooManyRequests('A new code can be sent later', result.retryAfterSeconds));
      return;
    }
    sendProblem(res, problems.conflict('A new code cannot be sent now', { onboardingId: res.locals.onboardingId }));
  }

  type CodeBody = z.output<typeof codeBodySchema>;
  const confirmEmail = async (req: Request, res: Response) => {
    const body = bodyOf<CodeBody>(res);
    answerCode(res, await update(req, res, 'submitEmailCode', submitEmailCode, () => [{ code: body.code }], body));
  };
  const resendEmail = async (req: Request, res: Response) => {
    answerResend(res, await update(req, res, 'resendEmailCode', resendEmailCode, () => [], {}, 'unique'));
  };
  const confirmSmsCode = async (req: Request, res: Response) => {
    const body = bodyOf<CodeBody>(res);
    answerCode(res, await update(req, res, 'submitSmsCode', submitSmsCode, () => [{ code: body.code }], body));
  };
  const resendSms = async (req: Request, res: Response) => {
    answerResend(res, await update(req, res, 'resendSmsCode', resendSmsCode, () => [], {}, 'unique'));
  };
  const submitKyc = async (req: Request, res: Response) => {
    const body = bodyOf<z.output<typeof kycDataBodySchema>>(res);
    await checkKycCodes(ctx, body);
    await update(req, res, 'submitKycData', submitKycData, () => [body] as [typeof body], body);
    res.status(200).json({ accepted: true });
  };
  const restart = async (req: Request, res: Response) => {
    await update(req, res, 'restartIdentification', restartIdentification, () => [{ requestedBy: 'frontend' }], {}, 'unique');
    res.status(200).json({ accepted: true });
  };

  // ---------------------------------------------------------------- Borica redirects (a signal)
  // Abuse limits (CONTRACT part 4): a signal always lands in the history, so the bound is kept
  // here, before signalling (src/api/message-limits.ts), and only the query parameter the workflow
  // reads is passed on (a 4 KB query does not reach the history).
  const relayRedirect = async (_req: Request, res: Response) => {
    const body = bodyOf<z.output<typeof redirectBodySchema>>(res);
    const id = res.locals.onboardingId as string;
    const description = await refuseWhenEnded(id);
    const callbackId = body.query[REDIRECT_QUERY_KEPT];
    const relayed: BoricaRedirect = { outcome: body.outcome, query: callbackId !== undefined ? { [REDIRECT_QUERY_KEPT]: callbackId } : {} };
    const limit = await limitOf(ctx, id, 'boricaRedirectReceived');
    // While the worker cannot tell the counts, a redirect is still a hint worth taking, unless the
    // history is already far beyond what every bound together allows (a flood while it is down).
    if (!limit && description.historyLength >= HISTORY_GUARD_WITHOUT_WORKER) {
      ctx.metrics.messagesRefused.inc({ message: 'boricaRedirectReceived' });
      throw new ProblemError({
        ...problems.tooManyRequests('This onboarding takes no more redirects now', LIMIT_REACHED_RETRY_AFTER_SECONDS),
        extensions: { failureType: FailureType.LimitReached, onboardingId: id },
      });
    }
    // Past the bound only the first refusal reaches the workflow, which records it; none is a redirect.
    if (!limit?.full || !limit.refusalRecorded) {
      await temporalCall(ctx, timeouts.updateMs, () => handleOf(id).signal(boricaRedirectReceived, relayed), id);
    }
    if (limit?.full) {
      ctx.metrics.messagesRefused.inc({ message: 'boricaRedirectReceived' });
      throw new ProblemError({
        ...problems.tooManyRequests(`This onboarding has received ${limit.max} redirects, the most it takes`, LIMIT_REACHED_RETRY_AFTER_SECONDS),
        extensions: { failureType: FailureType.LimitReached, onboardingId: id },
      });
    }
    // Read-your-own-action: answered once the record shows the redirect (the workflow records it,
    // with the stage it moved to); a worker that is slow only delays the answer, the signal is kept.
    if (limit) await awaitRecordedView(ctx, id, ({ view }) => redirectCount(view) > limit.received);
    res.status(202).json({ accepted: true });
  };

  const redirectCount = (view: OnboardingView) => view.timeline.filter((t) => t.step.startsWith('redirect:')).length;

  // ---------------------------------------------------------------- files
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: MAX_FILE_BYTES, files: MAX_FILES_PER_UPLOAD, fields: 5, fieldSize: 1024, parts: MAX_FILES_PER_UPLOAD + 5 },
  }).array('files', MAX_FILES_PER_UPLOAD);

  const readUpload: RequestHandler = (req, res, next) => {
      if (!req.is('multipart/form-data')) {
        throw new ProblemError(problems.badRequest('Send the files as multipart/form-data with a "purpose" field and "files"'));
      }
      upload(req, res, (err: unknown) => {
        if (!err) return next();
        next(new ProblemError(multerProblem(err)));
      });
  };
  const uploadFiles = async (req: Request, res: Response) => {
      const r = filesFormSchema.safeParse(req.body);
      if (!r.success) throw new ProblemError(problems.validation(r.error, 'form'));
      const form = r.data;
      const files = (req.files ?? []) as Express.Multer.File[];
      if (files.length === 0) throw new ProblemError(problems.badRequest('At least one file is required in the "files" field'));
      const typed = files.map((f, i) => {
        const contentType = sniffContentType(f.buffer);
        if (!contentType) {
          throw new ProblemError({
            status: 415,
            slug: 'unsupported-file-type',
            title: 'Unsupported file type',
            detail: 'Files must be JPEG, PNG or PDF',
            extensions: { errors: [{ path: `files.${i}`, message: 'not a JPEG, PNG or PDF file', code: 'invalid_type' }] },
          });
        }
        return { bytes: f.buffer, contentType };
      });
      const id = res.locals.onboardingId as string;
      const digest = typed.map((t) => createHash('sha256').update(t.bytes).digest('hex'));
      const stored: StoredFile[] = [];
      let result;
      try {
        result = await update(
          req,
          res,
          'submitFiles',
          submitFiles,
          async () => {
            for (const t of typed) stored.push(await ctx.fileStore.save(id, t.bytes, t.contentType));
            return [{ purpose: form.purpose, files: stored }];
          },
          { purpose: form.purpose, digest },
        );
      } catch (err) {
        // Refused (wrong stage, ended, invalid): the files are nobody's, so nothing stays changed. On a
        // 503 the update may still be applied, so they stay.
        if (err instanceof ProblemError && err.problem.status < 500) {
          await Promise.all(stored.map((f) => ctx.fileStore.remove(f).catch(() => undefined)));
        }
        throw err;
      }
      res.status(200).json(result);
  };

  // ---------------------------------------------------------------- the signed partner-KYC link
  const openPartnerKyc = async (req: Request, res: Response) => {
    // The route table checked the shapes (a 403 when they do not fit): the signature decides.
    const { params, query } = inputOf<{ params: { id: string }; query: z.output<typeof partnerKycQuerySchema> }>(res);
    const id = params.id;
    const exp = Number(query.exp);
    const sig = query.sig;
    const linkVerificationId = query.v;
    const forbidden: Problem = { status: 403, slug: 'invalid-link', title: 'Invalid link', detail: 'The link is not valid' };
    // The signature and the expiry are checked before Temporal is asked anything: an unsigned
    // caller costs the worker nothing.
    if (!ctx.secrets.checkPartnerKycLink(id, linkVerificationId, exp, sig)) throw new ProblemError(forbidden);
    if (exp < Math.floor(Date.now() / 1000)) {
      throw new ProblemError({ status: 410, slug: 'link-expired', title: 'The link has expired', detail: 'Open the onboarding again to get a new link' });
    }
    res.locals.onboardingId = id;
    let view: OnboardingView;
    try {
      view = await withDeadline(ctx, timeouts.queryMs, () => handleOf(id).query(onboardingView));
    } catch (err) {
      if (isNotFound(err)) throw new ProblemError(forbidden);
      ctx.logger.warn({ onboardingId: id, err: errorName(err) }, 'partner KYC link: the onboarding did not answer its query');
      throw new ProblemError(problems.unavailable('The onboarding cannot answer now; try the link again shortly'));
    }
    const verificationId = view.ids.verificationId;
    if (verificationId !== linkVerificationId || view.nextAction.type !== 'OPEN_URL' || view.nextAction.purpose !== 'PARTNER_KYC') {
      throw new ProblemError({ status: 410, slug: 'link-expired', title: 'The link is no longer needed', detail: 'The partner verification is not waiting for the user' });
    }
    let page;
    try {
      page = await ctx.partnerKycPage(id, verificationId, AbortSignal.timeout(timeouts.partnerPageMs));
    } catch (err) {
      ctx.logger.warn({ onboardingId: id, err: errorName(err) }, 'partner KYC page could not be fetched');
      throw new ProblemError(problems.unavailable('The partner verification page cannot be reached; try again shortly', 10));
    }
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // P100's redirect is followed only to a host the service trusts (TRUSTED_URL_HOSTS, https).
    if (page.status >= 300 && page.status < 400 && page.location && isTrustedUrl(page.location, ctx.api.TRUSTED_URL_HOSTS)) {
      res.redirect(302, page.location);
      return;
    }
    if (page.status === 200 && (page.contentType ?? '').toLowerCase().startsWith('text/html')) {
      // The partner's page is served from this API's origin: the sandbox directive gives it an
      // opaque origin, so its scripts reach nothing of ours (cookies, storage, same-origin calls).
      res.setHeader('Content-Security-Policy', PARTNER_PAGE_CSP);
      res.setHeader('X-Frame-Options', 'DENY');
      res.status(200).type('text/html; charset=utf-8').send(page.body);
      return;
    }
    ctx.logger.warn({ onboardingId: id, partnerStatus: page.status }, 'partner KYC page answered an error');
    throw new ProblemError({
      status: 502,
      slug: 'partner-error',
      title: 'The partner refused the verification page',
      detail: 'The partner verification cannot be opened now; open the onboarding again later',
    });
  };

  /** 404 when Temporal has no such onboarding (the stream of one not yet recorded). */
  async function onboardingExists(id: string): Promise<void> {
    await temporalCall(ctx, timeouts.rpcMs, () => handleOf(id).describe(), id);
  }

  return {
    startOnboarding: { before: [startLimiter], handle: startOnboarding },
    getOnboarding,
    streamOnboarding: streamOnboarding(ctx, decorate, onboardingExists),
    confirmEmail,
    resendEmailCode: resendEmail,
    confirmSmsCode,
    resendSmsCode: resendSms,
    submitKycData: submitKyc,
    relayRedirect,
    restartIdentification: restart,
    uploadFiles: { handle: [readUpload, uploadFiles] },
    openPartnerKyc,
  };
}

// ---------------------------------------------------------------- helpers

/**
 * History events past which a redirect is refused while the worker cannot answer the counts: above
 * a completed onboarding's ~140 events plus every message bound's worth (a few hundred).
 */
const HISTORY_GUARD_WITHOUT_WORKER = 1000;
/** The one redirect query parameter the workflow reads (src/workflows/identification.ts). */
const REDIRECT_QUERY_KEPT = 'bTrustAppCallBackId';

/** The forwarded partner page: scripts and forms run, in an opaque origin, never framed, no plugins. */
export const PARTNER_PAGE_CSP =
  "sandbox allow-scripts allow-forms allow-popups allow-top-navigation-by-user-activation; frame-ancestors 'none'; object-src 'none'; base-uri 'none'";

function errorName(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 300) : 'unknown error';
}

/** The stage by the search attributes; an onboarding that published none is still creating its user. */
function stageFrom(description: WorkflowExecutionDescription): Stage {
  return stageOf(description.typedSearchAttributes) ?? 'CREATING_USER';
}

/** What `GET /onboardings/{id}` can say without a worker: search attributes only. */
export function degradedView(onboardingId: string, description: WorkflowExecutionDescription) {
  const stage = stageFrom(description);
  return {
    onboardingId,
    stage,
    stageEnteredAt: stageEnteredAtOf(description.typedSearchAttributes, description.startTime).toISOString(),
    nextAction: (isEndStage(stage) ? { type: 'NONE' } : { type: 'WAIT' }) satisfies NextAction,
    needsAttention: needsAttention({
      flagged: description.typedSearchAttributes.get(OnboardingNeedsAttention),
      stage: stageOf(description.typedSearchAttributes),
      status: description.status.name,
    }),
    degraded: true,
  };
}

/** Fills the partner-KYC link: signed, short-lived, on this service's public origin. */
export function decorateView(ctx: ApiContext, req: Request, view: OnboardingView): OnboardingView {
  const action = view.nextAction;
  if (action.type !== 'OPEN_URL' || action.purpose !== 'PARTNER_KYC') return view;
  const verificationId = view.ids.verificationId;
  if (!verificationId) return { ...view, nextAction: { type: 'WAIT' } };
  const exp = Math.floor(Date.now() / 1000) + PARTNER_KYC_LINK_TTL_SECONDS;
  const sig = ctx.secrets.signPartnerKycLink(view.onboardingId, verificationId, exp);
  const base = (ctx.api.PUBLIC_BASE_URL ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`).replace(/\/+$/, '');
  // The verification id travels in the link so that its signature is checked before any Temporal call.
  const url = `${base}/onboardings/${encodeURIComponent(view.onboardingId)}/partner-kyc?v=${encodeURIComponent(verificationId)}&exp=${exp}&sig=${sig}`;
  return { ...view, nextAction: { ...action, url } };
}

/** The file type by its first bytes, not by what the client claims. */
export function sniffContentType(bytes: Buffer): (typeof ALLOWED_FILE_TYPES)[number] | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.length >= 5 && bytes.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  return undefined;
}

function multerProblem(err: unknown): Problem {
  if (err instanceof multer.MulterError) {
    if (err.code === 'LIMIT_FILE_SIZE') {
      return { status: 413, slug: 'too-large', title: 'File too large', detail: `Each file may be at most ${MAX_FILE_BYTES} bytes` };
    }
    if (err.code === 'LIMIT_FILE_COUNT' || err.code === 'LIMIT_UNEXPECTED_FILE') {
      return problems.badRequest(`Send at most ${MAX_FILES_PER_UPLOAD} files, in the "files" field`);
    }
    return problems.badRequest('The multipart form is malformed');
  }
  return problems.badRequest('The multipart form could not be read');
}
