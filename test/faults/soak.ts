// `npm run soak -- --onboardings N --minutes M`: a bounded soak of the durability checks. N users
// are walked through the API of a cluster of separate processes (./cluster.ts) while random faults
// hit it every 8–16 s: worker SIGKILL and rolling SIGTERM restarts, Temporal and API restarts, provider faults
// (5xx bursts, 429, slow answers, lost answers, malformed bodies, expiring tokens, finalize "not
// yet", the lost create-user answer) and frontend/partner misbehaviour (codes sent twice,
// duplicated redirects, duplicated and out-of-order webhooks). Faults stop at 70 % of the time;
// an onboarding not ended at the end is stuck. Prints completed / failed (reasons) / stuck and the
// exactly-once checks; exits 1 on a stuck onboarding or a violated check.
import { parseArgs } from 'node:util';
import type { SandboxControl } from '../../src/sandbox/control-client';
import { startCluster, type Cluster } from './cluster';
import { type Expected, FaultJourney, Observations, type Outcome, check, drive, extraAttemptsFrom, problemsOf, summary } from './client';

const { values } = parseArgs({
  options: {
    onboardings: { type: 'string', default: '20' },
    minutes: { type: 'string', default: '3' },
    seed: { type: 'string' },
  },
  allowPositionals: true,
});
const N = Number(values.onboardings);
const MINUTES = Number(values.minutes);
if (!Number.isInteger(N) || N < 1 || !(MINUTES > 0)) {
  process.stderr.write('usage: npm run soak -- --onboardings N --minutes M\n');
  process.exit(2);
}

// A small seeded generator, so a run can be repeated with --seed.
let seed = Number(values.seed ?? Date.now() % 1_000_000);
const firstSeed = seed;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => process.stdout.write(`[soak +${Math.round((Date.now() - t0) / 1000)}s] ${line}\n`);
const t0 = Date.now();

interface ProviderFault {
  name: string;
  expected?: Expected;
  before?: (c: SandboxControl, j: FaultJourney) => Promise<unknown>;
  after?: (c: SandboxControl, j: FaultJourney) => Promise<unknown>;
}

const PROVIDER_FAULTS: ProviderFault[] = [
  { name: 'none' },
  { name: '5xx burst on send SMS', before: (c, j) => c.setSwitch({ name: 'serverError', endpoint: 'tennpay.sendSmsCode', email: j.person.email, times: 3 }) },
  { name: '429 on finalize', before: (c, j) => c.setSwitch({ name: 'rateLimit', endpoint: 'tennpay.finalize', email: j.person.email, times: 2, retryAfterSec: 1 }) },
  { name: 'slow identification status', before: (c, j) => c.setSwitch({ name: 'slow', endpoint: 'tennpay.identificationStatus', email: j.person.email, times: 1, delayMs: 16_000 }) },
  { name: 'reset on e-mail confirm', before: (c, j) => c.setSwitch({ name: 'responseLost', endpoint: 'tennpay.confirmEmail', email: j.person.email, times: 1 }) },
  { name: 'malformed finalize', before: (c, j) => c.setSwitch({ name: 'malformed', endpoint: 'tennpay.finalize', email: j.person.email, times: 1 }) },
  { name: 'finalize "not yet" after success', before: (c, j) => c.setSwitch({ name: 'finalizeRejectAfterSuccess', email: j.person.email, times: 2 }) },
  {
    name: 'lost create-user answer',
    expected: { stage: 'FAILED', reason: 'EmailAlreadyRegistered' },
    before: (c, j) => c.setSwitch({ name: 'responseLost', endpoint: 'tennpay.createUser', email: j.person.email, times: 1 }),
  },
  { name: 'lost P100 create-account answer', after: (c, j) => c.setSwitch({ name: 'responseLost', endpoint: 'p100.createUser', externalUserId: j.onboardingId, times: 1 }) },
  { name: 'P501 on P100 create account', after: (c, j) => c.setSwitch({ name: 'partnerError', endpoint: 'p100.createUser', externalUserId: j.onboardingId, code: 'P501', times: 2 }) },
  { name: '502 burst on Add User Verification', after: (c, j) => c.setSwitch({ name: 'serverError', endpoint: 'p100.userVerification', externalUserId: j.onboardingId, times: 3, status: 502 }) },
  {
    name: 'duplicated and out-of-order webhooks',
    after: async (c, j) => {
      await c.setSwitch({ name: 'webhookDuplicate', externalUserId: j.onboardingId, copies: 3 });
      await c.setSwitch({ name: 'webhookOutOfOrder', externalUserId: j.onboardingId });
    },
  },
];

type InfraFault = 'worker SIGKILL' | 'worker rolling SIGTERM' | 'Temporal restart' | 'API restart' | 'token revocation';
const INFRA_FAULTS: InfraFault[] = ['worker SIGKILL', 'worker SIGKILL', 'worker rolling SIGTERM', 'Temporal restart', 'API restart', 'token revocation'];

