// Provides Debian's Chromium for the browser tests (playwright-core drives it; it never downloads
// a browser of its own): CHROMIUM_PATH or /usr/bin/chromium, else `apt-get install chromium` where
// this process may (root, or sudo without a password), else one line saying what to install.
// `npm test` runs it before the suite, like the Temporal binaries, so a missing tool stops the run
// at once instead of failing a test.
import { spawnSync } from 'node:child_process';
import { aptInstall, isExecutable } from './debian-packages';

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

/** Path of the Chromium the browser tests use (CHROMIUM_PATH overrides the Debian default). */
export const chromiumPath = (): string => process.env.CHROMIUM_PATH || DEFAULT_PATH;

/** The Chromium binary, installed with apt-get when missing and allowed; throws MissingChromiumError otherwise. */
export function ensureChromium(): string {
  const file = chromiumPath();
  if (isExecutable(file)) return file;
  if (process.env.CHROMIUM_PATH) throw new MissingChromiumError(`CHROMIUM_PATH=${file} is not an executable file.`);
  aptInstall({
    pkg: 'chromium',
    missing: `No browser at ${file}`,
    otherwise: "install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH to a Chromium binary.",
    error: (message) => new MissingChromiumError(message),
  });
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
