// Runs `temporal server start-dev` for local use and tests: loopback only, state in a SQLite file
// under a data folder (kept across restarts), the namespace and the onboarding search attributes
// registered at launch, WAL pragmas so SQLite keeps up, and the Web UI. The process runs in its own
// process group, so stop() ends it together with anything it started.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { ONBOARDING_SEARCH_ATTRIBUTES, type SearchAttributeKey } from '../temporal/search-attributes';
import { temporalBinary } from './temporal-binaries';

/** The CLI's names of the search-attribute types (`--search-attribute Name=Type`). */
const CLI_TYPE_NAMES: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/**
 * SQLite pragmas accepted by the dev server: WAL lets readers and the writer work at once and
 * synchronous=NORMAL drops the fsync per transaction (safe with WAL; a crash can lose the last
 * moments, never corrupt the file). busy_timeout keeps concurrent writers from failing at once.
 */
export const SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=NORMAL', 'busy_timeout=5000'] as const;

export const sqlitePragmaArgs = (): string[] => SQLITE_PRAGMAS.flatMap((p) => ['--sqlite-pragma', p]);

export const searchAttributeArgs = (
  keys: readonly SearchAttributeKey<SearchAttributeType>[] = ONBOARDING_SEARCH_ATTRIBUTES,
): string[] => keys.flatMap((k) => ['--search-attribute', `${k.name}=${CLI_TYPE_NAMES[k.type]}`]);

export interface DevServerOptions {
  /** Folder for `temporal.sqlite`; created when missing. The same folder on restart keeps all workflows. */
  dataDir: string;
  /** Front-end gRPC port; a free one when not given. */
  port?: number;
  /** Web UI port; a free one when not given. Ignored when `headless`. */
  uiPort?: number;
  /** Namespace created at launch (the "default" namespace always exists too). */
  namespace?: string;
  /** Remote codec endpoint the UI calls to decode payloads, e.g. http://127.0.0.1:3000/codec. */
  codecEndpoint?: string;
  /** No Web UI (tests). */
  headless?: boolean;
  /** Path of the Temporal CLI; by default `temporalBinary('cli')` (throws MissingTemporalBinaryError). */
  binary?: string;
  /** Where the server's own output goes, line by line; by default the parent's stderr. */
  onOutput?: (line: string) => void;
  /** How long to wait for the front end to answer. */
  startTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL. */
  stopGraceMs?: number;
}

export interface DevServer {
  /** host:port of the gRPC front end, for Connection/NativeConnection and TEMPORAL_ADDRESS. */
  address: string;
  namespace: string;
  /** Web UI URL, or undefined when headless. */
  uiUrl: string | undefined;
  pid: number;
  /** Resolves with the exit code (or signal name) when the server process ends, for whatever reason. */
  exited: Promise<number | string>;
  /** SIGTERM to the server's process group, SIGKILL after the grace period; resolves once it is gone. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

/** A port that is free right now on 127.0.0.1 (the CLI cannot be told "port 0"). */
export async function findFreePort(host = HOST): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** True when nothing listens on host:port. */
export async function isPortFree(port: number, host = HOST): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

function lineWriter(onLine: (line: string) => void): (chunk: Buffer) => void {
  let rest = '';
  return (chunk) => {
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) onLine(line);
  };
}

/** Waits until the front end answers describeNamespace for the namespace, or the process exits. */
async function waitUntilReady(
  address: string,
  namespace: string,
  exited: Promise<number | string>,
  timeoutMs: number,
  recentOutput: () => string,
): Promise<void> {
  let exitInfo: number | string | undefined;
  void exited.then((code) => (exitInfo = code));
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (exitInfo !== undefined) {
      throw new Error(`temporal server start-dev exited (${exitInfo}) before it answered:\n${recentOutput()}`);
    }
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: 2_000 });
      await connection.workflowService.describeNamespace({ namespace });
      return;
    } catch (err) {
      lastError = err;
    } finally {
      await connection?.close().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `temporal server start-dev did not answer on ${address} within ${timeoutMs} ms ` +
      `(last error: ${(lastError as Error | undefined)?.message}):\n${recentOutput()}`,
  );
}

/** Starts the dev server and resolves once its front end answers for the namespace. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const namespace = options.namespace ?? 'default';
  const binary = options.binary ?? temporalBinary('cli');
  const port = options.port ?? (await findFreePort());
  const headless = options.headless ?? false;
  const uiPort = headless ? undefined : (options.uiPort ?? (await findFreePort()));
  const dataDir = path.resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });

  const args = [
    'server',
    'start-dev',
    '--ip',
    HOST,
    '--port',
    String(port),
    '--db-filename',
    path.join(dataDir, 'temporal.sqlite'),
    '--namespace',
    namespace,
    ...searchAttributeArgs(),
    ...sqlitePragmaArgs(),
    '--log-level',
    'warn',
    ...(headless
      ? ['--headless']
      : ['--ui-port', String(uiPort), '--ui-disable-news-fetch', ...(options.codecEndpoint ? ['--ui-codec-endpoint', options.codecEndpoint] : [])]),
  ];

  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const recent: string[] = [];
  const onOutput = options.onOutput ?? ((line: string) => process.stderr.write(`[temporal] ${line}\n`));
  let stopping: Promise<void> | undefined;
  const write = lineWriter((line) => {
    recent.push(line);
    if (recent.length > 30) recent.shift();
    // Shutting down, the server's internal workers warn about closed connections: noise, not news.
    if (!stopping) onOutput(line);
  });
  child.stdout?.on('data', write);
  child.stderr?.on('data', write);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', (err) => {
      recent.push(String(err));
      resolve(`spawn error: ${err.message}`);
    });
  });

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), options.stopGraceMs ?? 10_000);
      await exited;
      clearTimeout(timer);
      // Anything still left in the group (nothing is expected) goes too.
      killGroup(child, 'SIGKILL');
    })();
    return stopping;
  };

  const address = `${HOST}:${port}`;
  try {
    await waitUntilReady(address, namespace, exited, options.startTimeoutMs ?? 60_000, () => recent.join('\n'));
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    address,
    namespace,
    uiUrl: uiPort === undefined ? undefined : `http://${HOST}:${uiPort}`,
    pid: child.pid!,
    exited,
    stop,
  };
}
