// Whole onboardings through the HTTP API at a given concurrency, as users with a frontend walk them
// (test/e2e/journey.ts: start, e-mail code, SMS code, KYC data, both Borica redirects relayed, the
// KYC files uploaded; P100 method A, so that every kind of user action is in each journey), with
// the latency of each user action from request to answer, the CPU time each process spent, and
// the Temporal server's calls.
import { performance } from 'node:perf_hooks';
import { Journey, newPerson } from '../test/e2e/journey';
import { workflowIdFor } from '../src/domain/onboarding';
import type { BenchStack, ProcessName } from './stack';
import { cpuSeconds } from './procfs';
import { inLanes } from './stats';

/** The user actions timed, by method and path (the onboarding's id replaced). */
const ACTIONS: Array<[string, RegExp]> = [
  ['start (POST /onboardings)', /^POST \/onboardings$/],
  ['e-mail code', /^POST \/onboardings\/[^/]+\/email-confirmation$/],
  ['SMS code', /^POST \/onboardings\/[^/]+\/sms-code$/],
  ['KYC data', /^POST \/onboardings\/[^/]+\/kyc-data$/],
  ['redirect relayed', /^POST \/onboardings\/[^/]+\/redirects$/],
  ['upload (KYC files)', /^POST \/onboardings\/[^/]+\/files$/],
  ['status (GET /onboardings/{id})', /^GET \/onboardings\/[^/]+$/],
];

export interface JourneyFigures {
  completed: number;
  failures: string[];
  seconds: number;
  latencies: Map<string, number[]>;
  cpu: Record<ProcessName | 'bench client', number>;
  workflowIds: string[];
}

/** Times every API call this process makes, by user action (wraps the global fetch the journeys use). */
function timeApiCalls(apiUrl: string, latencies: Map<string, number[]>): () => void {
  const original = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith(apiUrl)) return original(input, init);
    const key = `${(init?.method ?? 'GET').toUpperCase()} ${new URL(url).pathname}`;
    const action = ACTIONS.find(([, re]) => re.test(key))?.[0];
    const t0 = performance.now();
    const res = await original(input, init);
    // The answer is in once its body is: read it here, hand a copy on.
    const body = await res.arrayBuffer();
    if (action) latencies.set(action, [...(latencies.get(action) ?? []), performance.now() - t0]);
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
  return () => (globalThis.fetch = original);
}

export async function runJourneys(stack: BenchStack, total: number, concurrency: number): Promise<JourneyFigures> {
  const latencies = new Map<string, number[]>();
  const failures: string[] = [];
  const workflowIds: string[] = [];
  const names = Object.keys(stack.pids) as ProcessName[];
  const cpuBefore = Object.fromEntries(names.map((n) => [n, cpuSeconds(stack.pids[n])]));
  const selfBefore = process.cpuUsage();
  const restore = timeApiCalls(stack.apiUrl, latencies);
  const started = performance.now();
  try {
    await inLanes(total, concurrency, async () => {
      const journey = new Journey(stack.apiUrl, stack.control, newPerson(), { kycAtStart: false, method: 'A' });
      try {
        await journey.start();
        await journey.confirmEmail();
        await journey.enterSmsCode();
        await journey.submitKycData();
        await journey.identifyAndSign();
        await journey.partnerKycA();
        await journey.waitForStage('COMPLETED');
        workflowIds.push(workflowIdFor(journey.onboardingId));
      } catch (err) {
        failures.push(err instanceof Error ? err.message.slice(0, 300) : String(err));
      }
    });
  } finally {
    restore();
  }
  const seconds = (performance.now() - started) / 1000;
  const self = process.cpuUsage(selfBefore);
  const cpu = Object.fromEntries(names.map((n) => [n, cpuSeconds(stack.pids[n]) - cpuBefore[n]!])) as JourneyFigures['cpu'];
  cpu['bench client'] = (self.user + self.system) / 1e6;
  return { completed: workflowIds.length, failures, seconds, latencies, cpu, workflowIds };
}
