// Builds the workflow bundle ahead of time, so a production worker starts without webpack and
// every worker of a deploy runs exactly the same workflow code.
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { WORKFLOW_BUNDLE_OPTIONS } from './worker';

export const DEFAULT_BUNDLE_PATH = path.resolve(__dirname, '..', '..', 'dist', 'workflow-bundle.js');

async function main(): Promise<void> {
  const target = process.argv[2] ? path.resolve(process.argv[2]) : DEFAULT_BUNDLE_PATH;
  const { code } = await bundleWorkflowCode(WORKFLOW_BUNDLE_OPTIONS);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, code);
  process.stdout.write(`Workflow bundle written to ${path.relative(process.cwd(), target)} (${code.length} bytes)\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
