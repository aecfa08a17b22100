// The worker container's healthcheck: exit 0 when Temporal (reached the way the worker reaches it,
// TLS and all, src/temporal/connection.ts) sees a poller on the task queue, else 1.
import { temporal } from '@temporalio/proto';
import { loadTemporalConfig } from '../config';
import { connectTemporalClient } from '../temporal/connection';

async function main(): Promise<boolean> {
  const config = loadTemporalConfig();
  const connection = await connectTemporalClient(config, { connectTimeoutMs: 5_000 });
  try {
    const answer = await connection.workflowService.describeTaskQueue({
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: { name: config.TASK_QUEUE },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    return answer.pollers.length > 0;
  } finally {
    await connection.close();
  }
}

main().then(
  (healthy) => process.exit(healthy ? 0 : 1),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
