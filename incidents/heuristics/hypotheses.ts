import type { Hypothesis, ProposedAction, Signal } from '../types';
import { attributeSymptoms } from './errorOrigin';

/**
 * Deterministic reasoning: signals (each pointing at a service with a weight) are combined per
 * service as independent evidence, confidence = 1 − Π(1 − wᵢ). Human feedback pins (confirmed) or
 * drops (rejected) a hypothesis. Used by the workflow, so this file must stay pure.
 */
export const CONFIDENCE_TARGET = 0.8;

const KIND_LABEL: Record<Signal['kind'], string> = {
  alert_expr: 'alert',
  error_rate: 'error rate',
  latency: 'latency',
  saturation: 'saturation',
  availability: 'availability',
  metrics: 'metrics',
  logs: 'logs',
  traces: 'traces',
  deploys: 'deploy',
  memory: 'memory',
  discovery: 'discovery',
  mcp: 'MCP tool',
};

/**
 * What links a service to THIS incident: the incident's own service and the names its alerts carry
 * (label values, words of the alert expressions). See `linkedSignals`.
 */
export interface BlameLinks {
  service?: string;
  named: string[];
}

/** Context signals: a change or a memory says nothing about an incident by itself. */
const CONTEXT_KINDS: ReadonlySet<Signal['kind']> = new Set(['deploys', 'memory']);

/**
 * Blame only with evidence that links to the alert: a deploy (or a similar past incident) of a
 * service counts only when that service is the incident's, is named by its alerts, or has its own
 * telemetry evidence here (metrics, logs, traces — including being the origin of failing traces
 * its callers show). An unrelated service's run is not a cause.
 */
export function linkedSignals(signals: Signal[], links: BlameLinks): Signal[] {
  const linked = new Set<string>([...(links.service ? [links.service] : []), ...links.named]);
  for (const s of signals)
    if (!CONTEXT_KINDS.has(s.kind) && s.weight > 0) {
      linked.add(s.service);
      for (const c of s.explains ?? []) linked.add(c);
    }
  return signals.filter((s) => !CONTEXT_KINDS.has(s.kind) || linked.has(s.service));
}

/** Names the incident's alerts carry: label values and the identifier-like words of their expressions. */
export function blameLinksOf(service: string | undefined, alerts: { labels: Record<string, string>; expr?: string }[]): BlameLinks {
  const named = new Set<string>();
  for (const a of alerts) {
    for (const [k, v] of Object.entries(a.labels)) if (k !== 'alertname' && k !== 'severity') named.add(v);
    for (const m of (a.expr ?? '').matchAll(/"([^"\\]{1,100})"/g)) named.add(m[1]!);
  }
  return { ...(service ? { service } : {}), named: [...named] };
}

export function formHypotheses(signals: Signal[], previous: Hypothesis[] = [], links?: BlameLinks): Hypothesis[] {
  const byService = new Map<string, Signal[]>();
  for (const s of attributeSymptoms(links ? linkedSignals(signals, links) : signals)) {
    if (!s.service || s.weight <= 0) continue;
    byService.set(s.service, [...(byService.get(s.service) ?? []), s]);
  }
  const out: Hypothesis[] = [];
  for (const [service, list] of byService) {
    // The same finding gathered again in a later round (numbers differ) counts once: the latest wins.
    const unique = [...new Map(list.map((s) => [`${s.kind}:${s.text.replace(/[\d.]+/g, '#')}`, s])).values()].sort((a, b) => b.weight - a.weight);
    const confidence = 1 - unique.reduce((p, s) => p * (1 - Math.min(0.95, s.weight)), 1);
    const kinds = [...new Set(unique.map((s) => KIND_LABEL[s.kind]))];
    const statement = `${service} is the likely cause (${kinds.join(', ')}): ${unique
      .slice(0, 4)
      .map((s) => s.text)
      .join('; ')}`;
    const id = `h-${service}`;
    const prior = previous.find((h) => h.id === id);
    out.push({
      id,
      service,
      statement,
      confidence: round(prior?.feedback === 'confirmed' ? 1 : confidence),
      evidence: [...new Set(unique.map((s) => s.evidenceId))],
      source: 'heuristic',
      ...(prior?.feedback ? { feedback: prior.feedback, ...(prior.feedbackBy ? { feedbackBy: prior.feedbackBy } : {}) } : {}),
    });
  }
  // Keep hypotheses a human gave feedback on even if this round has no signal for them.
  for (const prior of previous) if (prior.feedback && !out.some((h) => h.id === prior.id)) out.push(prior);
  return out.sort((a, b) => rank(b) - rank(a));
}

/**
 * Adds the LLM's hypotheses to the heuristic ones (ids `llm-<service>`, so heuristic ids and their
 * feedback never change). A human verdict on an earlier LLM hypothesis is kept.
 */
export function mergeLlmHypotheses(current: Hypothesis[], llm: Hypothesis[], previous: Hypothesis[] = []): Hypothesis[] {
  const out = current.filter((h) => h.source !== 'llm' || h.feedback);
  for (const h of llm) {
    const prior = previous.find((p) => p.id === h.id) ?? out.find((p) => p.id === h.id);
    const merged: Hypothesis = prior?.feedback
      ? { ...h, confidence: prior.feedback === 'confirmed' ? 1 : h.confidence, feedback: prior.feedback, ...(prior.feedbackBy ? { feedbackBy: prior.feedbackBy } : {}) }
      : h;
    const i = out.findIndex((p) => p.id === h.id);
    if (i >= 0) out[i] = merged;
    else out.push(merged);
  }
  return out.sort((a, b) => rank(b) - rank(a));
}

function rank(h: Hypothesis): number {
  if (h.feedback === 'rejected') return -1;
  return h.confidence;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export function topHypothesis(hypotheses: Hypothesis[]): Hypothesis | undefined {
  return hypotheses.find((h) => h.feedback !== 'rejected');
}

/**
 * Proposals only, from a fixed catalogue: roll back a recent deploy of the suspected service, or
 * restart it. Service names are validated as DNS labels (the runbooks splice them into commands).
 * Nothing here reads free text, so instructions hidden in logs cannot choose an action.
 */
export function proposeActions(top: Hypothesis | undefined, signals: Signal[], environment: string): ProposedAction[] {
  if (!top || !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(top.service)) return [];
  const deploy = signals.find((s) => s.kind === 'deploys' && s.service === top.service && s.runId);
  if (deploy?.runbook === 'deploy-service' && deploy.version) {
    return [
      {
        id: `rollback-${top.service}`,
        runbook: 'deploy-service',
        params: { service: top.service, version: deploy.version, environment },
        reason: `recent deploy ${deploy.runId} of ${top.service} precedes the incident; redeploy the previous version ${deploy.version} (approval still required)`,
      },
      { id: `restart-${top.service}`, runbook: 'restart-service', params: { service: top.service, environment }, reason: `restart ${top.service}` },
    ];
  }
  return [
    {
      id: `restart-${top.service}`,
      runbook: 'restart-service',
      params: { service: top.service, environment },
      reason: `restart ${top.service} (most likely cause, confidence ${top.confidence})`,
    },
  ];
}
