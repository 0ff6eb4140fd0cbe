import { getToken } from './token';

/** One `errors[]` entry of an RFC 9457 problem (api/problem.ts): the field path and why. */
export interface FieldError {
  path: string;
  message: string;
}

/** A non-2xx answer, carrying the API's problem+json so pages can show it next to the right field. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: FieldError[] = [],
  ) {
    super(detail || title || `HTTP ${status}`);
  }

  /** The message for one field: `params.version` matches `params.version` and `params.version.x`. */
  fieldError(path: string): string | undefined {
    return this.errors.find((e) => e.path === path || e.path.startsWith(`${path}.`))?.message;
  }
}

export const API = '/api/v1';

function asFieldErrors(value: unknown): FieldError[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((e: unknown) => {
    if (e === null || typeof e !== 'object') return [];
    const { path, message } = e as { path?: unknown; message?: unknown };
    return typeof path === 'string' && typeof message === 'string' ? [{ path, message }] : [];
  });
}

export async function apiFetch<T>(path: string, init: { method?: string; json?: unknown; accept?: string; token?: string } = {}): Promise<T> {
  const token = init.token ?? getToken();
  const headers: Record<string, string> = { accept: init.accept ?? 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${API}${path}`, {
    method: init.method ?? (init.json !== undefined ? 'POST' : 'GET'),
    headers,
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
  });
  const type = res.headers.get('content-type') ?? '';
  if (!res.ok) {
    if (type.includes('json')) {
      const body = (await res.json()) as { title?: unknown; detail?: unknown; errors?: unknown };
      const text = (v: unknown) => (typeof v === 'string' ? v : '');
      throw new ApiError(res.status, text(body.title), text(body.detail), asFieldErrors(body.errors));
    }
    throw new ApiError(res.status, res.statusText, await res.text());
  }
  if (res.status === 204) return undefined as T;
  return (type.includes('json') ? await res.json() : await res.text()) as T;
}

export const apiPost = <T>(path: string, json: unknown = {}): Promise<T> => apiFetch<T>(path, { method: 'POST', json });
