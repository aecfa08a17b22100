// The 10nPay API client: one undici Pool per origin, a Bearer token from the token manager, one
// refresh-and-retry on 401, a timeout per request, every request and response checked with the
// schemas of ./schemas.ts, every failure classified by ./errors.ts.
import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import type { TennpayConfig } from '../../config';
import { ProviderEndpoint, send, type RawOutcome, type TlsOptions } from '../http';
import { FailureType } from '../../domain/failures';
import { checkRequest, malformedResponse, providerFailure } from '../provider-failures';
import { classifyTennpayResponse, type TennpayOperation } from './errors';
import {
  addAdditionalDataRequestSchema,
  addAdditionalDataResponseSchema,
  confirmEmailRequestSchema,
  confirmEmailResponseSchema,
  createUserRequestSchema,
  createUserResponseSchema,
  finalizeIdentificationRequestSchema,
  finalizeIdentificationResponseSchema,
  identificationStatusResponseSchema,
  initiateIdentificationRequestSchema,
  initiateIdentificationResponseSchema,
  lookupResponseSchema,
  sendEmailConfirmationRequestSchema,
  sendSmsCodeRequestSchema,
  userStatusResponseSchema,
  verifyPhoneRequestSchema,
  verifyPhoneResponseSchema,
  type AddAdditionalDataRequest,
  type FinalizeIdentificationRequest,
  type IdentificationStatusResponse,
  type InitiateIdentificationRequest,
  type UserStatus,
} from './schemas';
import { readTennpayTls, TennpayTokenManager, type AccessTokenProvider } from './token-manager';

export interface TennpayClientOptions {
  /** TENNPAY_BASE_URL (may carry a path prefix). */
  baseUrl: string;
  /** TENNPAY_MERCHANT_ID, sent with POST /User. */
  merchantId: number;
  tokens: AccessTokenProvider;
  /** The client certificate is presented on API calls too (certificate-bound tokens), and the CA trusted. */
  tls?: TlsOptions;
  /** Per-request timeout (default 15 s). */
  timeoutMs?: number;
  /** For tests: a dispatcher instead of the pool built from `tls`. */
  dispatcher?: Dispatcher;
}

export type LookupKind = 'source-of-funds' | 'account-purpose' | 'main-activity' | 'financing-method';

export class TennpayClient {
  private readonly endpoint: ProviderEndpoint;

  constructor(private readonly options: TennpayClientOptions) {
    this.endpoint = new ProviderEndpoint(options);
  }

  /** Builds the client and its token manager from configuration, reading the PEM files once. */
  static fromConfig(config: TennpayConfig): TennpayClient {
    const tls = readTennpayTls(config);
    return new TennpayClient({
      baseUrl: config.TENNPAY_BASE_URL,
      merchantId: config.TENNPAY_MERCHANT_ID,
      tokens: TennpayTokenManager.fromConfig(config, tls),
      tls,
    });
  }

  get merchantId(): number {
    return this.options.merchantId;
  }

  async close(): Promise<void> {
    await this.endpoint.close();
    const tokens = this.options.tokens as Partial<{ close(): Promise<void> }>;
    if (typeof tokens.close === 'function') await tokens.close();
  }

  // -- calls ------------------------------------------------------------------------------------

  async createUser(email: string): Promise<{ id: number }> {
    const body = checkRequest('tennpay', 'createUser', createUserRequestSchema, { merchantId: this.options.merchantId, email });
    return this.call('createUser', 'POST', '/User', body, createUserResponseSchema);
  }

  async sendEmailConfirmation(id: number, email: string): Promise<void> {
    const body = checkRequest('tennpay', 'sendEmailConfirmation', sendEmailConfirmationRequestSchema, { id, email });
    await this.call('sendEmailConfirmation', 'POST', '/User/email/send-confirmation', body, null);
  }

  async confirmEmail(id: number, token: string): Promise<void> {
    const body = checkRequest('tennpay', 'confirmEmail', confirmEmailRequestSchema, { id, token });
    const res = await this.call('confirmEmail', 'POST', '/User/email/confirm', body, confirmEmailResponseSchema);
    if (res && res.success === false) {
      throw providerFailure('tennpay', 'confirmEmail', FailureType.InvalidCode, 'wrong or expired e-mail code', {
        nonRetryable: true,
        httpStatus: 200,
      });
    }
  }

  async sendSmsCode(id: number, phoneNumber: string): Promise<void> {
    const body = checkRequest('tennpay', 'sendSmsCode', sendSmsCodeRequestSchema, { id, phoneNumber });
    await this.call('sendSmsCode', 'POST', '/User/phone-number/send-code', body, null);
  }

