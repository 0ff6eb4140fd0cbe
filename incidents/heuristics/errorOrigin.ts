import type { Signal } from '../types';

/**
 * Errors propagate up a call chain: a caller fails because its callee did. In a trace the ORIGIN
 * of an error is a failing span none of whose children fail; the services above it on the path
 * to the root are its callers, whose error rate and latency rise as symptoms. Blaming the origin
 * (and discounting the callers' symptoms) is the usual trace-based root-cause step. Pure: the
 * workflow runs `attributeSymptoms` through formHypotheses.
 */
export interface TraceSpan {
  spanId: string;
  parentSpanId?: string;
  service: string;
  error: boolean;
}

export interface ErrorOrigin {
  service: string;
  /** Services on the path from the origin to the root, nearest first. */
  callers: string[];
}

export function errorOrigins(spans: TraceSpan[]): ErrorOrigin[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const failingParents = new Set(spans.filter((s) => s.error && s.parentSpanId).map((s) => s.parentSpanId!));
  const out: ErrorOrigin[] = [];
  for (const span of spans) {
    if (!span.error || failingParents.has(span.spanId)) continue;
    const callers: string[] = [];
    const seen = new Set<string>([span.spanId]);
    for (let p = span.parentSpanId ? byId.get(span.parentSpanId) : undefined; p && !seen.has(p.spanId); p = p.parentSpanId ? byId.get(p.parentSpanId) : undefined) {
      seen.add(p.spanId);
      if (p.service !== span.service && !callers.includes(p.service)) callers.push(p.service);
    }
    out.push({ service: span.service, callers });
  }
  return out;
}

/** Half of a caller's symptom moves to the origin that explains it. */
const SHARE = 0.5;
const SYMPTOMS: ReadonlySet<Signal['kind']> = new Set(['error_rate', 'latency', 'alert_expr']);

/**
 * Signals whose `explains` names callers: each caller's symptom signals lose half their weight,
 * and the origin gains a signal with that half ("frontend's error rate rose, and it calls
 * inventory"). Signals without `explains` (histories before it existed) pass unchanged.
 */
export function attributeSymptoms(signals: Signal[]): Signal[] {
  const originOf = new Map<string, string>();
  for (const s of signals) for (const caller of s.explains ?? []) if (caller !== s.service && !originOf.has(caller)) originOf.set(caller, s.service);
  if (originOf.size === 0) return signals;
  const out: Signal[] = [];
  for (const s of signals) {
    const origin = originOf.get(s.service);
    if (!origin || !SYMPTOMS.has(s.kind)) {
      out.push(s);
      continue;
    }
    out.push({ ...s, weight: s.weight * (1 - SHARE) });
    out.push({ kind: s.kind, service: origin, weight: s.weight * SHARE, evidenceId: s.evidenceId, text: `caller ${s.service}: ${s.text}` });
  }
  return out;
}
