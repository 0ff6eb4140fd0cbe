import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex } from '@noble/hashes/utils';
import { stringify } from 'safe-stable-stringify';
import type { RunbookDefinition, Step } from './runbook';
import { renderTemplate, type TemplateContext } from './template';

/**
 * What an approver approves, bound to a digest. When a gate opens, the run computes the plan the
 * approver is shown: runbook name and version (a content hash of the definition), the resolved
 * params, and the steps the gate guards (those that need it, directly or transitively) with their
 * commands / requests rendered as far as the run knows them. Its digest is sha-256 over the
 * canonical JSON (keys sorted, safe-stable-stringify). A decision that names a different digest was
 * made on a different plan and is refused.
 *
 * Pure JavaScript (@noble/hashes, no TextEncoder, no Node crypto): the workflow computes it, so it
 * replays exactly.
 */
export interface GuardedStep {
  id: string;
  type: Step['type'];
  /** The action with `${{ }}` rendered; the raw template where it needs what is not known yet (later outputs). */
  action?: unknown;
  /** True when `action` is the raw template (rendering needs outputs the run does not have yet). */
  unrendered?: boolean;
}

export interface ApprovalPlan {
  runbook: string;
  /** `sha256:<hex>` of the canonical definition: another definition under the same name is another version. */
  version: string;
  params: Record<string, unknown>;
  gateId: string;
  steps: GuardedStep[];
}

/** UTF-8 bytes without TextEncoder (not guaranteed in the workflow sandbox). */
function utf8Bytes(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}

/** `sha256:<hex>` of the canonical JSON of `value`. */
export function contentDigest(value: unknown): string {
  return `sha256:${bytesToHex(sha256(utf8Bytes(stringify(value) ?? 'null')))}`;
}

export function runbookVersion(definition: RunbookDefinition): string {
  return contentDigest(definition);
}

/** Ids of the steps that need `gateId`, directly or through other steps, in definition order. */
export function guardedStepIds(definition: RunbookDefinition, gateId: string): string[] {
  const guarded = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const step of definition.steps) {
      if (guarded.has(step.id)) continue;
      if (step.needs.some((need) => need === gateId || guarded.has(need))) {
        guarded.add(step.id);
        grew = true;
      }
    }
  }
  return definition.steps.filter((s) => guarded.has(s.id)).map((s) => s.id);
}

/** The part of a step that says what it will do. */
function actionOf(step: Step): unknown {
  switch (step.type) {
    case 'command':
      return { command: step.command, ...(step.env ? { env: step.env } : {}) };
    case 'http':
      return { request: step.request };
    case 'query':
      return { query: step.query };
    case 'runbook':
      return { runbook: step.runbook, params: step.params };
    case 'foreach':
      return { items: step.items, step: step.step };
    case 'wait':
      return { duration: step.duration };
    case 'approval':
      return { approvers: step.approvers, fourEyes: step.fourEyes };
  }
}

export function approvalPlan(definition: RunbookDefinition, params: Record<string, unknown>, gateId: string, ctx: TemplateContext): ApprovalPlan {
  const byId = new Map(definition.steps.map((s) => [s.id, s]));
  const steps = guardedStepIds(definition, gateId).map((id): GuardedStep => {
    const step = byId.get(id)!;
    const raw = actionOf(step);
    try {
      return { id, type: step.type, action: renderTemplate(raw, ctx) };
    } catch {
      return { id, type: step.type, action: raw, unrendered: true };
    }
  });
  return { runbook: definition.name, version: runbookVersion(definition), params, gateId, steps };
}

export function approvalDigest(plan: ApprovalPlan): string {
  return contentDigest(plan);
}
