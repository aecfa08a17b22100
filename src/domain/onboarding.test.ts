// The settings' durations as the workflow reads them: the same values Temporal's own reading gives.
import { describe, expect, it } from 'vitest';
import { durationMs } from './onboarding';

describe('durationMs', () => {
  it('reads every unit the settings allow, and a bare number as milliseconds', () => {
    expect(durationMs('250ms')).toBe(250);
    expect(durationMs('3s')).toBe(3000);
    expect(durationMs('1.5m')).toBe(90_000);
    expect(durationMs('24h')).toBe(86_400_000);
    expect(durationMs('7d')).toBe(604_800_000);
    expect(durationMs('1500')).toBe(1500);
    expect(durationMs(1500)).toBe(1500);
  });

  it('refuses what is not a duration', () => {
    expect(() => durationMs('3 weeks' as never)).toThrow(TypeError);
  });
});
