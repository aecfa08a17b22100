// How every process reaches Temporal (CONTRACT part 4, "Connection to Temporal"): the worker
// (NativeConnection), the API and the ops CLI (Connection) connect from the same settings, plain
// for the dev server, TLS with a private CA / server name, mutual TLS with a client certificate,
// or Temporal Cloud with an API key. A connection that fails stops the process at start with one
// line saying where it tried to connect and how, never with the key or certificate contents.
import { readFileSync } from 'node:fs';
import { Connection, type TLSConfig } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { TemporalConfig } from '../config';

type ConnectionSettings = Pick<
  TemporalConfig,
  'TEMPORAL_ADDRESS' | 'TEMPORAL_TLS_CA' | 'TEMPORAL_TLS_CERT' | 'TEMPORAL_TLS_KEY' | 'TEMPORAL_TLS_SERVER_NAME' | 'TEMPORAL_API_KEY'
>;

export interface TemporalConnectionOptions {
  address: string;
  /** Absent for a plain connection; TLS is on as soon as any TLS setting or the API key is given. */
  tls?: TLSConfig;
  apiKey?: string;
}

export class TemporalConnectionError extends Error {
  override name = 'TemporalConnectionError';
}

/** The connection options both SDK connection kinds take, read from the settings (PEM files read now). */
export function temporalConnectionOptions(config: ConnectionSettings): TemporalConnectionOptions {
  const tlsWanted = Boolean(
    config.TEMPORAL_TLS_CA || config.TEMPORAL_TLS_CERT || config.TEMPORAL_TLS_KEY || config.TEMPORAL_TLS_SERVER_NAME || config.TEMPORAL_API_KEY,
  );
  const options: TemporalConnectionOptions = { address: config.TEMPORAL_ADDRESS };
  if (tlsWanted) {
    options.tls = {
      ...(config.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: config.TEMPORAL_TLS_SERVER_NAME } : {}),
      ...(config.TEMPORAL_TLS_CA ? { serverRootCACertificate: readFileSync(config.TEMPORAL_TLS_CA) } : {}),
      ...(config.TEMPORAL_TLS_CERT && config.TEMPORAL_TLS_KEY
        ? { clientCertPair: { crt: readFileSync(config.TEMPORAL_TLS_CERT), key: readFileSync(config.TEMPORAL_TLS_KEY) } }
        : {}),
    };
  }
  if (config.TEMPORAL_API_KEY) options.apiKey = config.TEMPORAL_API_KEY;
  return options;
}

/** "127.0.0.1:7233 over mutual TLS (CA from /path)": how a connection was attempted, without secrets. */
export function describeConnection(config: ConnectionSettings): string {
  const o = temporalConnectionOptions(config);
  if (!o.tls) return `${o.address} (plain, no TLS)`;
  const how = [o.tls.clientCertPair ? 'mutual TLS' : 'TLS'];
  how.push(config.TEMPORAL_TLS_CA ? `CA ${config.TEMPORAL_TLS_CA}` : 'system CAs');
  if (config.TEMPORAL_TLS_SERVER_NAME) how.push(`server name ${config.TEMPORAL_TLS_SERVER_NAME}`);
  if (o.apiKey) how.push('API key');
  return `${o.address} (${how.join(', ')})`;
}

const firstLine = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();

function connectionError(config: ConnectionSettings, err: unknown): TemporalConnectionError {
  const tlsWithoutCert = temporalConnectionOptions(config).tls !== undefined && !config.TEMPORAL_TLS_CERT;
  const hint = tlsWithoutCert ? '; if the server requires mutual TLS, set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY' : '';
  return new TemporalConnectionError(`Cannot connect to Temporal at ${describeConnection(config)}: ${firstLine(err)}${hint}`);
}

/** The client connection of the API and the ops CLI; checks the server answers before returning. */
export async function connectTemporalClient(config: ConnectionSettings, { connectTimeoutMs = 10_000 } = {}): Promise<Connection> {
  try {
    return await Connection.connect({ ...temporalConnectionOptions(config), connectTimeout: connectTimeoutMs });
  } catch (err) {
    throw connectionError(config, err);
  }
}

/** The worker's connection (Rust core), from the same settings. */
export async function connectTemporalWorker(config: ConnectionSettings): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect(temporalConnectionOptions(config));
  } catch (err) {
    throw connectionError(config, err);
  }
}
