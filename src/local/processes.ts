// Child processes of `npm start`: each TypeScript entry point runs as `node --import tsx <script>`
// in its own process group (so a stop reaches whatever it starts, and a Ctrl-C at the terminal is
// handled once, by start-all), with its output prefixed by its name.
import { spawn, type ChildProcess } from 'node:child_process';
import { lineSplitter } from './lines';
import { PROJECT_ROOT } from './local-env';

const COLORS = [36, 33, 35, 32, 34, 31];

export function prefixer(name: string, index: number, width: number): (line: string) => void {
  const color = process.stdout.isTTY ? COLORS[index % COLORS.length] : undefined;
  const label = `[${name}]`.padEnd(width + 2);
  const tag = color ? `\x1b[${color}m${label}\x1b[0m` : label;
  return (line) => process.stdout.write(`${tag} ${line}\n`);
}

export interface Service {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL to the process group at once (synchronous, for process exit). */
  kill(): void;
  isRunning(): boolean;
}

export function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    /* the group is gone already */
  }
}

/** Starts `node --import tsx <script>` from the project root with `env`. */
export function startTsService(
  name: string,
  script: string,
  env: Record<string, string>,
  output: (line: string) => void,
): Service {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const write = lineSplitter(output);
  child.stdout?.on('data', write);
  child.stderr?.on('data', write);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', (err) => resolve(`could not start: ${err.message}`));
  });
  let running = true;
  void exited.then(() => (running = false));
  let stopping: Promise<void> | undefined;
  return {
    name,
    child,
    exited,
    isRunning: () => running,
    kill: () => signalGroup(child.pid, 'SIGKILL'),
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        if (running) {
          signalGroup(child.pid, 'SIGTERM');
          const timer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), graceMs);
          await exited;
          clearTimeout(timer);
        }
        // Grandchildren that outlived their parent go too.
        signalGroup(child.pid, 'SIGKILL');
      })();
      return stopping;
    },
  };
}
