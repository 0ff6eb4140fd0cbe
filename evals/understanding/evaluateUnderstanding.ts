import type { Entity, IntentType } from '../../chat/model/types';
import { understandWithRules } from '../../chat/nlp/ruleEngine';
import type { Utterance } from './utterance';

/**
 * Scores the rules path on a labelled set: intent accuracy, entity precision/recall/F1 (entities
 * canonicalised as "type=value", time ranges as their duration or "anchored"), the per-intent
 * confusion, and false-positive MUTATING intents separately — a WorkflowTrigger, WorkflowCancel, RunPause, RunResume or
 * ApprovalDecision given to a message that meant something else, at or above the chat's confidence
 * threshold (below it the copilot asks instead of acting).
 */
export const NOW = Date.UTC(2026, 10, 21, 14, 30);
export const RUNBOOKS = ['deploy-service', 'restart-service', 'restart-fleet', 'scale-service'];
export const MUTATING: readonly IntentType[] = ['WorkflowTrigger', 'WorkflowCancel', 'RunPause', 'RunResume', 'ApprovalDecision'];
/** CHAT_CONFIDENCE_THRESHOLD's default (config/env.ts). */
export const CONFIDENCE_THRESHOLD = 0.45;

export interface UnderstandingScore {
  n: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  /** gold intent → predicted intent → count */
  confusion: Map<IntentType, Map<IntentType, number>>;
  falseMutating: { text: string; want: IntentType; got: IntentType; confidence: number }[];
  misses: string[];
}

export function canonical(e: Entity): string {
  if (e.type !== 'time_range') return `${e.type}=${e.value}`;
  const v = JSON.parse(e.value) as { duration?: string };
  return `time_range=${v.duration ?? 'anchored'}`;
}

export function scoreUnderstanding(set: readonly Utterance[]): UnderstandingScore {
  let correct = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  const confusion = new Map<IntentType, Map<IntentType, number>>();
  const falseMutating: UnderstandingScore['falseMutating'] = [];
  const misses: string[] = [];
  for (const [text, want, labels] of set) {
    const u = understandWithRules(text, { now: NOW, runbooks: RUNBOOKS });
    const got = u.intent.type;
    const row = confusion.get(want) ?? new Map<IntentType, number>();
    row.set(got, (row.get(got) ?? 0) + 1);
    confusion.set(want, row);
    if (got === want) correct++;
    else misses.push(`intent  "${text}": got ${got} (${u.intent.confidence}), want ${want}`);
    if (got !== want && MUTATING.includes(got) && u.intent.confidence >= CONFIDENCE_THRESHOLD) falseMutating.push({ text, want, got, confidence: u.intent.confidence });
    const gotEntities = new Set(u.entities.filter((e) => !e.fromFocus).map(canonical));
    const wantEntities = new Set(labels.split(' ').filter(Boolean));
    for (const g of gotEntities) {
      if (wantEntities.has(g)) tp++;
      else fp++;
    }
    for (const w of wantEntities) if (!gotEntities.has(w)) fn++;
    const extra = [...gotEntities].filter((g) => !wantEntities.has(g));
    const missing = [...wantEntities].filter((w) => !gotEntities.has(w));
    if (extra.length || missing.length) misses.push(`entity  "${text}": extra [${extra.join(', ')}] missing [${missing.join(', ')}]`);
  }
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { n: set.length, accuracy: correct / set.length, precision, recall, f1, confusion, falseMutating, misses };
}

/** The per-intent confusion as text rows: "<gold>  n  correct  → other predictions". */
export function confusionTable(score: UnderstandingScore): string {
  const rows = [...score.confusion.entries()].sort((a, b) => a[0].localeCompare(b[0]));
  const lines = [`${'intent'.padEnd(20)} ${'n'.padStart(4)} ${'right'.padStart(6)}  confused with`];
  for (const [want, row] of rows) {
    const n = [...row.values()].reduce((a, b) => a + b, 0);
    const right = row.get(want) ?? 0;
    const wrong = [...row.entries()]
      .filter(([g]) => g !== want)
      .sort((a, b) => b[1] - a[1])
      .map(([g, c]) => `${g}×${c}`)
      .join(', ');
    lines.push(`${want.padEnd(20)} ${String(n).padStart(4)} ${String(right).padStart(6)}  ${wrong}`);
  }
  return lines.join('\n');
}
