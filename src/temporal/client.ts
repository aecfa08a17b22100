// The Temporal client of the API and the ops tools: one connection (src/temporal/connection.ts:
// TLS, mutual TLS or an API key as configured), the service's data converter.
import { Client } from '@temporalio/client';
import type { TemporalConfig } from '../config';
import { connectTemporalClient } from './connection';
import { createDataConverter } from './data-converter';

export async function createTemporalClient(config: TemporalConfig): Promise<Client> {
  const connection = await connectTemporalClient(config);
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: createDataConverter(config) });
}
