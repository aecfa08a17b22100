// The ops CLI: `npm run ops -- <command>`. It talks to Temporal directly (TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, PAYLOAD_ENCRYPTION_KEY: the same environment as the worker and the API), not
// to the HTTP API, so it works while the API is down. Tables for people, --json for scripts.
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ConfigError, loadRecordConfig, loadTemporalConfig } from '../config';
import { STAGES } from '../domain/onboarding';
import { migrate } from '../record/database';
import { openRecord } from '../record/open';
import { createTemporalClient } from '../temporal/client';
import { setupNamespace } from '../temporal/namespace-setup';
import { createDataConverter } from '../temporal/data-converter';
import { FIXTURE_ENCRYPTION_KEY } from './fixture-key';
import {
  type ListFilters,
  type OnboardingListItem,
  OPS_ACTIONS,
  type OpsAction,
  OnboardingHasEnded,
  describeOnboarding,
  isoDurationMs,
  listAllOnboardings,
  runAction,
  runBatch,
} from './onboardings';
import { NoEventDelivery, listUndelivered, redeliver } from './outbound-events';
import { type History, quietRuntime, readHistoryFiles, replayCheck, runningHistories } from './replay';
import { type ResetTarget, UnsafeReset, resetOnboarding } from './reset';

const USAGE = `Usage: npm run ops -- <command> [options]

  setup [--json]
        register the service's search attributes on TEMPORAL_NAMESPACE (idempotent; once per namespace)
  list [--stage STAGE] [--waiting PT15M] [--needs-attention] [--limit N] [--json]
        onboardings by stage, by time waiting in their stage, failed or needing attention
  show <onboardingId> [--json]
        stage, timeline, last error, pending activity with attempts and last failure, history length
  retry <onboardingId>                       re-run the step that failed or is backing off, now
  restart-identification <onboardingId>      start web identification again (stage IDENTIFICATION_FAILED)
  cancel <onboardingId> --reason "..."       end it CANCELLED with the reason
  batch <retry|restart-identification|cancel> [--stage S] [--waiting PT15M] [--needs-attention]
        [--reason "..."] [--dry-run] [--json]
        the action on every running onboarding the filters select (at least one filter)
  reset <onboardingId> [--to earliest|latest|EVENT_ID] [--reason "..."] [--dry-run] [--json]
        Temporal reset after a fix is deployed; never to before a non-idempotent provider call
  replay-check [--running] [--files DIR] [--workflows PATH] [--limit N] [--json]
        replay histories against the current workflow code; exit 1 on non-determinism
  outbound-events [--limit N] [--json]
        onboardings whose events to the integrator's back office are undelivered: events, attempt, last failure
  redeliver <onboardingId> | redeliver --all
        attempt one onboarding's (or every onboarding's) undelivered outbound events now, in order
  migrate [--json]
        apply the onboarding record's pending migrations (DATABASE_URL); the worker and API do at start-up too
  erase-personal-data [--json]
        erase the person from onboardings ended more than RECORD_PERSONAL_DATA_RETENTION ago (the worker does hourly)

Common: --by NAME (the actor recorded for an action; default $OPS_ACTOR, else the OS user), --json.
Environment: TEMPORAL_ADDRESS (default 127.0.0.1:7233), TEMPORAL_NAMESPACE, PAYLOAD_ENCRYPTION_KEY
(required, except for replay-check --files), PAYLOAD_ENCRYPTION_OLD_KEYS.
Stages: ${STAGES.join(', ')}.
`;

class UsageError extends Error {
  override name = 'UsageError';
}

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  env: NodeJS.ProcessEnv;
}

/** The OS user running the CLI, when the system knows it. */
function osUser(): string | undefined {
  try {
    return os.userInfo().username || undefined;
  } catch {
    return undefined;
  }
}

