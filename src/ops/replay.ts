// Replay check: runs recorded histories (of running onboardings, or history JSON files) through the
// workflow code about to be deployed. A change that is not deterministic for a history in flight
// (an activity or timer added, removed or reordered without a patch) fails here with a
// DeterminismViolationError instead of failing the workflow tasks of real onboardings after the deploy.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { DeterminismViolationError } from '@temporalio/workflow';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../worker/worker';
import { ONBOARDING_WORKFLOW_TYPE } from '../temporal/onboarding-handle';

/** A workflow's history, as the client fetches it and the replayer takes it. */
export type History = temporal.api.history.v1.IHistory;

export interface HistoryAndId {
  workflowId: string;
  history: History;
}

export interface ReplayOutcome {
  workflowId: string;
  ok: boolean;
  /** 'nondeterminism' for a DeterminismViolationError, 'error' for any other replay failure. */
  kind?: 'nondeterminism' | 'error';
  error?: string;
}

interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): History | null;
}

/**
 * Temporal's JSON form is proto3 JSON (timestamps and durations as strings), which protobufjs reads
 * with its protojson extension and the reflected History type. npm nests several copies of
 * protobufjs here (one under @temporalio/common, another under @temporalio/proto), and a codec of
 * one copy refuses the types of another ("type must be a Type"; the SDK's own JSON helpers fail so):
 * the codec and the type are both taken from the copy @temporalio/proto loads, whose root it
 * registers, once loaded, under the name "__temporal" (protobufjs's public `roots`).
 */
function loadProtoJson(): { codec: ProtoJson; historyType: unknown } {
  const dir = path.dirname(require.resolve('@temporalio/proto/package.json'));
  const resolve = (id: string) => require.resolve(id, { paths: [dir] });
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the copy next to @temporalio/proto, by path
  const codec = require(resolve('protobufjs/ext/protojson')) as ProtoJson;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { roots } = require(resolve('protobufjs')) as { roots: Record<string, { lookupType(name: string): unknown } | undefined> };
  const root = roots.__temporal;
  if (!root) throw new Error('the Temporal protos are not loaded (expected protobufjs root "__temporal")');
  return { codec, historyType: root.lookupType('temporal.api.history.v1.History') };
}

/** Loaded once, on the first history read or written. */
let loadedProtoJson: { codec: ProtoJson; historyType: unknown } | undefined;
function protoJson(): { codec: ProtoJson; historyType: unknown } {
  return (loadedProtoJson ??= loadProtoJson());
}

/** A history from Temporal's JSON form (`temporal workflow show -o json`, the fixtures). */
export function historyFromJson(json: unknown): History {
  const { codec, historyType } = protoJson();
  const history = codec.fromJson(historyType, json, { ignoreUnknownFields: true });
  if (!history) throw new Error('not a history in Temporal\'s JSON form');
  return history;
}

/** A history in Temporal's JSON form, as `temporal workflow show -o json` writes it. */
export function historyToJson(history: History): unknown {
  const { codec, historyType } = protoJson();
  return codec.toJson(historyType, temporal.api.history.v1.History.fromObject(history as Record<string, unknown>));
}

/** Every `*.json` history in a folder; the workflow id is the file name without `.json`. */
export function readHistoryFiles(dir: string): HistoryAndId[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  if (files.length === 0) throw new Error(`no *.json history files in ${dir}`);
  return files.map((f) => {
    const json: unknown = JSON.parse(readFileSync(path.join(dir, f), 'utf8'));
    return { workflowId: f.replace(/\.json$/, ''), history: historyFromJson(json) };
  });
}

/** The histories of running onboardings, fetched one by one as the replay needs them. */
export async function* runningHistories(client: Client, limit = 1_000): AsyncIterable<HistoryAndId> {
  let n = 0;
  const executions = client.workflow.list({ query: `WorkflowType = '${ONBOARDING_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'` });
  for await (const execution of executions) {
    if (n++ >= limit) return;
    const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    yield { workflowId: execution.workflowId, history };
  }
}

export interface ReplayCheckOptions {
  /** The workflow code: the folder or index file (default: the service's, src/worker/worker.ts WORKFLOWS_PATH). */
  workflowsPath?: string;
  /** Needed to decode encrypted payloads (the key the histories were written with). */
  dataConverter?: DataConverter;
}

/** The SDK's own logs at WARN, so that the report is readable (no-op if a runtime exists already). */
export function quietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger((process.env.TEMPORAL_LOG_LEVEL as 'WARN' | undefined) ?? 'WARN') });
  } catch {
    /* installed already */
  }
}

/** Replays every history against the workflow code; one outcome per history, in order. */
export async function replayCheck(histories: Iterable<HistoryAndId> | AsyncIterable<HistoryAndId>, options: ReplayCheckOptions = {}): Promise<ReplayOutcome[]> {
  const outcomes: ReplayOutcome[] = [];
  const results = Worker.runReplayHistories(
    {
      workflowsPath: options.workflowsPath ?? WORKFLOWS_PATH,
      ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
      replayName: 'onboarding-replay-check',
    },
    histories,
  );
  for await (const result of results) {
    if (!result.error) outcomes.push({ workflowId: result.workflowId, ok: true });
    else {
      const nondeterminism = result.error instanceof DeterminismViolationError || result.error.name === 'DeterminismViolationError';
      outcomes.push({ workflowId: result.workflowId, ok: false, kind: nondeterminism ? 'nondeterminism' : 'error', error: result.error.message.slice(0, 2_000) });
    }
  }
  return outcomes;
}
