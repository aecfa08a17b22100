// docker-compose.yml cannot run on this machine (no Docker), so what can drift is checked here:
// the production stack registers exactly the search attributes of the code, and gives the worker
// and the API every configuration variable of the contract that has no default.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { searchAttributeArgs } from '../../src/local/dev-server';

const compose = readFileSync(path.resolve(__dirname, '..', '..', 'docker-compose.yml'), 'utf8');

describe('docker-compose.yml', () => {
  it('registers the onboarding search attributes of src/temporal/search-attributes.ts with their types', () => {
    const expected = searchAttributeArgs().filter((a) => a !== '--search-attribute');
    const loop = /for pair in ([\s\S]*?); do/.exec(compose)?.[1] ?? '';
    const registered = loop.split(/[\s\\]+/).filter(Boolean);
    expect(registered.sort()).toEqual([...expected].sort());
  });

  it('sets every required variable of the contract for the worker and the API', () => {
    const appEnv = /x-app-env: &app-env\n([\s\S]*?)\n\n/.exec(compose)?.[1] ?? '';
    const names = [...appEnv.matchAll(/^ {2}([A-Z0-9_]+):/gm)].map((m) => m[1]);
    for (const required of [
      'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TASK_QUEUE', 'PAYLOAD_ENCRYPTION_KEY', 'API_SIGNING_KEY',
      'TENNPAY_BASE_URL', 'TENNPAY_AUTH_URL', 'TENNPAY_CLIENT_ID', 'TENNPAY_MERCHANT_ID',
      'TENNPAY_CLIENT_CERT', 'TENNPAY_CLIENT_KEY', 'PARTNER_BASE_URL', 'PARTNER_API_KEY',
      'PARTNER_WEBHOOK_TOKEN', 'TRUSTED_URL_HOSTS', 'FRONTEND_URL', 'PORT', 'OPS_API_KEY', 'FILE_STORE_DIR',
      'DATABASE_URL',
    ]) {
      expect(names).toContain(required);
    }
  });

  it('gives the worker and the API the record database on the stack\'s PostgreSQL, created before they start', () => {
    const appEnv = /x-app-env: &app-env\n([\s\S]*?)\n\n/.exec(compose)?.[1] ?? '';
    expect(appEnv).toMatch(/^ {2}DATABASE_URL: postgres:\/\/.+@postgresql:5432\/\S+$/m);
    expect(compose).toMatch(/^ {2}record-db:\n[\s\S]*?CREATE DATABASE/m);
    for (const service of ['worker', 'api']) {
      const block = new RegExp(`^ {2}${service}:\\n([\\s\\S]*?)(?=^ {2}[a-z-]+:\\n|^volumes:)`, 'm').exec(compose)?.[1] ?? '';
      expect(block).toMatch(/record-db:\n\s+condition: service_completed_successfully/);
    }
  });

  it('publishes Temporal and its UI on loopback only unless told otherwise, and checks the worker the way it connects', () => {
    const published = [...compose.matchAll(/^ {6}- "(\$\{[A-Z_]+:-[^}]*\}):\$\{(TEMPORAL_PORT|TEMPORAL_UI_PORT)[^"]*"/gm)].map((m) => [m[2], m[1]]);
    expect(Object.fromEntries(published)).toEqual({ TEMPORAL_PORT: '${TEMPORAL_BIND:-127.0.0.1}', TEMPORAL_UI_PORT: '${TEMPORAL_UI_BIND:-127.0.0.1}' });
    const worker = /^ {2}worker:\n([\s\S]*?)\n {2}api:/m.exec(compose)?.[1] ?? '';
    expect(worker).toContain('src/worker/healthcheck.ts');
  });
});
