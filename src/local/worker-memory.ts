// The worker process's memory settings (issue 15), applied where the project starts the worker
// (`npm start`, the bench, docker-compose): a 2 MB V8 semi-space (the young generation) and two
// malloc arenas. With 1,000 onboardings waiting (cache 200) they took the worker's RSS from 528 MB
// to 379 MB once settled (bench/results/2026-12-02-memory-lean-*.txt). Either one set in the
// environment is kept as it is.
export const WORKER_SEMI_SPACE_FLAG = '--max-semi-space-size=2';
export const WORKER_MALLOC_ARENA_MAX = '2';

/** `env` for the worker process, with the memory settings unless they are set already. */
export function workerProcessEnv(env: Record<string, string>): Record<string, string> {
  const nodeOptions = env.NODE_OPTIONS ?? '';
  return {
    ...env,
    MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? WORKER_MALLOC_ARENA_MAX,
    NODE_OPTIONS: nodeOptions.includes('--max-semi-space-size') ? nodeOptions : `${nodeOptions} ${WORKER_SEMI_SPACE_FLAG}`.trim(),
  };
}
