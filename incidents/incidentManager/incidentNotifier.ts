import type { IncidentState } from '../types';

/**
 * Pushes incident lifecycle changes to an external incident manager. Implementations must be
 * idempotent per (incident, kind): the activity calling them is at-least-once.
 */
export type IncidentChange = 'create' | 'update' | 'resolve';

export interface IncidentNotifier {
  readonly name: string;
  notify(change: IncidentChange, state: IncidentState): Promise<void>;
}

/** Fans out to every configured notifier; one failing does not stop the others, but is reported. */
export class CompositeNotifier implements IncidentNotifier {
  readonly name = 'composite';
  constructor(private readonly notifiers: IncidentNotifier[]) {}

  async notify(change: IncidentChange, state: IncidentState): Promise<void> {
    const results = await Promise.allSettled(this.notifiers.map((n) => n.notify(change, state)));
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${this.notifiers[i]!.name}: ${(r.reason as Error).message}`] : []));
    if (failed.length) throw new Error(`incident manager push failed: ${failed.join('; ')}`);
  }
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}, timeoutMs = 5000): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
}
