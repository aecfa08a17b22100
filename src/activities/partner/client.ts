// The P100 Partner API client: one undici Pool for the origin, `x-api-key` on every call, every
// request and response checked with ./schemas.ts, errors classified by P100's errorCode (never by
// the HTTP status alone) in ./errors.ts. File uploads are multipart `files`.
import { FormData, type Dispatcher } from 'undici';
import type { z } from 'zod';
import type { PartnerConfig } from '../../config';
import { ProviderEndpoint, send, type RawOutcome, type TlsOptions } from '../http';
import { checkRequest, malformedResponse } from '../provider-failures';
import { classifyPartnerResponse, parsePartnerError, type PartnerOperation } from './errors';
import {
  addKycFilesResponseSchema,
  addPoaFilesResponseSchema,
  addUserVerificationRequestSchema,
  addUserVerificationResponseSchema,
  createKycVerificationRequestSchema,
  createKycVerificationResponseSchema,
  createUserAccountRequestSchema,
  createUserAccountResponseSchema,
  kycStatusResponseSchema,
  type AddUserVerificationRequest,
  type CreateKycVerificationRequest,
  type CreateUserAccountRequest,
} from './schemas';

export interface PartnerClientOptions {
  /** PARTNER_BASE_URL (may carry a path prefix). */
  baseUrl: string;
  /** PARTNER_API_KEY, sent as `x-api-key`; never logged. */
  apiKey: string;
  tls?: TlsOptions;
  /** Per-request timeout (default 15 s; uploads get twice as long). */
  timeoutMs?: number;
  /** For tests: a dispatcher instead of a pool of its own. */
  dispatcher?: Dispatcher;
}

/** A file to upload: its bytes and type; the name is generic (no personal data). */
export interface UploadFile {
  bytes: Buffer;
  contentType: string;
  filename?: string;
}

export interface VerificationPage {
  status: number;
  contentType: string | undefined;
  body: Buffer;
  /** Where P100 redirects the browser, when it answers with a redirect instead of a page. */
  location?: string;
}

const EXTENSIONS: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'application/pdf': 'pdf' };

export class PartnerClient {
  private readonly endpoint: ProviderEndpoint;

  constructor(private readonly options: PartnerClientOptions) {
    this.endpoint = new ProviderEndpoint(options);
  }

  static fromConfig(config: PartnerConfig, tls?: TlsOptions): PartnerClient {
    return new PartnerClient({ baseUrl: config.PARTNER_BASE_URL, apiKey: config.PARTNER_API_KEY, ...(tls ? { tls } : {}) });
  }

  async close(): Promise<void> {
    await this.endpoint.close();
  }

  // -- calls ------------------------------------------------------------------------------------

  /** Create User Account. Throws PartnerAccountExists (P410) when the externalUserId is taken. */
  async createUserAccount(request: CreateUserAccountRequest): Promise<{ userId: string | null; poaRequiredForExtended: boolean }> {
    const body = checkRequest('partner', 'createUserAccount', createUserAccountRequestSchema, request);
    const res = await this.json('createUserAccount', 'POST', '/v1/user/balances/crypto-and-fiat', body, createUserAccountResponseSchema);
    return { userId: res.userId ?? null, poaRequiredForExtended: res.poaRequiredForExtended };
  }

  /** Method A: Add KYC File. */
  async addKycFiles(externalUserId: string, files: UploadFile[]): Promise<void> {
    await this.multipart('addKycFiles', `/v1/user/kyc-files/${this.seg(externalUserId)}`, files, addKycFilesResponseSchema);
  }

  /** Method B: Create KYC Verification. */
  async createKycVerification(request: CreateKycVerificationRequest): Promise<{ verificationId: string }> {
    const body = checkRequest('partner', 'createKycVerification', createKycVerificationRequestSchema, request);
    return this.json('createKycVerification', 'POST', '/v1/kyc', body, createKycVerificationResponseSchema);
  }

