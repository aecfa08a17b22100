// Runs bare workflows at a given concurrency on their own task queue and worker (in this process,
// on the same Temporal server as the onboardings), each driven by the client the way an
// onboarding is driven: each update in turn, the signals when their turn comes, then the result.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { inLanes } from '../stats';
import type { BareStep } from './workflow';

export interface BareRun {
  completed: number;
  seconds: number;
}

export async function runBare(client: Client, address: string, plan: BareStep[], total: number, concurrency: number): Promise<BareRun> {
  const taskQueue = `bench-bare-${randomUUID()}`;
  const activityNames = [...new Set(plan.flatMap((s) => ('activity' in s ? [s.activity] : 'localActivity' in s ? [s.localActivity] : [])))];
  const connection = await NativeConnection.connect({ address });
  const { code } = await bundleWorkflowCode({ workflowsPath: path.join(__dirname, 'workflow.ts'), logger: new DefaultLogger('ERROR') });
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowBundle: { code },
    activities: Object.fromEntries(activityNames.map((n) => [n, async () => undefined])),
  });
  const running = worker.run();
  try {
    const started = performance.now();
    let completed = 0;
    await inLanes(total, concurrency, async () => {
      const handle = await client.workflow.start('bareOnboarding', { taskQueue, workflowId: `bare-${randomUUID()}`, args: [plan] });
      for (const step of plan) {
        if ('update' in step) await handle.executeUpdate(step.update);
        else if ('signal' in step) await handle.signal(step.signal);
      }
      await handle.result();
      completed++;
    });
    return { completed, seconds: (performance.now() - started) / 1000 };
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
  }
}
