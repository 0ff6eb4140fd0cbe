import { stringify } from 'safe-stable-stringify';

/**
 * Stable JSON: object keys sorted at every depth, no whitespace (safe-stable-stringify). For plain
 * JSON values this is JSON.stringify with sorted keys; `undefined` members are dropped as
 * JSON.stringify does, so an absent and an undefined field hash the same. Used wherever equal
 * values must hash equally: idempotency (temporal/runClient.ts), the audit chain (audit/).
 */
export function canonicalJson(value: unknown): string {
  return stringify(value ?? null) ?? 'null';
}