  async resendSmsCode(id: number): Promise<void> {
    await this.call('resendSmsCode', 'POST', `/User/${this.id(id)}/phone-number/resend-code`, undefined, null);
  }

  async verifyPhone(id: number, code: string): Promise<void> {
    const body = checkRequest('tennpay', 'verifyPhone', verifyPhoneRequestSchema, { id, code });
    await this.call('verifyPhone', 'POST', '/User/phone-number/verify', body, verifyPhoneResponseSchema);
  }

  async getUserStatus(id: number): Promise<UserStatus> {
    return this.call('getUserStatus', 'GET', `/User/${this.id(id)}/status`, undefined, userStatusResponseSchema);
  }

  async lookup(kind: LookupKind): Promise<{ label: string; value: string }[]> {
    return this.call('lookup', 'GET', `/User/${kind}`, undefined, lookupResponseSchema);
  }

  async addAdditionalData(request: AddAdditionalDataRequest): Promise<void> {
    const body = checkRequest('tennpay', 'addAdditionalData', addAdditionalDataRequestSchema, request);
    await this.call('addAdditionalData', 'POST', '/User/add-additional-data', body, addAdditionalDataResponseSchema);
  }

  async initiateIdentification(request: InitiateIdentificationRequest): Promise<{ videoIdentificationUrl: string; videoIdentificationStatus?: string | null | undefined }> {
    const body = checkRequest('tennpay', 'initiateIdentification', initiateIdentificationRequestSchema, request);
    return this.call(
      'initiateIdentification',
      'POST',
      '/Enrollment/initiate-external-identification',
      body,
      initiateIdentificationResponseSchema,
    );
  }

  async getIdentificationStatus(id: number, userType: 0 | 1): Promise<IdentificationStatusResponse> {
    return this.call(
      'getIdentificationStatus',
      'GET',
      `/Enrollment/${this.id(id)}/${userType}/true/get-identification-process-status`,
      undefined,
      identificationStatusResponseSchema,
    );
  }

  async finalizeIdentification(request: FinalizeIdentificationRequest): Promise<{ correlationId: string; individualId: number }> {
    const body = checkRequest('tennpay', 'finalizeIdentification', finalizeIdentificationRequestSchema, request);
    return this.call(
      'finalizeIdentification',
      'POST',
      '/Enrollment/finalize-external-identification',
      body,
      finalizeIdentificationResponseSchema,
    );
  }

  // -- plumbing ---------------------------------------------------------------------------------

  private id(id: number): string {
    if (!Number.isInteger(id) || id < 1 || id > 2147483647) {
      throw providerFailure('tennpay', 'request', FailureType.ValidationFailed, 'user id out of range', {
        nonRetryable: true,
      });
    }
    return String(id);
  }

  /**
   * One call: Bearer token, one refresh-and-retry when the API answers 401, the answer classified
   * when it is not 2xx, validated with `schema` when it is (null: the body is ignored, e.g. 204).
   */
  private async call<S extends z.ZodType>(
    operation: TennpayOperation,
    method: Dispatcher.HttpMethod,
    path: string,
    body: unknown,
    schema: S,
  ): Promise<z.output<S>>;
  private async call(
    operation: TennpayOperation,
    method: Dispatcher.HttpMethod,
    path: string,
    body: unknown,
    schema: null,
  ): Promise<void>;
  private async call(
    operation: TennpayOperation,
    method: Dispatcher.HttpMethod,
    path: string,
    body: unknown,
    schema: z.ZodType | null,
  ): Promise<unknown> {
    let outcome = await this.sendWithToken(operation, method, path, body);
    if (outcome.status === 401) {
      this.options.tokens.invalidate(outcome.token);
      outcome = await this.sendWithToken(operation, method, path, body);
    }
    if (outcome.status < 200 || outcome.status >= 300) {
      throw classifyTennpayResponse(operation, outcome);
    }
    if (schema === null) return undefined;
    const parsed = schema.safeParse(outcome.body);
    if (!parsed.success) throw malformedResponse('tennpay', operation, outcome.status, parsed.error.issues);
    return parsed.data;
  }

  private async sendWithToken(
    operation: TennpayOperation,
    method: Dispatcher.HttpMethod,
    path: string,
    body: unknown,
  ): Promise<RawOutcome & { token: string }> {
    const token = await this.options.tokens.getToken();
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const outcome = await send(this.endpoint.pool, {
      provider: 'tennpay',
      operation,
      method,
      path: `${this.endpoint.basePath}${path}`,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      timeoutMs: this.endpoint.timeoutMs,
    });
    return { ...outcome, token };
  }
}
