// The service's API as the reference frontend calls it: same origin, the onboarding's accessToken
// as a Bearer token, errors read as RFC 9457 problem details.
import type { OnboardingView } from '../../src/domain/onboarding';

export interface Problem {
  /** The problem type's URI; its last segment names it (e.g. …/onboarding-running). */
  type?: string;
  status: number;
  title?: string;
  detail?: string;
  errors?: Array<{ path: string; message: string }>;
  attemptsLeft?: number;
  retryAfterSeconds?: number;
  onboardingId?: string;
  failureType?: string;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`);
    this.name = 'ApiError';
  }
  get status(): number {
    return this.problem.status;
  }
}

/** No answer at all (offline, the service restarting). */
export class NetworkError extends Error {
  override name = 'NetworkError';
}

export interface Session {
  onboardingId: string;
  accessToken: string;
}

export interface Started extends Session {
  stage: string;
}

export interface LookupItem {
  value: string;
  label: string;
}
export type KycOptions = Record<
  'sourceOfFunds' | 'accountPurposes' | 'mainActivities' | 'financingMethods' | 'incomeSources' | 'openAccountReasons' | 'documentTypes' | 'occupations',
  LookupItem[]
>;

async function request<T>(method: string, path: string, opts: { token?: string; json?: unknown; form?: FormData; headers?: Record<string, string> } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json', ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: BodyInit | undefined;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.form) body = opts.form;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body, credentials: 'omit', cache: 'no-store' });
  } catch {
    throw new NetworkError('The service cannot be reached');
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    const p = (parsed && typeof parsed === 'object' ? parsed : {}) as Partial<Problem>;
    const retry = Number(res.headers.get('retry-after'));
    throw new ApiError({ ...p, status: res.status, ...(Number.isFinite(retry) && retry > 0 ? { retryAfterSeconds: retry } : {}) });
  }
  return parsed as T;
}

const base = (s: Session) => `/onboardings/${encodeURIComponent(s.onboardingId)}`;

export const api = {
  start: (body: { email: string; phoneNumber: string; userType: string }, idempotencyKey: string) =>
    request<Started>('POST', '/onboardings', { json: body, headers: { 'idempotency-key': idempotencyKey } }),
  view: (s: Session) => request<OnboardingView>('GET', base(s), { token: s.accessToken }),
  emailCode: (s: Session, code: string) => request<{ accepted: true }>('POST', `${base(s)}/email-confirmation`, { token: s.accessToken, json: { code } }),
  resendEmailCode: (s: Session) => request<{ accepted: true }>('POST', `${base(s)}/email-confirmation/resend`, { token: s.accessToken }),
  smsCode: (s: Session, code: string) => request<{ accepted: true }>('POST', `${base(s)}/sms-code`, { token: s.accessToken, json: { code } }),
  resendSmsCode: (s: Session) => request<{ accepted: true }>('POST', `${base(s)}/sms-code/resend`, { token: s.accessToken }),
  kycData: (s: Session, record: unknown) => request<{ accepted: true }>('POST', `${base(s)}/kyc-data`, { token: s.accessToken, json: record }),
  redirect: (s: Session, outcome: 'success' | 'fail', query: Record<string, string>) =>
    request<{ accepted: true }>('POST', `${base(s)}/redirects`, { token: s.accessToken, json: { outcome, query } }),
  restartIdentification: (s: Session) => request<{ accepted: true }>('POST', `${base(s)}/identification/restart`, { token: s.accessToken }),
  files: (s: Session, purpose: string, files: File[]) => {
    const form = new FormData();
    form.set('purpose', purpose);
    for (const f of files) form.append('files', f, f.name);
    return request<{ accepted: true }>('POST', `${base(s)}/files`, { token: s.accessToken, form });
  },
  kycOptions: () => request<KycOptions>('GET', '/reference/kyc-options'),
};

/** The onboarding's stream of views where the service has one (GET …/stream); null when it has not. */
export async function openStream(s: Session, lastEventId: string | undefined, signal: AbortSignal): Promise<ReadableStreamDefaultReader<Uint8Array> | null> {
  const headers: Record<string, string> = { accept: 'text/event-stream', authorization: `Bearer ${s.accessToken}` };
  if (lastEventId) headers['last-event-id'] = lastEventId;
  const res = await fetch(`${base(s)}/stream`, { headers, signal, credentials: 'omit', cache: 'no-store' });
  if (!res.ok || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream') || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    if (res.status === 401 || res.status === 403) throw new ApiError({ status: res.status });
    return null;
  }
  return res.body.getReader();
}
