// The Debian packages the project provides for itself (Chromium for the browser tests, the
// PostgreSQL server for the record): whether a binary is there, and `apt-get install` where this
// process may (root, or sudo without a password), else an error with one line saying what to do.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

export const isExecutable = (file: string): boolean => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

export interface AptInstall {
  /** The Debian package, e.g. `chromium`. */
  pkg: string;
  /** What is missing, e.g. `No browser at /usr/bin/chromium`. */
  missing: string;
  /** What the person can do instead, e.g. `install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH …`. */
  otherwise: string;
  /** The error thrown when it cannot be installed (each caller's own class). */
  error: (message: string) => Error;
}

/** Installs one Debian package with apt-get, or throws `error` saying what to do instead. */
export function aptInstall({ pkg, missing, otherwise, error }: AptInstall): void {
  const root = process.getuid?.() === 0;
  const sudo = !root && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!hasApt || (!root && !sudo)) throw error(`${missing}: ${otherwise}`);
  const run = (args: string[]) => {
    const [cmd, ...rest] = sudo ? ['sudo', '-n', ...args] : args;
    return spawnSync(cmd!, rest, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  };
  process.stderr.write(`${missing}: installing Debian's ${pkg} with apt-get …\n`);
  if (run(['apt-get', 'update', '-qq']).status !== 0 || run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', pkg]).status !== 0) {
    throw error(`apt-get could not install ${pkg}: ${otherwise}`);
  }
}
