// The bare workflow the bench compares onboardings with: the same activities, updates and signals
// as one happy-path onboarding (the plan, read from a real onboarding's history), in the same
// order, with no work in any of them. What an onboarding costs above it is the service's own cost.
import { condition, proxyActivities, proxyLocalActivities, setDefaultSignalHandler, setDefaultUpdateHandler } from '@temporalio/workflow';

/** `localActivity`: a call the onboarding made inside its workflow task (patch lean-history). */
export type BareStep = { activity: string } | { localActivity: string } | { update: string } | { signal: string };

const noop = proxyActivities<Record<string, () => Promise<void>>>({ startToCloseTimeout: '1 minute' });
const noopInTask = proxyLocalActivities<Record<string, () => Promise<void>>>({ startToCloseTimeout: '1 minute' });

export async function bareOnboarding(plan: BareStep[]): Promise<number> {
  const received = new Map<string, number>();
  const receive = (name: string): void => void received.set(name, (received.get(name) ?? 0) + 1);
  const consume = (name: string): boolean => {
    const n = received.get(name) ?? 0;
    if (n === 0) return false;
    received.set(name, n - 1);
    return true;
  };
  let done = 0;
  setDefaultSignalHandler((name) => receive(name));
  // An update answers once the workflow has taken it, as an onboarding's update answers once its
  // step is done.
  setDefaultUpdateHandler(async (name) => {
    receive(name);
    const after = done;
    await condition(() => done > after && !received.get(name));
  });
  for (const step of plan) {
    if ('activity' in step) await noop[step.activity]!();
    else if ('localActivity' in step) await noopInTask[step.localActivity]!();
    else await condition(() => consume('update' in step ? step.update : step.signal));
    done++;
  }
  return done;
}
