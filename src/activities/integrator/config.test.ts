// The outbound events' settings: off without a URL, signed always, retried for at least 24 hours.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadIntegratorConfig } from '../../config';
import { deliverySettingsOf } from './publish';

const secret = `whsec_${randomBytes(32).toString('base64')}`;

describe('INTEGRATOR_* settings', () => {
  it('are off without a URL and give the delivery its retry budget and cap', () => {
    expect(loadIntegratorConfig({}).INTEGRATOR_WEBHOOK_URL).toBeUndefined();
    const config = loadIntegratorConfig({ INTEGRATOR_WEBHOOK_URL: 'https://backoffice.example/events', INTEGRATOR_WEBHOOK_SECRET: secret });
    expect(deliverySettingsOf(config)).toMatchObject({ retryFor: '72h', maxInterval: '1h', attemptTimeout: 15_000 });
  });

  it('refuse a URL without a secret, a secret not in whsec_ form, and retries shorter than 24 hours, without echoing the secret', () => {
    expect(() => loadIntegratorConfig({ INTEGRATOR_WEBHOOK_URL: 'https://backoffice.example/events' })).toThrow(/INTEGRATOR_WEBHOOK_SECRET: required/);
    const bad = 'secret-in-plain-text';
    expect(() => loadIntegratorConfig({ INTEGRATOR_WEBHOOK_SECRET: bad })).toThrow(ConfigError);
    try {
      loadIntegratorConfig({ INTEGRATOR_WEBHOOK_SECRET: bad });
    } catch (err) {
      expect((err as Error).message).not.toContain(bad);
    }
    expect(() => loadIntegratorConfig({ INTEGRATOR_DELIVERY_RETRY_FOR: '23h' })).toThrow(/at least 24h/);
  });
});
