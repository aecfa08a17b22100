// The data converter every worker and client of the service uses: encrypted payloads and failures.
import path from 'node:path';
import type { DataConverter } from '@temporalio/common';
import type { TemporalConfig } from '../config';
import { EncryptionCodec } from './encryption-codec';

export const FAILURE_CONVERTER_PATH = path.join(__dirname, 'failure-converter.js');

export function createDataConverter(config: Pick<TemporalConfig, 'PAYLOAD_ENCRYPTION_KEY' | 'PAYLOAD_ENCRYPTION_OLD_KEYS'>): DataConverter {
  return {
    payloadCodecs: [new EncryptionCodec(config.PAYLOAD_ENCRYPTION_KEY, config.PAYLOAD_ENCRYPTION_OLD_KEYS)],
    failureConverterPath: FAILURE_CONVERTER_PATH,
  };
}
