// The one HTTP primitive both provider clients use: an undici Pool per origin, a per-request
// timeout, the activity's cancellation signal wired into the request, the body read in full and
// parsed as JSON when it is JSON. Transport failures become classified ApplicationFailures.
import { Context } from '@temporalio/activity';
import type { ApplicationFailure } from '@temporalio/common';
import { Pool, type Dispatcher, type FormData } from 'undici';
import { classifyTransportError, type HttpOutcome, type Provider } from './provider-failures';

export interface TlsOptions {
  cert?: string | Buffer;
  key?: string | Buffer;
  ca?: string | Buffer;
}

/** Splits a configured base URL into the origin the Pool connects to and a path prefix. */
export function splitBaseUrl(baseUrl: string): { origin: string; basePath: string } {
  const u = new URL(baseUrl);
  return { origin: u.origin, basePath: u.pathname.replace(/\/+$/, '') };
}

export function createPool(origin: string, tls?: TlsOptions, connections = 16): Pool {
  const connect: Record<string, unknown> = {};
  if (tls?.cert) connect.cert = tls.cert;
  if (tls?.key) connect.key = tls.key;
  if (tls?.ca) connect.ca = tls.ca;
  return new Pool(origin, {
    connections,
    keepAliveTimeout: 10_000,
    ...(Object.keys(connect).length ? { connect } : {}),
  });
}

/**
 * Where one provider is reached: its pool (or an injected dispatcher, for tests), the path prefix
 * of its base URL and the default request timeout. Each provider client holds one.
 */
export class ProviderEndpoint {
  readonly pool: Dispatcher;
  readonly basePath: string;
  readonly timeoutMs: number;
  private readonly ownsPool: boolean;

  constructor(options: { baseUrl: string; tls?: TlsOptions; timeoutMs?: number; dispatcher?: Dispatcher }) {
    const { origin, basePath } = splitBaseUrl(options.baseUrl);
    this.basePath = basePath;
    this.ownsPool = !options.dispatcher;
    this.pool = options.dispatcher ?? createPool(origin, options.tls);
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.close();
  }
}

/**
 * Records a provider call's latency and outcome on the worker's metric meter (exported with the
 * Temporal worker's own metrics on its Prometheus endpoint); a no-op outside an activity.
 */
function recordProviderCall(opts: SendOptions, startedAt: number, outcome: string): void {
  let meter;
  try {
    meter = Context.current().metricMeter;
  } catch {
    return;
  }
  meter
    .createHistogram('provider_call_latency', 'int', 'ms', 'Provider HTTP call latency, by provider, operation and outcome')
    .record(Math.round(performance.now() - startedAt), { provider: opts.provider, operation: opts.operation, outcome });
}

/** The activity's cancellation signal, or undefined outside an activity (tests, API process). */
export function activityCancellationSignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}

export interface SendOptions {
  provider: Provider;
  operation: string;
  method: Dispatcher.HttpMethod;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer | FormData;
  timeoutMs: number;
  /** An extra signal (besides the activity's cancellation) that aborts the request. */
  signal?: AbortSignal;
}

export interface RawOutcome extends HttpOutcome {
  /** The body as received, for callers that forward it (the P100 verification page). */
  raw: Buffer;
  contentType: string | undefined;
}

function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  const text = raw.toString('utf8');
  if (!text.trim()) return undefined;
  if (contentType === undefined || /json/i.test(contentType) || /^\s*[{[]/.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/**
 * Sends one request and reads the whole answer. Throws a classified, retryable ApplicationFailure
 * for timeouts and connection errors, and re-throws the cancellation when the activity was cancelled.
 */
export async function send(pool: Dispatcher, opts: SendOptions): Promise<RawOutcome> {
  const cancel = activityCancellationSignal();
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signals = [timeout, ...(cancel ? [cancel] : []), ...(opts.signal ? [opts.signal] : [])];
  const signal = signals.length === 1 ? timeout : AbortSignal.any(signals);
  const startedAt = performance.now();
  try {
    const res = await pool.request({
      method: opts.method,
      path: opts.path,
      headers: opts.headers ?? {},
      ...(opts.body !== undefined ? { body: opts.body as Dispatcher.DispatchOptions['body'] } : {}),
      signal,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
    });
    const raw = Buffer.from(await res.body.arrayBuffer());
    const ct = res.headers['content-type'];
    const contentType = Array.isArray(ct) ? ct[0] : ct;
    recordProviderCall(opts, startedAt, String(res.statusCode));
    return {
      status: res.statusCode,
      headers: res.headers,
      raw,
      contentType,
      body: parseBody(raw, contentType),
    };
  } catch (err) {
    recordProviderCall(opts, startedAt, cancel?.aborted ? 'cancelled' : timeout.aborted ? 'timeout' : 'transport_error');
    if (cancel?.aborted) throw cancel.reason ?? err;
    if (opts.signal?.aborted && !timeout.aborted) throw opts.signal.reason ?? err;
    throw transportFailure(opts, timeout.aborted ? Object.assign(new Error('timeout'), { name: 'TimeoutError' }) : err);
  }
}

function transportFailure(opts: SendOptions, err: unknown): ApplicationFailure {
  return classifyTransportError(opts.provider, opts.operation, err);
}
