/** The pasted bearer token lives in sessionStorage only: gone when the tab closes, never in localStorage or a cookie. */
const KEY = 'copilot.token';

export function getToken(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function setToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function clearToken(): void {
  sessionStorage.removeItem(KEY);
}
