// The tests' one HTTP client for the service's API: JSON in and out, a Bearer token, no redirects
// followed (tests look at them), and the answer's body parsed when it is JSON.
export interface Answer {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked by the tests
  body: any;
  contentType: string;
}

export async function call(
  base: string,
  method: string,
  pathname: string,
  { body, token, headers = {} }: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const h: Record<string, string> = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let payload: RequestInit['body'];
  if (body instanceof FormData) payload = body;
  else if (typeof body === 'string') {
    // Sent as given: malformed JSON is something the tests send on purpose.
    payload = body;
    h['content-type'] ??= 'application/json';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    h['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + pathname, { method, headers: h, body: payload, redirect: 'manual' });
  const text = await res.text();
  const contentType = res.headers.get('content-type') ?? '';
  let parsed: unknown = text;
  if (contentType.includes('json') && text) parsed = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: parsed, contentType };
}
