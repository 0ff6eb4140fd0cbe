import type { Connection } from './config';

/**
 * The CLI's HTTP client for the copilot API: bearer token, JSON in and out, and every error answer
 * (RFC 9457 problem+json) turned into an ApiError that quotes the API's detail and its field errors,
 * so the user reads exactly what the API said (`params.version: must match …`).
 */
export interface FieldError {
  path: string;
  message: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(formatProblem(problem));
    this.name = 'ApiError';
  }
}

export function formatProblem(problem: Problem): string {
  const head = `${problem.status} ${problem.title ?? 'Error'}${problem.detail ? `: ${problem.detail}` : ''}`;
  const fields = (problem.errors ?? []).map((e) => `  ${e.path}: ${e.message}`);
  return [head, ...fields].join('\n');
}

export class ApiClient {
  constructor(readonly connection: Connection) {}

  url(path: string): string {
    return `${this.connection.apiUrl}${path}`;
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json', ...extra };
    if (this.connection.token) headers.authorization = `Bearer ${this.connection.token}`;
    return headers;
  }

  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.url(path), {
        method,
        headers: this.headers(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      throw new Error(`cannot reach the copilot API at ${this.connection.apiUrl}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`);
    }
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    const parsed: unknown = /json/.test(type) && text ? JSON.parse(text) : text;
    if (!res.ok) {
      const problem = parsed !== null && typeof parsed === 'object' ? (parsed as Problem) : { status: res.status, title: res.statusText, detail: String(parsed).slice(0, 500) };
      throw new ApiError({ ...problem, status: res.status });
    }
    return parsed as T;
  }

  get<T = unknown>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T = unknown>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, body);
  }
}
