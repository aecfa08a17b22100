// `npm start`: the whole service on the embedded platform, in one terminal. Starts PostgreSQL (the
// onboarding record, data in .data/postgres), the Temporal dev server (data in .data/temporal), the provider sandbox, the worker and the API, prints their URLs
// once they answer, prefixes their output, and on Ctrl-C / SIGTERM (or when any of them dies)
// stops all of them, process groups included. Started again, it finds its data where it left it.
//
// Ports (environment overrides): PORT=3000 (API), SANDBOX_PORT=4000, SANDBOX_AUTH_PORT=4443,
// TEMPORAL_PORT=7233, TEMPORAL_UI_PORT=8233, POSTGRES_PORT=5433. LOCAL_DATA_DIR (default .data) holds everything.
// `npm start -- --only temporal,sandbox` starts a subset (e.g. to run the worker in a debugger).
import { existsSync } from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { ensureCertificates } from '../sandbox/certificates';
import { isPortFree, startDevServer, type DevServer } from './dev-server';
import {
  PROJECT_ROOT,
  layoutOf,
  loadOrCreateSecrets,
  localEnvironment,
  portsFrom,
  LOCAL_POSTGRES,
  type LocalPorts,
} from './local-env';
import { MissingPostgresError, ensurePostgresBinaries, startPostgres, type PostgresServer } from './postgres';
import { prefixer, signalGroup, startTsService, type Service } from './processes';
import { workerProcessEnv } from './worker-memory';
import { MissingTemporalBinaryError, temporalBinary } from './temporal-binaries';

const SERVICES = ['postgres', 'temporal', 'sandbox', 'worker', 'api'] as const;
type ServiceName = (typeof SERVICES)[number];

const SCRIPTS: Record<Exclude<ServiceName, 'temporal' | 'postgres'>, string> = {
  sandbox: 'src/sandbox/main.ts',
  worker: 'src/worker/main.ts',
  api: 'src/api/main.ts',
};

const READY_TIMEOUT_MS = 60_000;
const WIDTH = Math.max(...SERVICES.map((s) => s.length), 'start'.length);
const say = prefixer('start', 5, WIDTH);

class StartError extends Error {}

function parseOnly(argv: string[]): Set<ServiceName> {
  const i = argv.findIndex((a) => a === '--only' || a.startsWith('--only='));
  if (i < 0) return new Set(SERVICES);
  const arg = argv[i]!;
  const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : (argv[i + 1] ?? '');
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!(SERVICES as readonly string[]).includes(n)) throw new StartError(`--only: unknown service "${n}" (known: ${SERVICES.join(', ')})`);
  }
  return new Set(names as ServiceName[]);
}

const PORTS_OF: Record<ServiceName, (keyof LocalPorts)[]> = {
  postgres: ['POSTGRES_PORT'],
  temporal: ['TEMPORAL_PORT', 'TEMPORAL_UI_PORT'],
  sandbox: ['SANDBOX_PORT', 'SANDBOX_AUTH_PORT'],
  worker: [],
  api: ['PORT'],
};