/** A plain text table: columns as wide as their widest cell. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function waited(seconds: number | undefined): string {
  if (seconds === undefined) return '';
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7_200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3_600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

function filtersOf(values: { stage?: string; waiting?: string; 'needs-attention'?: boolean }): ListFilters {
  const filters: ListFilters = {};
  if (values.stage !== undefined) {
    if (!(STAGES as readonly string[]).includes(values.stage)) throw new UsageError(`unknown stage ${values.stage}; one of ${STAGES.join(', ')}`);
    filters.stage = values.stage as ListFilters['stage'];
  }
  if (values.waiting !== undefined) {
    if (isoDurationMs(values.waiting) === undefined) throw new UsageError(`--waiting takes an ISO 8601 duration such as PT15M, PT2H or P1D, not ${values.waiting}`);
    filters.waitingLongerThan = values.waiting;
  }
  if (values['needs-attention']) filters.needsAttention = true;
  return filters;
}

function onlyId(positionals: string[], command: string): string {
  const id = positionals[1];
  if (!id || positionals.length > 2) throw new UsageError(`${command} takes one onboarding id`);
  const trimmed = id.replace(/^onboarding-/, '');
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(trimmed)) throw new UsageError(`not an onboarding id: ${id}`);
  return trimmed;
}

function listRows(items: OnboardingListItem[]): string[][] {
  return items.map((i) => [i.onboardingId, i.stage, waited(i.waitingSeconds), i.needsAttention ? 'YES' : '', i.lastError?.type ?? '', i.status, i.stageEnteredAt]);
}

/** Runs one command; returns the exit code. */
export async function run(argv: string[], io: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), env: process.env }): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        stage: { type: 'string' },
        waiting: { type: 'string' },
        'needs-attention': { type: 'boolean' },
        limit: { type: 'string' },
        json: { type: 'boolean' },
        reason: { type: 'string' },
        by: { type: 'string' },
        to: { type: 'string' },
        'dry-run': { type: 'boolean' },
        running: { type: 'boolean' },
        all: { type: 'boolean' },
        files: { type: 'string' },
        workflows: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    io.err(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || !command) {
    (values.help ? io.out : io.err)(USAGE);
    return values.help ? 0 : 2;
  }
  const json = values.json === true;
  const print = (human: string, data: unknown) => io.out(`${json ? JSON.stringify(data, null, 2) : human}\n`);
  const requestedBy = (values.by ?? io.env.OPS_ACTOR ?? io.env.USER ?? osUser() ?? 'ops-cli').replace(/[^\w.@:-]/g, '').slice(0, 100) || 'ops-cli';
  const limit = values.limit !== undefined ? Number(values.limit) : undefined;
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
    io.err('--limit takes a positive whole number\n');
    return 2;
  }

  let client: Client | undefined;
  const connect = async (): Promise<Client> => {
    const config = loadTemporalConfig(io.env);
    try {
      client = await createTemporalClient(config);
    } catch (err) {
      // The connection's own message says how (plain, TLS, mutual TLS) it tried.
      throw new Error(`cannot reach Temporal at ${config.TEMPORAL_ADDRESS} (namespace ${config.TEMPORAL_NAMESPACE}): ${err instanceof Error ? err.message : String(err)}`);
    }
    return client;
  };

  try {
    switch (command) {
      case 'list': {
        const filters = filtersOf(values);
        const { items, truncated } = await listAllOnboardings(await connect(), filters, limit ?? 200);
        print(
          items.length === 0
            ? 'No onboarding matches.'
            : `${table(['ONBOARDING', 'STAGE', 'WAITING', 'ATTENTION', 'LAST ERROR', 'STATUS', 'STAGE ENTERED'], listRows(items))}\n${items.length} onboarding(s)${truncated ? ' (more match: raise --limit)' : ''}`,
          { items, truncated },
        );
        return 0;
      }
      case 'show': {
        const id = onlyId(positionals, 'show');
        const d = await describeOnboarding(await connect(), id);
        const lines = [
          `onboarding     ${d.onboardingId}`,
          `status         ${d.status} (run ${d.runId})`,
          `stage          ${d.stage} since ${d.stageEnteredAt}${d.needsAttention ? '   NEEDS ATTENTION' : ''}`,
          `next action    ${d.view ? d.view.nextAction.type : `unknown: ${d.viewUnavailable ?? ''}`}${d.view?.reason ? ` (${d.view.reason})` : ''}`,
          `last error     ${d.lastError ? `${d.lastError.type}${'step' in d.lastError ? ` at ${d.lastError.step}${'message' in d.lastError ? `: ${d.lastError.message}` : ''}` : ''}` : '-'}`,
          `ids            ${d.view ? JSON.stringify(d.view.ids) : '-'}`,
          `history        ${d.historyLength} events`,
          '',
          d.pendingActivities.length
            ? table(
                ['PENDING ACTIVITY', 'ATTEMPT', 'STATE', 'NEXT ATTEMPT', 'LAST FAILURE'],
                d.pendingActivities.map((p) => [p.activityType, String(p.attempt), p.state, p.nextAttemptAt ?? '', p.lastFailure ? `${p.lastFailure.type}: ${p.lastFailure.message}` : '']),
              )
            : 'No pending activity.',
          '',
          'Timeline:',
          ...(d.view?.timeline ?? []).map((t) => `  ${t.at}  ${t.step}`),
        ];
        print(lines.join('\n'), d);
        return 0;
      }
      case 'retry':
      case 'restart-identification':
      case 'cancel': {
        const id = onlyId(positionals, command);
        if (command === 'cancel' && !values.reason?.trim()) throw new UsageError('cancel needs --reason "..."');
        await runAction(await connect(), id, command, { requestedBy, ...(values.reason ? { reason: values.reason } : {}) });
        print(`${command}: accepted by onboarding ${id}`, { onboardingId: id, action: command });
        return 0;
      }
      case 'batch': {
        const action = positionals[1] as OpsAction;
        if (!OPS_ACTIONS.includes(action)) throw new UsageError(`batch takes one of ${OPS_ACTIONS.join(', ')}`);
        const filters = filtersOf(values);
        if (!filters.stage && !filters.waitingLongerThan && !filters.needsAttention) throw new UsageError('batch needs at least one filter: --stage, --waiting or --needs-attention');
        if (action === 'cancel' && !values.reason?.trim()) throw new UsageError('batch cancel needs --reason "..."');
        const report = await runBatch(await connect(), action, filters, {
          requestedBy,
          ...(values.reason ? { reason: values.reason } : {}),
          dryRun: values['dry-run'] === true,
          describeError: (err) => ({ outcome: err instanceof WorkflowUpdateFailedError ? 'refused' : 'error', detail: explain(err) }),
        });
        const human = [
          report.results.length ? table(['ONBOARDING', 'STAGE', 'OUTCOME', 'DETAIL'], report.results.map((r) => [r.onboardingId, r.stage, r.outcome, r.detail ?? ''])) : 'No onboarding matches.',
          `${action}${report.dryRun ? ' (dry run)' : ''}: ${report.matched} matched; done ${report.counts.done}, refused ${report.counts.refused}, skipped ${report.counts.skipped}, errors ${report.counts.error}${report.truncated ? '; more match: run it again' : ''}`,
        ].join('\n');
        print(human, report);
        return report.counts.error > 0 ? 1 : 0;
      }
      case 'reset': {
        const id = onlyId(positionals, 'reset');
        const to: ResetTarget = values.to === undefined || values.to === 'earliest' ? 'earliest' : values.to === 'latest' ? 'latest' : Number(values.to);
        if (typeof to === 'number' && !(Number.isInteger(to) && to > 0)) throw new UsageError('--to takes earliest, latest or an event id');
        const outcome = await resetOnboarding(await connect(), id, { to, reason: values.reason ?? `ops reset by ${requestedBy}`, dryRun: values['dry-run'] === true });
        const human = [
          `${outcome.runId ? 'reset' : 'would reset (dry run)'} onboarding ${id} to event ${outcome.eventId} (WorkflowTaskCompleted)`,
          outcome.barrier ? `  after ${outcome.barrier.activityType} (event ${outcome.barrier.eventId}), which is not run again` : '  no non-idempotent provider call so far',
          `  safe points: ${outcome.safePoints.join(', ')}`,
          `  signals after the point, re-applied: ${outcome.signalsAfter}; updates after the point, not re-applied: ${outcome.updatesAfter}`,
          outcome.runId ? `  new run ${outcome.runId} (was ${outcome.previousRunId})` : '',
        ]
          .filter(Boolean)
          .join('\n');
        print(human, outcome);
        return 0;
      }
      case 'replay-check': {
        if (!values.running && !values.files) throw new UsageError('replay-check needs --running, --files DIR, or both');
        quietRuntime();
        const fileMode = !values.running;
        const env = { ...io.env };
        if (fileMode && !env.PAYLOAD_ENCRYPTION_KEY) env.PAYLOAD_ENCRYPTION_KEY = FIXTURE_ENCRYPTION_KEY;
        const config = loadTemporalConfig(env);
        // The fixtures' test key decrypts the committed fixtures, whatever the current key.
        const dataConverter = createDataConverter({ ...config, PAYLOAD_ENCRYPTION_OLD_KEYS: [...config.PAYLOAD_ENCRYPTION_OLD_KEYS, FIXTURE_ENCRYPTION_KEY] });
        const sources: Array<AsyncIterable<{ workflowId: string; history: History }>> = [];
        if (values.files) {
          const files = readHistoryFiles(values.files);
          sources.push((async function* () { yield* files; })());
        }
        if (values.running) sources.push(runningHistories(await connect(), limit ?? 1_000));
        const all = (async function* () {
          for (const s of sources) yield* s;
        })();
        const outcomes = await replayCheck(all, { ...(values.workflows ? { workflowsPath: values.workflows } : {}), dataConverter });
        const failed = outcomes.filter((o) => !o.ok);
        const human = [
          outcomes.length ? table(['HISTORY', 'RESULT', 'DETAIL'], outcomes.map((o) => [o.workflowId, o.ok ? 'ok' : o.kind === 'nondeterminism' ? 'NON-DETERMINISTIC' : 'ERROR', (o.error ?? '').split('\n')[0]!.slice(0, 160)])) : 'No history to replay.',
          failed.length ? `${failed.length} of ${outcomes.length} histories do not replay on this code: do not deploy it (patch the change, see README "Changing the workflow")` : `${outcomes.length} histories replay on this code`,
        ].join('\n');
        print(human, { ok: failed.length === 0, outcomes });
        return failed.length ? 1 : 0;
      }
      case 'outbound-events': {
        const { items, truncated } = await listUndelivered(await connect(), limit ?? 200);
        const rows = items.map((i) => [
          i.onboardingId,
          i.pending.map((p) => `${p.seq}:${p.stage}`).join(' '),
          i.stalled ? `STALLED since ${i.stalled.since}` : String(i.attempt ?? ''),
          i.nextAttemptAt ?? '',
          i.stalled?.error ?? i.lastFailure ?? '',
        ]);
        print(
          items.length === 0
            ? 'Every outbound event is delivered.'
            : `${table(['ONBOARDING', 'UNDELIVERED (SEQ:STAGE)', 'ATTEMPT', 'NEXT ATTEMPT', 'LAST FAILURE'], rows)}\n${items.length} onboarding(s)${truncated ? ' (more: raise --limit)' : ''}`,
          { items, truncated },
        );
        return 0;
      }
      case 'redeliver': {
        if (values.all === (positionals.length > 1)) throw new UsageError('redeliver takes one onboarding id, or --all');
        const id = values.all ? undefined : onlyId(positionals, 'redeliver');
        const done = await redeliver(await connect(), id);
        print(`redelivery asked of ${done.onboardingIds.length} onboarding(s)${done.truncated ? '; more undelivered: run it again' : ''}`, done);
        return 0;
      }
      case 'setup': {
        const c = await connect();
        const done = await setupNamespace(c.connection, loadTemporalConfig(io.env).TEMPORAL_NAMESPACE);
        print(
          `namespace ${done.namespace}: ${done.created.length ? `registered ${done.created.join(', ')}` : 'nothing to register'}${done.existing.length ? `; already there: ${done.existing.join(', ')}` : ''}`,
          done,
        );
        return 0;
      }
      case 'migrate': {
        const url = loadRecordConfig(io.env).DATABASE_URL;
        if (!url) throw new ConfigError('migrate needs DATABASE_URL (the onboarding record\'s postgres:// URL)');
        const applied = await migrate(url);
        print(applied.length ? `applied: ${applied.join(', ')}` : 'the record is up to date', { applied });
        return 0;
      }
      case 'erase-personal-data': {
        const opened = await openRecord(io.env);
        if (!opened) throw new ConfigError('erase-personal-data needs DATABASE_URL (the onboarding record\'s postgres:// URL)');
        try {
          const erased = await opened.record.erasePersonalData(new Date(), opened.retentionMs);
          print(`personal data erased from ${erased} onboarding(s)`, { erased });
        } finally {
          await opened.close();
        }
        return 0;
      }
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (err instanceof ConfigError) {
      io.err(`${err.message}\n`);
      return 2;
    }
    io.err(`error: ${explain(err)}\n`);
    return 1;
  } finally {
    await client?.connection.close().catch(() => undefined);
  }
}

/** A one-line explanation of an error, for people. */
function explain(err: unknown): string {
  if (err instanceof WorkflowNotFoundError) return 'no such onboarding';
  if (err instanceof NoEventDelivery) return err.message;
  if (err instanceof OnboardingHasEnded) return err.message;
  if (err instanceof UnsafeReset) return `refusing to reset: ${err.message}`;
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause;
    return `refused by the onboarding: ${cause instanceof ApplicationFailure ? `${cause.type}: ${cause.message}` : (cause?.message ?? err.message)}`;
  }
  const code = (err as { code?: unknown })?.code;
  if (code === 5) return 'no such onboarding';
  if (code === 14 || code === 4) return `Temporal did not answer (${err instanceof Error ? err.message : String(err)}); check TEMPORAL_ADDRESS`;
  return err instanceof Error ? err.message : String(err);
}

if (require.main === module) {
  run(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