async function infraFault(cluster: Cluster, fault: InfraFault): Promise<void> {
  switch (fault) {
    case 'worker SIGKILL':
      await cluster.killWorker('SIGKILL');
      await sleep(1000 + random() * 4000);
      await cluster.startWorker();
      return;
    case 'worker rolling SIGTERM':
      await cluster.startWorker();
      await cluster.killWorker('SIGTERM');
      return;
    case 'Temporal restart':
      await cluster.restartTemporal({ downMs: 1000 + random() * 3000 });
      return;
    case 'API restart':
      await cluster.restartApi({ downMs: random() * 2000 });
      return;
    case 'token revocation':
      await cluster.control.setSwitch({ name: 'tokenExpiresEarly', endpoint: 'auth.token', times: 1, afterMs: 1000 });
      await cluster.control.revokeTokens();
      return;
  }
}

async function main(): Promise<number> {
  log(`starting the cluster (seed ${firstSeed}) for ${N} onboardings in ${MINUTES} min`);
  const cluster = await startCluster();
  const stopping = () => void cluster.stop().then(() => process.exit(130));
  process.once('SIGINT', stopping);
  process.once('SIGTERM', stopping);
  const obs = new Observations();
  const budgetMs = MINUTES * 60_000;
  const start = Date.now();
  const faultsUntil = start + budgetMs * 0.7;
  const faultCounts: Record<string, number> = {};
  try {
    // Users arrive over the first 40 % of the time.
    const spacing = Math.min(5_000, (budgetMs * 0.4) / N);
    const plans = Array.from({ length: N }, () => pick(PROVIDER_FAULTS));
    for (const p of plans) faultCounts[`provider: ${p.name}`] = (faultCounts[`provider: ${p.name}`] ?? 0) + 1;
    const running: Promise<Outcome>[] = plans.map(async (plan, i) => {
      await sleep(i * spacing);
      const j = new FaultJourney(cluster.apiUrl, cluster.control, obs, {
        kycAtStart: random() < 0.7,
        retryCodes: random() < 0.3,
        duplicateRedirects: random() < 0.3,
      });
      await plan.before?.(cluster.control, j);
      return drive(j, plan.expected ?? { stage: 'COMPLETED' }, async () => {
        await j.start();
        if (plan.expected?.stage === 'FAILED') return;
        await plan.after?.(cluster.control, j);
        await j.confirmEmail();
        await j.enterSmsCode();
        if (!(j.options.kycAtStart ?? true)) await j.submitKycData();
        await j.identifyAndSign();
        await j.partnerKycB();
      });
    });
    let ended = false;
    const all = Promise.all(running).finally(() => (ended = true));

    // The chaos loop: an infrastructure fault every 8–16 s until 70 % of the time.
    while (!ended && Date.now() < faultsUntil) {
      await Promise.race([sleep(8_000 + random() * 8_000), all]);
      if (ended || Date.now() >= faultsUntil) break;
      const fault = pick(INFRA_FAULTS);
      faultCounts[`infra: ${fault}`] = (faultCounts[`infra: ${fault}`] ?? 0) + 1;
      log(`fault: ${fault}`);
      await infraFault(cluster, fault);
    }
    // The rest of the time to finish; what has not ended by then is stuck.
    const left = Math.max(0, start + budgetMs - Date.now());
    const outcomes = await Promise.race([all, sleep(left).then(() => undefined)]);
    let final: Outcome[];
    if (outcomes) final = outcomes;
    else {
      log('time is up; onboardings still running are counted as stuck');
      // drive() returns once each client gives up (its step timeout); take what is known now.
      final = await Promise.race([all, sleep(100_000).then(() => [] as Outcome[])]);
    }
    const report = await check(cluster.control, final, obs, extraAttemptsFrom(() => cluster.client()));
    const stuckUnfinished = N - final.length;
    const problems = problemsOf(report);
    const lines = [
      '',
      `soak: ${N} onboardings, ${MINUTES} min, seed ${firstSeed}, ran ${Math.round((Date.now() - start) / 1000)} s`,
      `faults injected: ${Object.entries(faultCounts).map(([k, n]) => `${k} ×${n}`).join('; ')}`,
      `result: ${summary(report)}${stuckUnfinished ? ` (+${stuckUnfinished} without an answer)` : ''}`,
      `exactly-once: ${report.counters.length} onboardings checked (one 10nPay user, one finalize effect, one P100 account, one verification per KYC attempt): ${report.exactlyOnceViolations.length} violations`,
      `API: ${[...obs.statuses.entries()].sort().map(([s, n]) => `${s}×${n}`).join(' ')}; 5xx other than 503: ${report.apiViolations.length}; retried: ${JSON.stringify(obs.retried)}`,
      ...problems.map((p) => `  PROBLEM ${p}`),
      problems.length || stuckUnfinished ? 'FAIL' : 'OK',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (problems.length || stuckUnfinished) process.stdout.write(`--- cluster log tail ---\n${cluster.tail(60)}\n`);
    return problems.length || stuckUnfinished ? 1 : 0;
  } finally {
    await cluster.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`soak: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