async function checkPortsFree(ports: LocalPorts, services: Set<ServiceName>): Promise<void> {
  const busy: string[] = [];
  for (const s of services) {
    for (const name of PORTS_OF[s]) {
      if (!(await isPortFree(ports[name]))) busy.push(`${ports[name]} (${name})`);
    }
  }
  if (busy.length) {
    throw new StartError(
      `port ${busy.join(', ')} already in use: is "npm start" already running? ` +
        'Stop what uses it, or choose other ports with the variable named in brackets, e.g. PORT=3100 npm start.',
    );
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new StartError(`${what} did not become ready within ${timeoutMs / 1000} s`);
}

const tcpAnswers = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const httpOk = async (url: string): Promise<boolean> => (await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok;

async function workerPolls(address: string, namespace: string, taskQueue: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 2_000 });
  try {
    const res = await connection.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue, kind: proto.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: proto.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    return (res.pollers?.length ?? 0) > 0;
  } finally {
    await connection.close();
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const selected = parseOnly(process.argv.slice(2));
  const ports = portsFrom(process.env);
  const layout = layoutOf(process.env.LOCAL_DATA_DIR || path.join(PROJECT_ROOT, '.data'));
  const rel = (p: string) => {
    const r = path.relative(process.cwd(), p);
    return r === '' ? '.' : r.startsWith('..') ? p : r;
  };
  const missing = Object.entries(SCRIPTS)
    .filter(([name, script]) => selected.has(name as ServiceName) && !existsSync(path.join(PROJECT_ROOT, script)))
    .map(([, script]) => script);
  if (missing.length) throw new StartError(`${missing.join(', ')} missing: this checkout cannot start them yet.`);

  // Fail at once, before anything starts, when Temporal cannot be provided.
  const temporalCli = selected.has('temporal') ? temporalBinary('cli') : undefined;
  if (selected.has('postgres')) ensurePostgresBinaries();
  await checkPortsFree(ports, selected);

  const { secrets, file: secretsFile, created } = loadOrCreateSecrets(layout.dataDir);
  if (created) say(`generated local secrets in ${rel(secretsFile)} (keep it: it decrypts the local Temporal data)`);
  const certs = await ensureCertificates(layout.certDir);

  const services: Service[] = [];
  let devServer: DevServer | undefined;
  let postgres: PostgresServer | undefined;
  let shuttingDown: Promise<never> | undefined;

  const shutdown = (code: number, reason: string): Promise<never> => {
    shuttingDown ??= (async () => {
      say(reason);
      await Promise.all([...services].reverse().map((s) => s.stop()));
      await devServer?.stop();
      // Last: the worker and the API write the record until they are gone.
      await postgres?.stop();
      say('stopped.');
      process.exit(code);
    })();
    return shuttingDown;
  };
  // A Ctrl-C reaches this process twice (from the terminal and relayed by the tsx launcher), so
  // only a Ctrl-C more than a second after the first one means "kill now".
  let firstSignalAt: number | undefined;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (firstSignalAt === undefined) {
        firstSignalAt = Date.now();
        void shutdown(0, `${signal} received: stopping everything…`);
      } else if (signal === 'SIGINT' && Date.now() - firstSignalAt > 1_000) {
        say('second Ctrl-C: killing everything now');
        process.exit(130); // the exit handler below kills every process group
      }
    });
  }
  // Whatever happens to this process, its children do not outlive it.
  process.on('exit', () => {
    for (const s of services) s.kill();
    signalGroup(devServer?.pid, 'SIGKILL');
    signalGroup(postgres?.pid, 'SIGKILL');
  });
  const watch = (name: string, exited: Promise<number | string>) =>
    void exited.then((code) => {
      if (!shuttingDown) void shutdown(1, `${name} exited unexpectedly (${code}): stopping everything. See its output above.`);
    });

  const namespace = process.env.TEMPORAL_NAMESPACE || 'default';
  let temporalAddress = process.env.TEMPORAL_ADDRESS || `127.0.0.1:${ports.TEMPORAL_PORT}`;
  let databaseUrl: string | undefined;
  try {
    if (selected.has('postgres')) {
      say(`starting PostgreSQL (data in ${rel(layout.postgresDir)})…`);
      postgres = await startPostgres({
        dataDir: layout.postgresDir,
        port: ports.POSTGRES_PORT,
        user: LOCAL_POSTGRES.user,
        password: secrets.POSTGRES_PASSWORD,
        database: LOCAL_POSTGRES.database,
        onOutput: prefixer('postgres', SERVICES.indexOf('postgres'), WIDTH),
        startTimeoutMs: READY_TIMEOUT_MS,
      });
      databaseUrl = postgres.url;
      watch('PostgreSQL', postgres.exited);
    }
    if (temporalCli) {
      say(`starting Temporal dev server (data in ${rel(layout.temporalDir)})…`);
      devServer = await startDevServer({
        dataDir: layout.temporalDir,
        port: ports.TEMPORAL_PORT,
        uiPort: ports.TEMPORAL_UI_PORT,
        namespace,
        codecEndpoint: `http://localhost:${ports.PORT}/codec`,
        binary: temporalCli,
        onOutput: prefixer('temporal', 0, WIDTH),
      });
      temporalAddress = devServer.address;
      watch('the Temporal dev server', devServer.exited);
    }
    const env = localEnvironment({ env: process.env, ports, layout, secrets, certs, temporalAddress, databaseUrl });

    const launch = (name: Exclude<ServiceName, 'temporal' | 'postgres'>): void => {
      if (!selected.has(name)) return;
      const service = startTsService(name, SCRIPTS[name], name === 'worker' ? workerProcessEnv(env) : env, prefixer(name, SERVICES.indexOf(name), WIDTH));
      services.push(service);
      watch(`the ${name}`, service.exited);
    };
    launch('sandbox');
    if (selected.has('sandbox')) await until('the sandbox', () => tcpAnswers(ports.SANDBOX_PORT));
    launch('worker');
    launch('api');
    await Promise.all([
      selected.has('worker') &&
        until(`the worker (polling task queue ${env.TASK_QUEUE})`, () =>
          workerPolls(temporalAddress, env.TEMPORAL_NAMESPACE ?? namespace, env.TASK_QUEUE ?? 'onboarding'),
        ),
      selected.has('api') && until('the API', () => httpOk(`http://127.0.0.1:${ports.PORT}/healthz`)),
    ]);
  } catch (err) {
    if (shuttingDown) return void (await shuttingDown);
    await shutdown(1, `start failed: ${(err as Error).message}`);
  }

  const lines = [
    `ready in ${((Date.now() - started) / 1000).toFixed(1)} s:`,
    selected.has('api') && `  API               http://localhost:${ports.PORT}  (description: /openapi.json, health: /healthz)`,
    selected.has('api') && `  Frontend          http://localhost:${ports.PORT}/app/  (the reference onboarding app)`,
    selected.has('sandbox') &&
      `  Provider sandbox  http://localhost:${ports.SANDBOX_PORT}  (10nPay token endpoint, mutual TLS: https://localhost:${ports.SANDBOX_AUTH_PORT})`,
    selected.has('sandbox') && `  Back office       http://localhost:${ports.SANDBOX_PORT}/integrator/  (the outbound events received, signatures checked)`,
    devServer && `  Temporal          ${devServer.address}  (namespace ${namespace})`,
    devServer?.uiUrl && `  Temporal UI       http://localhost:${ports.TEMPORAL_UI_PORT}`,
    postgres && `  PostgreSQL        127.0.0.1:${ports.POSTGRES_PORT}  (database ${LOCAL_POSTGRES.database}, user ${LOCAL_POSTGRES.user}, password POSTGRES_PASSWORD in ${rel(secretsFile)})`,
    `  Data              ${rel(layout.dataDir)}  (kept across restarts; delete it to start afresh)`,
    `  Ops key           export OPS_API_KEY=$(grep ^OPS_API_KEY= ${rel(secretsFile)} | cut -d= -f2)`,
    'Press Ctrl-C to stop everything.',
  ];
  for (const line of lines) if (line) say(line);
}

main().catch((err: unknown) => {
  const message =
    err instanceof MissingTemporalBinaryError || err instanceof StartError || err instanceof MissingPostgresError
      ? (err as Error).message
      : ((err as Error).stack ?? String(err));
  process.stderr.write(`npm start: ${message}\n`);
  process.exit(1);
});
