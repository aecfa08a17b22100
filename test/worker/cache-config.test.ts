// WORKFLOW_CACHE_SIZE: the bound of the worker's workflow cache, read and checked at start-up.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadWorkerCacheConfig } from '../../src/config';

describe('WORKFLOW_CACHE_SIZE', () => {
  it('bounds the cache at 200 onboardings unless set', () => {
    expect(loadWorkerCacheConfig({}).WORKFLOW_CACHE_SIZE).toBe(200);
  });

  it('takes a whole number, 0 turning the cache off', () => {
    expect(loadWorkerCacheConfig({ WORKFLOW_CACHE_SIZE: '1500' }).WORKFLOW_CACHE_SIZE).toBe(1500);
    expect(loadWorkerCacheConfig({ WORKFLOW_CACHE_SIZE: '0' }).WORKFLOW_CACHE_SIZE).toBe(0);
  });

  it('stops the start-up with the variable named when it is not a whole number of at least 0', () => {
    for (const bad of ['-1', '2.5', 'lots']) {
      expect(() => loadWorkerCacheConfig({ WORKFLOW_CACHE_SIZE: bad })).toThrow(ConfigError);
      expect(() => loadWorkerCacheConfig({ WORKFLOW_CACHE_SIZE: bad })).toThrow(/WORKFLOW_CACHE_SIZE/);
    }
  });
});