  /**
   * Method B: Redirect to Verification, fetched server-side with the API key (a browser cannot
   * send it). Answers whatever P100 answered, for the HTTP API to forward; only transport failures
   * throw (retryable ProviderUnavailable).
   */
  async fetchVerificationPage(externalUserId: string, verificationId: string, signal?: AbortSignal): Promise<VerificationPage> {
    const outcome = await this.send(
      'getVerificationPage',
      'GET',
      `/v1/kyc/verification/${this.seg(externalUserId)}/${this.seg(verificationId)}`,
      { accept: 'text/html,application/json;q=0.9,*/*;q=0.8' },
      undefined,
      this.endpoint.timeoutMs,
      signal,
    );
    const loc = outcome.headers.location;
    const location = Array.isArray(loc) ? loc[0] : loc;
    return {
      status: outcome.status,
      contentType: outcome.contentType,
      body: outcome.raw,
      ...(location ? { location } : {}),
    };
  }

  /** Method B: Get KYC Status. PartnerKycNotFound (P445/P459) when there is none. */
  async getKycStatus(externalUserId: string): Promise<{ status: string; reason?: string }> {
    const res = await this.json('getKycStatus', 'GET', `/v1/kyc/status/${this.seg(externalUserId)}`, undefined, kycStatusResponseSchema);
    return { status: res.status, ...(res.reason ? { reason: res.reason } : {}) };
  }

  /** Add User Verification. P442 (already verified) is thrown as PartnerAlreadyVerified. */
  async addUserVerification(request: AddUserVerificationRequest): Promise<void> {
    const body = checkRequest('partner', 'addUserVerification', addUserVerificationRequestSchema, request);
    await this.json('addUserVerification', 'POST', '/v1/user/verification', body, addUserVerificationResponseSchema);
  }

  /** Add POA File; `pending` when P100 answered 202 (P211). */
  async addPoaFiles(externalUserId: string, files: UploadFile[]): Promise<{ pending: boolean }> {
    const { status, body } = await this.multipart(
      'addPoaFiles',
      `/v1/user/poa-files/${this.seg(externalUserId)}`,
      files,
      addPoaFilesResponseSchema,
    );
    return { pending: status === 202 || body?.errorCode === 'P211' };
  }

  // -- plumbing ---------------------------------------------------------------------------------

  private seg(value: string): string {
    return encodeURIComponent(value);
  }

  private async json<S extends z.ZodType>(
    operation: PartnerOperation,
    method: Dispatcher.HttpMethod,
    path: string,
    body: unknown,
    schema: S,
  ): Promise<z.output<S>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const outcome = await this.send(operation, method, path, headers, body === undefined ? undefined : JSON.stringify(body));
    return this.check(operation, outcome, schema);
  }

  private async multipart<S extends z.ZodType>(
    operation: PartnerOperation,
    path: string,
    files: UploadFile[],
    schema: S,
  ): Promise<{ status: number; body: z.output<S> }> {
    const form = new FormData();
    files.forEach((f, i) => {
      const name = f.filename ?? `file-${i + 1}.${EXTENSIONS[f.contentType] ?? 'bin'}`;
      form.append('files', new Blob([new Uint8Array(f.bytes)], { type: f.contentType }), name);
    });
    const outcome = await this.send(operation, 'POST', path, { accept: 'application/json' }, form, this.endpoint.timeoutMs * 2);
    return { status: outcome.status, body: this.check(operation, outcome, schema) };
  }

  private check<S extends z.ZodType>(operation: PartnerOperation, outcome: RawOutcome, schema: S): z.output<S> {
    // A 2xx that carries an error code other than an informational P2xx is an error all the same.
    const code = outcome.status < 300 ? parsePartnerError(outcome.body).errorCode : undefined;
    if (outcome.status < 200 || outcome.status >= 300 || (code !== undefined && !/^P2\d\d$/.test(code))) {
      throw classifyPartnerResponse(operation, outcome);
    }
    const parsed = schema.safeParse(outcome.body);
    if (!parsed.success) throw malformedResponse('partner', operation, outcome.status, parsed.error.issues);
    return parsed.data;
  }

  private send(
    operation: PartnerOperation,
    method: Dispatcher.HttpMethod,
    path: string,
    headers: Record<string, string>,
    body: string | FormData | undefined,
    timeoutMs = this.endpoint.timeoutMs,
    signal?: AbortSignal,
  ): Promise<RawOutcome> {
    return send(this.endpoint.pool, {
      provider: 'partner',
      operation,
      method,
      path: `${this.endpoint.basePath}${path}`,
      headers: { ...headers, 'x-api-key': this.options.apiKey },
      ...(body !== undefined ? { body } : {}),
      timeoutMs,
      ...(signal ? { signal } : {}),
    });
  }
}
