// The worker process gets its memory settings unless the environment already has them.
import { describe, expect, it } from 'vitest';
import { workerProcessEnv } from './worker-memory';

describe('the worker process memory settings', () => {
  it('adds a 2 MB semi-space and two malloc arenas to what the environment has', () => {
    expect(workerProcessEnv({ A: '1' })).toEqual({ A: '1', MALLOC_ARENA_MAX: '2', NODE_OPTIONS: '--max-semi-space-size=2' });
    expect(workerProcessEnv({ NODE_OPTIONS: '--enable-source-maps' }).NODE_OPTIONS).toBe('--enable-source-maps --max-semi-space-size=2');
  });

  it('keeps settings the environment chose', () => {
    expect(workerProcessEnv({ MALLOC_ARENA_MAX: '4', NODE_OPTIONS: '--max-semi-space-size=8' })).toEqual({
      MALLOC_ARENA_MAX: '4',
      NODE_OPTIONS: '--max-semi-space-size=8',
    });
  });
});
