/**
 * One HTTP call to an API under test: bearer token, JSON body, and the answer parsed as JSON when
 * it says so (problem+json included), else kept as text.
 */
export interface ApiAnswer<T = any> {
  status: number;
  body: T;
  text: string;
}

export async function callApi<T = any>(baseUrl: string, method: string, path: string, options: { token?: string; json?: unknown } = {}): Promise<ApiAnswer<T>> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body: options.json !== undefined ? JSON.stringify(options.json) : undefined });
  const text = await res.text();
  const body = /json/.test(res.headers.get('content-type') ?? '') && text ? (JSON.parse(text) as T) : (text as T);
  return { status: res.status, body, text };
}
