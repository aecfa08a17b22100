// Provides Debian's Chromium for the browser tests (playwright-core drives it; it never downloads
// a browser of its own): CHROMIUM_PATH or /usr/bin/chromium, else `apt-get install chromium` where
// this process may (root, or sudo without a password), else one line saying what to install.
// `npm test` runs it before the suite, like the Temporal binaries, so a missing tool stops the run
// at once instead of failing a test.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

const DEFAULT_PATH = '/usr/bin/chromium';

/** The flags the browser tests start Chromium with (headless, no background traffic: this machine has no internet). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export class MissingChromiumError extends Error {}

const isExecutable = (file: string): boolean => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** Path of the Chromium the browser tests use (CHROMIUM_PATH overrides the Debian default). */
export const chromiumPath = (): string => process.env.CHROMIUM_PATH || DEFAULT_PATH;

function aptInstall(): void {
  const root = process.getuid?.() === 0;
  const sudo = !root && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!hasApt || (!root && !sudo)) {
    throw new MissingChromiumError(
      `No browser at ${chromiumPath()}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH to a Chromium binary.`,
    );
  }
  const run = (args: string[]) => {
    const [cmd, ...rest] = sudo ? ['sudo', '-n', ...args] : args;
    return spawnSync(cmd!, rest, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  };
  process.stderr.write(`No browser at ${DEFAULT_PATH}: installing Debian's chromium with apt-get …\n`);
  if (run(['apt-get', 'update', '-qq']).status !== 0 || run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'chromium']).status !== 0) {
    throw new MissingChromiumError(`apt-get could not install chromium: install Debian's chromium, or set CHROMIUM_PATH to a Chromium binary.`);
  }
}

/** The Chromium binary, installed with apt-get when missing and allowed; throws MissingChromiumError otherwise. */
export function ensureChromium(): string {
  const file = chromiumPath();
  if (isExecutable(file)) return file;
  if (process.env.CHROMIUM_PATH) throw new MissingChromiumError(`CHROMIUM_PATH=${file} is not an executable file.`);
  aptInstall();
  if (!isExecutable(file)) throw new MissingChromiumError(`apt-get installed chromium but ${file} is still missing.`);
  return file;
}

if (require.main === module) {
  try {
    const file = ensureChromium();
    const version = spawnSync(file, ['--version'], { encoding: 'utf8' }).stdout.trim();
    process.stdout.write(`Chromium: ${file} (${version || 'version unknown'})\n`);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
}
