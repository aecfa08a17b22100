// The payload codec: encrypt + decrypt round trips of a typical onboarding payload (the KYC record),
// as every payload to and from Temporal goes through it.
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { EncryptionCodec } from '../src/temporal/encryption-codec';
import { kycRecordSchema } from '../src/domain/kyc-record';
import { testKycRecord } from '../test/support/fixtures';

export async function benchCodec(rounds: number): Promise<string> {
  const codec = new EncryptionCodec(randomBytes(32).toString('base64'));
  const payload = defaultPayloadConverter.toPayload({ profile: kycRecordSchema.parse(testKycRecord()), email: 'bench@example.test' });
  const size = payload.data?.length ?? 0;
  const started = performance.now();
  for (let i = 0; i < rounds; i++) await codec.decode(await codec.encode([payload]));
  const seconds = (performance.now() - started) / 1000;
  return `payload codec: ${rounds} encrypt+decrypt round trips of a ${size}-byte KYC payload in ${seconds.toFixed(2)} s ` +
    `= ${(rounds / seconds).toFixed(0)} round trips/s (${((rounds * size) / seconds / 1024 / 1024).toFixed(1)} MB/s each way)`;
}
