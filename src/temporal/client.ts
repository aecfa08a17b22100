// The Temporal client of the API and the ops tools: one connection, the service's data converter.
import { Client, Connection } from '@temporalio/client';
import type { TemporalConfig } from '../config';
import { createDataConverter } from './data-converter';

export async function createTemporalClient(config: TemporalConfig): Promise<Client> {
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: createDataConverter(config) });
}
