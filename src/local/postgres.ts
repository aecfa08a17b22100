// Runs a real PostgreSQL server for `npm start` and the tests, the way dev-server.ts runs Temporal:
// Debian's server binaries (installed with apt-get by this script when missing and allowed, as
// chromium.ts does for the browser), a cluster under a data folder (kept across restarts), TCP on
// 127.0.0.1 only, password authentication, its own process group; stop() is a fast shutdown.
// PostgreSQL refuses to run as root: as root, initdb and the server run as the unprivileged
// `postgres` user (or `nobody`), with the data folder handed to that user.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { aptInstall, isExecutable } from './debian-packages';
import { lineSplitter } from './lines';

export class MissingPostgresError extends Error {}

const HOST = '127.0.0.1';
const DEBIAN_ROOT = '/usr/lib/postgresql';

/** The newest Debian PostgreSQL's bin folder, or undefined. */
function debianBinDir(): string | undefined {
  if (!existsSync(DEBIAN_ROOT)) return undefined;
  const versions = readdirSync(DEBIAN_ROOT)
    .filter((v) => isExecutable(path.join(DEBIAN_ROOT, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] && path.join(DEBIAN_ROOT, versions[0], 'bin');
}

/** Folder holding initdb and postgres: POSTGRES_BIN_DIR, Debian's, or Debian's after apt-get. */
export function ensurePostgresBinaries(): string {
  const fromEnv = process.env.POSTGRES_BIN_DIR;
  if (fromEnv) {
    if (!isExecutable(path.join(fromEnv, 'postgres'))) throw new MissingPostgresError(`POSTGRES_BIN_DIR=${fromEnv} holds no postgres binary.`);
    return fromEnv;
  }
  const found = debianBinDir();
  if (found) return found;
  aptInstall({
    pkg: 'postgresql',
    missing: `No PostgreSQL server under ${DEBIAN_ROOT}`,
    otherwise: "install Debian's postgresql (apt-get install postgresql) or set POSTGRES_BIN_DIR to the folder of initdb and postgres.",
    error: (message) => new MissingPostgresError(message),
  });
  const installed = debianBinDir();
  if (!installed) throw new MissingPostgresError(`apt-get installed postgresql but no server is under ${DEBIAN_ROOT}.`);
  return installed;
}

/** The user PostgreSQL runs as: ourselves, or, as root, `postgres` (else `nobody`). */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    const res = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    if (res.status === 0) {
      const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' }).stdout.trim();
      return { uid: Number(res.stdout.trim()), gid: Number(gid) };
    }
  }
  throw new MissingPostgresError('Running as root and no unprivileged user (postgres, nobody) to run PostgreSQL as.');
}

/** The command line that runs `file args` as `user` (setpriv keeps the pid: no intermediate process). */
function asUser(user: { uid: number; gid: number } | undefined, file: string, args: string[]): [string, string[]] {
  if (!user) return [file, args];
  return ['setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--', file, ...args]];
}

/** Each folder above the data folder must be traversable by the server's user (mkdtemp makes 0700 ones). */
function makeTraversable(dir: string): void {
  for (let d = path.dirname(dir); d !== path.dirname(d); d = path.dirname(d)) {
    const mode = statSync(d).mode & 0o7777;
    if ((mode & 0o001) === 0) chmodSync(d, mode | 0o011);
  }
}

export interface PostgresOptions {
  /** The cluster's folder; created with initdb when it holds none. The same folder on restart keeps all data. */
  dataDir: string;
  port: number;
  /** The superuser, created by initdb, and its password (scram-sha-256 over TCP). */
  user: string;
  password: string;
  /** A database created after start when missing. */
  database: string;
  /** Where the server's own output goes, line by line; by default the parent's stderr. */
  onOutput?: (line: string) => void;
  startTimeoutMs?: number;
}

export interface PostgresServer {
  /** postgres://user:password@127.0.0.1:port/database */
  url: string;
  port: number;
  pid: number;
  exited: Promise<number | string>;
  /** Fast shutdown (SIGINT), SIGKILL after the grace period; resolves once the server is gone. */
  stop(graceMs?: number): Promise<void>;
}

export const postgresUrl = (o: { user: string; password: string; port: number; database: string; host?: string }): string =>
  `postgres://${encodeURIComponent(o.user)}:${encodeURIComponent(o.password)}@${o.host ?? HOST}:${o.port}/${encodeURIComponent(o.database)}`;

