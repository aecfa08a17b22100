// 10nPay's access token: OAuth 2.0 client credentials over mutual TLS (POST {auth}/connect/mtls/token
// with the client certificate in the TLS handshake), cached per worker process until shortly before
// it expires. Concurrent callers share one in-flight request. The token is never logged and never
// appears in a failure message.
import { X509Certificate, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Dispatcher } from 'undici';
import type { TennpayConfig } from '../../config';
import { createPool, send, splitBaseUrl, type TlsOptions } from '../http';
import { malformedResponse } from '../provider-failures';
import { classifyTennpayResponse } from './errors';
import { tokenRequestSchema, tokenResponseSchema, type TokenRequest } from './schemas';

/** What the API client needs from a token source. */
export interface AccessTokenProvider {
  /** A valid access token (cached, or fetched now). */
  getToken(): Promise<string>;
  /** Forgets `token` after the API refused it (401); a newer token already cached is kept. */
  invalidate(token: string): void;
}

/** SHA-1 of the DER certificate, 40 upper-case hex characters (10nPay's thumbprint form field). */
export function certificateThumbprint(certPem: string | Buffer): string {
  const der = new X509Certificate(certPem).raw;
  return createHash('sha1').update(der).digest('hex').toUpperCase();
}

export interface TokenManagerOptions {
  /** TENNPAY_AUTH_URL; the token path /connect/mtls/token is appended. */
  authUrl: string;
  clientId: string;
  /** When set, also sent as HTTP Basic authentication (client_id:client_secret). */
  clientSecret?: string | undefined;
  scope: string;
  /** PEM client certificate and key (presented in the TLS handshake), and the CA to trust. */
  tls: Required<Pick<TlsOptions, 'cert' | 'key'>> & Pick<TlsOptions, 'ca'>;
  /** Refresh this long before expiry (default: 60 s, or a fifth of the lifetime when shorter). */
  refreshMarginMs?: number;
  timeoutMs?: number;
  /** For tests: a clock. */
  now?: () => number;
  /** For tests: a dispatcher instead of the pool built from `tls`. */
  dispatcher?: Dispatcher;
}

/** Reads the configured PEM files (TENNPAY_CLIENT_CERT, TENNPAY_CLIENT_KEY, TENNPAY_CA_CERT). */
export function readTennpayTls(config: Pick<TennpayConfig, 'TENNPAY_CLIENT_CERT' | 'TENNPAY_CLIENT_KEY' | 'TENNPAY_CA_CERT'>): {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
} {
  return {
    cert: readFileSync(config.TENNPAY_CLIENT_CERT),
    key: readFileSync(config.TENNPAY_CLIENT_KEY),
    ...(config.TENNPAY_CA_CERT ? { ca: readFileSync(config.TENNPAY_CA_CERT) } : {}),
  };
}

interface CachedToken {
  token: string;
  /** When to stop using it (expiry minus the margin). */
  refreshAt: number;
}

export class TennpayTokenManager implements AccessTokenProvider {
  private readonly pool: Dispatcher;
  private readonly ownsPool: boolean;
  private readonly tokenPath: string;
  private readonly thumbprint: string;
  private readonly now: () => number;
  private cached: CachedToken | undefined;
  private inFlight: Promise<CachedToken> | undefined;
  /** How many tokens were fetched by this process (for tests and metrics). */
  fetchCount = 0;

  constructor(private readonly options: TokenManagerOptions) {
    const { origin, basePath } = splitBaseUrl(options.authUrl);
    this.tokenPath = `${basePath}/connect/mtls/token`;
    this.thumbprint = certificateThumbprint(options.tls.cert);
    this.ownsPool = !options.dispatcher;
    this.pool = options.dispatcher ?? createPool(origin, options.tls, 2);
    this.now = options.now ?? Date.now;
  }

  static fromConfig(config: TennpayConfig, tls = readTennpayTls(config)): TennpayTokenManager {
    return new TennpayTokenManager({
      authUrl: config.TENNPAY_AUTH_URL,
      clientId: config.TENNPAY_CLIENT_ID,
      clientSecret: config.TENNPAY_CLIENT_SECRET,
      scope: config.TENNPAY_SCOPE,
      tls,
    });
  }

  async getToken(): Promise<string> {
    const cached = this.cached;
    if (cached && this.now() < cached.refreshAt) return cached.token;
    return (await this.refresh()).token;
  }

  invalidate(token: string): void {
    if (this.cached?.token === token) this.cached = undefined;
  }

  /** The form the token endpoint receives (exposed for tests; contains no secret). */
  tokenRequest(): TokenRequest {
    return tokenRequestSchema.parse({
      client_id: this.options.clientId,
      grant_type: 'client_credentials',
      scope: this.options.scope,
      'IdentityServer:MTLS:X509Certificate': this.thumbprint,
    });
  }

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.close();
  }

  private refresh(): Promise<CachedToken> {
    if (!this.inFlight) {
      this.inFlight = this.fetchToken().finally(() => {
        this.inFlight = undefined;
      });
    }
    return this.inFlight;
  }

  private async fetchToken(): Promise<CachedToken> {
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (this.options.clientSecret) {
      const basic = Buffer.from(
        `${encodeURIComponent(this.options.clientId)}:${encodeURIComponent(this.options.clientSecret)}`,
      ).toString('base64');
      headers.authorization = `Basic ${basic}`;
    }
    const started = this.now();
    const outcome = await send(this.pool, {
      provider: 'tennpay',
      operation: 'token',
      method: 'POST',
      path: this.tokenPath,
      headers,
      body: new URLSearchParams(this.tokenRequest()).toString(),
      timeoutMs: this.options.timeoutMs ?? 15_000,
    });
    if (outcome.status < 200 || outcome.status >= 300) {
      throw classifyTennpayResponse('token', outcome);
    }
    const parsed = tokenResponseSchema.safeParse(outcome.body);
    if (!parsed.success) throw malformedResponse('tennpay', 'token', outcome.status, parsed.error.issues);
    this.fetchCount += 1;
    const lifetimeMs = parsed.data.expires_in * 1000;
    const margin = this.options.refreshMarginMs ?? Math.min(60_000, lifetimeMs / 5);
    const entry = { token: parsed.data.access_token, refreshAt: started + lifetimeMs - margin };
    this.cached = entry;
    return entry;
  }
}
