import type { Entity, FocusEntity, Intent } from '../model/types';
import { extractEntities } from './entities';
import { classifyIntent } from './intents';
import { resolveReferences, type LastTurn } from './references';

/**
 * The rule-based understanding: entities, intent, then references resolved from the session's
 * focus. The default path with no API key, and the fallback whenever the LLM is unavailable.
 */
export interface RuleContext {
  now: number;
  focus?: readonly FocusEntity[];
  last?: LastTurn;
  knownServices?: readonly string[];
  runbooks?: readonly string[];
}

export function understandWithRules(text: string, ctx: RuleContext): { intent: Intent; entities: Entity[] } {
  const entities = extractEntities(text, { now: ctx.now, ...(ctx.knownServices ? { knownServices: ctx.knownServices } : {}), ...(ctx.runbooks ? { runbooks: ctx.runbooks } : {}) });
  const { runnerUp: _runnerUp, ...intent } = classifyIntent(text, entities);
  // Approval and cancel words with no run in the text act on the run in focus; nothing to keep.
  const cleaned = intent.type === 'ApprovalDecision' ? entities : entities.filter((e) => e.type !== 'decision');
  return resolveReferences(text, intent, cleaned, ctx.focus ?? [], ctx.last);
}
