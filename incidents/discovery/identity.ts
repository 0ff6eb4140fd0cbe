import { IDENTITY_LABELS } from '../catalogue/families';

/**
 * Which component a series belongs to. Real targets name services by `job`, `app`,
 * `app_kubernetes_io_name`, `service_name`, `container`, `pod` or `instance`, rarely by a `service`
 * label; the first identity label present wins (most specific naming first), unless a catalogue
 * entry fixes the component (`redis` for redis_exporter series).
 */
export interface ServiceSelector {
  label: string;
  value: string;
  /** PromQL matcher, e.g. `job="payments-api"` or `pod=~"payments-api-.*"`. */
  matcher: string;
}

export function componentOf(labels: Record<string, string>, fixed?: string): string | undefined {
  if (fixed) return fixed;
  for (const name of IDENTITY_LABELS) {
    const v = labels[name];
    if (v) return v;
  }
  return undefined;
}

/** `key=value` pairs of a series' identity labels, for evidence text. */
export function identityText(labels: Record<string, string>): string {
  const parts = IDENTITY_LABELS.filter((l) => labels[l]).map((l) => `${l}="${labels[l]}"`);
  const extra = ['mountpoint', 'route', 'http_route', 'uri'].filter((l) => labels[l]).map((l) => `${l}="${labels[l]}"`);
  return [...parts, ...extra].slice(0, 4).join(', ') || '{}';
}

export function escapeValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

function escapeRegex(v: string): string {
  return v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The candidate selectors for a service name: the exact value on every identity label, plus the
 * usual derived forms (pods `<name>-<hash>`, instances `<name>:<port>`). Discovery asks
 * /api/v1/series which of them match anything.
 */
export function candidateSelectors(service: string): ServiceSelector[] {
  const out: ServiceSelector[] = [];
  for (const label of IDENTITY_LABELS) {
    if (label === 'pod') out.push({ label, value: service, matcher: `pod=~"${escapeValue(escapeRegex(service))}-.+"` });
    else if (label === 'instance') out.push({ label, value: service, matcher: `instance=~"${escapeValue(escapeRegex(service))}(:[0-9]+)?"` });
    else out.push({ label, value: service, matcher: `${label}="${escapeValue(service)}"` });
  }
  return out;
}

/** Does a series' label set match the selector (the same test Prometheus applied)? */
export function matchesSelector(labels: Record<string, string>, sel: ServiceSelector): boolean {
  const v = labels[sel.label];
  if (v === undefined) return false;
  if (sel.label === 'pod') return v.startsWith(`${sel.value}-`);
  if (sel.label === 'instance') return v === sel.value || new RegExp(`^${escapeRegex(sel.value)}(:[0-9]+)?$`).test(v);
  return v === sel.value;
}
