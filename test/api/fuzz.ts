// `npm run fuzz`: the contract fuzzer schemathesis (pinned, src/local/schemathesis.ts), every check,
// against a running stack (test/api/fuzz-server.ts) and its /openapi.json, twice: with the ops key
// (ops, platform, partner webhooks, starting onboardings) and with a fresh onboarding's accessToken
// (the frontend calls, also reached through the links of POST /onboardings). Prints the requests
// and failures of each run; exits non-zero on any failure or error. Not part of npm test (minutes).
//   FUZZ_MAX_EXAMPLES (default 100) examples per operation; FUZZ_SEED for a reproducible run.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { schemathesis } from '../../src/local/schemathesis';
import { startFuzzServer } from './fuzz-server';

const ROOT = path.resolve(__dirname, '..', '..');
const REPORT_DIR = path.join(ROOT, '.data', 'fuzz');

interface Run {
  name: string;
  /** schemathesis operation filters. */
  filters: string[];
  env: Record<string, string>;
}

function runSchemathesis(tool: ReturnType<typeof schemathesis>, url: string, run: Run, reportFile: string): Promise<number> {
  const args = [
    '-c',
    'import sys; from schemathesis.cli import schemathesis; sys.exit(schemathesis())',
    '--config-file',
    path.join(__dirname, 'schemathesis.toml'),
    'run',
    `${url}/openapi.json`,
    '--checks',
    'all',
    '--max-examples',
    process.env.FUZZ_MAX_EXAMPLES ?? '100',
    '--workers',
    '1',
    '--report',
    'junit',
    '--report-junit-path',
    reportFile,
    ...(process.env.FUZZ_SEED ? ['--seed', process.env.FUZZ_SEED] : []),
    ...run.filters,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(tool.python, args, { env: { ...tool.env, ...run.env }, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

/** Test cases, failures and errors of a run, from its JUnit report. */
function figures(reportFile: string): { tests: number; failures: number; errors: number } {
  const xml = readFileSync(reportFile, 'utf8');
  const suite = /<testsuites?\b[^>]*>/.exec(xml)?.[0] ?? '';
  const attr = (name: string) => Number(new RegExp(`${name}="(\\d+)"`).exec(suite)?.[1] ?? NaN);
  return { tests: attr('tests'), failures: attr('failures'), errors: attr('errors') };
}

async function main(): Promise<void> {
  const tool = schemathesis();
  mkdirSync(REPORT_DIR, { recursive: true });
  const server = await startFuzzServer(Number(process.env.PORT ?? 0));
  const results: Array<{ name: string; code: number; report: string }> = [];
  try {
    const common = { OPS_KEY: server.opsKey, WEBHOOK_TOKEN: server.webhookToken };
    const forOps = await server.startOnboarding();
    const forFrontend = await server.startOnboarding();
    const runs: Run[] = [
      {
        name: 'ops key',
        filters: ['--include-tag', 'ops', '--include-tag', 'platform', '--include-tag', 'partner', '--include-operation-id', 'startOnboarding'],
        env: { ...common, ACCESS_TOKEN: 'none', ONBOARDING_ID: forOps.onboardingId },
      },
      {
        name: 'onboarding token',
        filters: ['--include-tag', 'frontend'],
        env: { ...common, OPS_KEY: 'none', ACCESS_TOKEN: forFrontend.accessToken, ONBOARDING_ID: forFrontend.onboardingId },
      },
    ];
    for (const run of runs) {
      const report = path.join(REPORT_DIR, `${run.name.replace(/\W+/g, '-')}.xml`);
      process.stdout.write(`\n=== schemathesis with the ${run.name} ===\n`);
      results.push({ name: run.name, code: await runSchemathesis(tool, server.url, run, report), report });
    }
  } finally {
    await server.close();
  }
  process.stdout.write('\n');
  for (const r of results) {
    let line = `${r.name}: exit ${r.code}`;
    try {
      const f = figures(r.report);
      line += `, ${f.tests} operations tested, ${f.failures} failed, ${f.errors} errors`;
    } catch {
      line += ', no report';
    }
    process.stdout.write(`${line}\n`);
  }
  process.exit(results.every((r) => r.code === 0) ? 0 : 1);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