function initCluster(bin: string, dataDir: string, user: ReturnType<typeof serverUser>, o: PostgresOptions): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // The password goes to initdb through a file only the server's user can read, removed at once.
  const pwFile = path.join(os.tmpdir(), `pg-pw-${process.pid}-${Date.now()}`);
  writeFileSync(pwFile, `${o.password}\n`, { mode: 0o600 });
  try {
    if (user) {
      makeTraversable(dataDir);
      chownSync(dataDir, user.uid, user.gid);
      chownSync(pwFile, user.uid, user.gid);
    }
    chmodSync(dataDir, 0o700);
    const [cmd, args] = asUser(user, path.join(bin, 'initdb'), [
      '-D', dataDir, '-U', o.user, `--pwfile=${pwFile}`, '--auth-host=scram-sha-256', '--auth-local=scram-sha-256',
      '-E', 'UTF8', '--locale=C', '--no-instructions',
    ]);
    const res = spawnSync(cmd, args, { encoding: 'utf8', cwd: '/' });
    if (res.status !== 0) {
      // A half-made cluster would make every later start fail the same way.
      rmSync(path.join(dataDir, 'PG_VERSION'), { force: true });
      throw new Error(`initdb failed (${res.status}): ${(res.stderr || res.stdout || String(res.error)).trim()}`);
    }
  } finally {
    rmSync(pwFile, { force: true });
  }
}

async function connectOnce(url: string): Promise<Client> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Starts PostgreSQL (initialising the cluster first when needed) and resolves once `database` answers. */
export async function startPostgres(o: PostgresOptions): Promise<PostgresServer> {
  const bin = ensurePostgresBinaries();
  const dataDir = path.resolve(o.dataDir);
  const user = serverUser();
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) initCluster(bin, dataDir, user, o);
  else if (user) chownSync(dataDir, user.uid, user.gid);

  const [cmd, args] = asUser(user, path.join(bin, 'postgres'), [
    '-D', dataDir, '-p', String(o.port),
    '-c', `listen_addresses=${HOST}`,
    // No Unix socket: /var/run/postgresql may not exist or be writable; TCP on loopback is enough.
    '-c', 'unix_socket_directories=',
    '-c', 'logging_collector=off',
    '-c', 'log_min_messages=warning',
  ]);
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, cwd: '/' });
  const recent: string[] = [];
  let stopping: Promise<void> | undefined;
  const onOutput = o.onOutput ?? ((line: string) => process.stderr.write(`[postgres] ${line}\n`));
  const write = lineSplitter((line) => {
    recent.push(line);
    if (recent.length > 30) recent.shift();
    if (!stopping) onOutput(line);
  });
  child.stdout?.on('data', write);
  child.stderr?.on('data', write);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', (err) => resolve(`spawn error: ${err.message}`));
  });
  let exitInfo: number | string | undefined;
  void exited.then((c) => (exitInfo = c));
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, s);
    } catch {
      /* gone already */
    }
  };
  const stop = (graceMs = 15_000): Promise<void> => {
    stopping ??= (async () => {
      if (exitInfo !== undefined) return;
      signal('SIGINT'); // "fast" shutdown: clients are disconnected, the data is checkpointed
      const timer = setTimeout(() => signal('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };

  const adminUrl = postgresUrl({ ...o, database: 'postgres' });
  const deadline = Date.now() + (o.startTimeoutMs ?? 60_000);
  let lastError: unknown;
  for (;;) {
    if (exitInfo !== undefined) throw new Error(`postgres exited (${exitInfo}) before it answered:\n${recent.join('\n')}`);
    try {
      const client = await connectOnce(adminUrl);
      try {
        const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [o.database]);
        if (found.rowCount === 0) await client.query(`CREATE DATABASE "${o.database.replaceAll('"', '""')}"`);
      } finally {
        await client.end();
      }
      break;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`PostgreSQL did not answer on ${HOST}:${o.port} (last error: ${(lastError as Error | undefined)?.message}):\n${recent.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url: postgresUrl(o), port: o.port, pid: child.pid!, exited, stop };
}

if (require.main === module) {
  try {
    const bin = ensurePostgresBinaries();
    process.stdout.write(`PostgreSQL: ${bin}\n`);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
}
