// `npm run fuzz`: the contract fuzzer schemathesis (pinned, src/local/schemathesis.ts), every check,
// against a running stack (test/api/fuzz-server.ts) and its /openapi.json, twice: with the ops key
// (ops, platform, partner webhooks, starting onboardings) and with a fresh onboarding's accessToken
// (the frontend calls; then again through the links of POST /onboardings). Prints the requests
// and failures of each run; exits non-zero on any failure or error. Not part of npm test (minutes).
//   FUZZ_MAX_EXAMPLES (default 100) examples per operation; FUZZ_SEED for a reproducible run.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { schemathesis } from '../../src/local/schemathesis';
import { startFuzzServer } from './fuzz-server';

const ROOT = path.resolve(__dirname, '..', '..');
const REPORT_DIR = path.join(ROOT, '.data', 'fuzz');

interface Run {
  name: string;
  /** schemathesis operation filters and phases. */
  args: string[];
  /** Bearer tokens by security scheme, and the onboarding of the path's id. */
  auth: { opsApiKey?: string; accessToken?: string; partnerWebhookToken?: string };
  onboardingId?: string;
}

const toml = (s: string) => JSON.stringify(s);

/** test/api/schemathesis.toml plus the run's credentials and onboarding. */
function configFor(run: Run, file: string): string {
  const lines = [readFileSync(path.join(__dirname, 'schemathesis.toml'), 'utf8')];
  if (run.auth.opsApiKey) lines.push('[auth.openapi.opsApiKey]', `bearer = ${toml(run.auth.opsApiKey)}`);
  if (run.auth.accessToken) lines.push('[auth.openapi.accessToken]', `bearer = ${toml(run.auth.accessToken)}`);
  if (run.auth.partnerWebhookToken) lines.push('[auth.openapi.partnerWebhookToken]', `api_key = ${toml(run.auth.partnerWebhookToken)}`);
  if (run.onboardingId) lines.push('[parameters]', `"path.id" = ${toml(run.onboardingId)}`);
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}

interface Outcome {
  code: number;
  /** schemathesis's own summary line ("1670 generated, 1670 passed, 25 skipped"). */
  testCases?: string;
}

function runSchemathesis(tool: ReturnType<typeof schemathesis>, url: string, run: Run, reportFile: string): Promise<Outcome> {
  const args = [
    '-c',
    'import sys; from schemathesis.cli import schemathesis; sys.exit(schemathesis())',
    '--config-file',
    configFor(run, reportFile.replace(/\.xml$/, '.toml')),
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
    ...run.args,
  ];
  return new Promise((resolve, reject) => {
    // In .data/fuzz, where schemathesis also keeps its cache (.schemathesis).
    const child = spawn(tool.python, args, { cwd: REPORT_DIR, env: tool.env, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      output += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const testCases = /Test cases:\s*\n\s*([^\n]+)/.exec(output.replace(/\x1b\[[0-9;]*m/g, ''))?.[1]?.trim();
      resolve({ code: code ?? 1, ...(testCases ? { testCases } : {}) });
    });
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
  const results: Array<{ name: string; report: string } & Outcome> = [];
  try {
    const forOps = await server.startOnboarding();
    const forFrontend = await server.startOnboarding();
    const runs: Run[] = [
      {
        name: 'ops key',
        args: ['--include-tag', 'ops', '--include-tag', 'platform', '--include-tag', 'partner', '--include-operation-id', 'startOnboarding'],
        auth: { opsApiKey: server.opsKey, partnerWebhookToken: server.webhookToken },
        onboardingId: forOps.onboardingId,
      },
      {
        name: 'onboarding token',
        args: ['--include-tag', 'frontend', '--phases', 'examples,coverage,fuzzing'],
        auth: { accessToken: forFrontend.accessToken },
        onboardingId: forFrontend.onboardingId,
      },
      {
        // schemathesis's configured auth would replace the token a link carries: here the links
        // of POST /onboardings alone give each call its onboarding and accessToken.
        name: 'onboarding token from the links',
        // ignored_auth cannot tell a link's token from one it made up (the runs before check it).
        args: ['--include-tag', 'frontend', '--phases', 'stateful', '--exclude-checks', 'ignored_auth'],
        auth: {},
      },
    ];
    for (const run of runs) {
      const report = path.join(REPORT_DIR, `${run.name.replace(/\W+/g, '-')}.xml`);
      process.stdout.write(`\n=== schemathesis with the ${run.name} ===\n`);
      results.push({ name: run.name, report, ...(await runSchemathesis(tool, server.url, run, report)) });
    }
  } finally {
    await server.close();
  }
  process.stdout.write('\n');
  for (const r of results) {
    let line = `${r.name}: exit ${r.code}, test cases: ${r.testCases ?? 'unknown'}`;
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
