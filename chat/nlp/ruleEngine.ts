import { ACTING_INTENTS, type Entity, type FocusEntity, type Intent } from '../model/types';
import { extractEntities, type ExtractOptions } from './entities';
import { classifyIntent } from './intents';
import { normaliseTyping } from './normalise';
import { ownText } from './quoted';
import { resolveReferences, type LastTurn } from './references';

/**
 * The rule-based understanding: entities, intent, then references resolved from the session's
 * focus. The default path with no API key, and the fallback whenever the LLM is unavailable.
 *
 * A mutating intent must come from the user's own words: when the whole message reads as one but
 * it contains quoted material (chat/nlp/quoted.ts), the message is classified again without it;
 * if the action was only in the quotes, the message is the question the user asked about them.
 */
export interface RuleContext {
  now: number;
  focus?: readonly FocusEntity[];
  last?: LastTurn;
  knownServices?: readonly string[];
  runbooks?: readonly string[];
}

/** A question about quoted text with nothing else to place it: a general question, answered, not guessed at. */
const QUESTION_ABOUT_QUOTES: Intent = { type: 'GeneralQuery', confidence: 0.6 };

function classifyOwn(text: string, options: ExtractOptions): { intent: Intent; entities: Entity[] } {
  const entities = extractEntities(text, options);
  const { runnerUp: _runnerUp, ...full } = classifyIntent(text, entities);
  if (!ACTING_INTENTS.includes(full.type)) return { intent: full, entities };
  const { own, quoted } = ownText(text);
  if (quoted.length === 0) return { intent: full, entities };
  const ownEntities = extractEntities(own, options);
  const { runnerUp: _r, ...mine } = classifyIntent(own, ownEntities);
  if (ACTING_INTENTS.includes(mine.type)) return { intent: mine, entities: ownEntities };
  // Entities stay those of the user's words: ids named only in quotes do not move into focus.
  return { intent: mine.type === 'Unknown' && own.endsWith('?') ? QUESTION_ABOUT_QUOTES : mine, entities: ownEntities };
}

export function understandWithRules(typed: string, ctx: RuleContext): { intent: Intent; entities: Entity[] } {
  const text = normaliseTyping(typed);
  const options: ExtractOptions = { now: ctx.now, ...(ctx.knownServices ? { knownServices: ctx.knownServices } : {}), ...(ctx.runbooks ? { runbooks: ctx.runbooks } : {}) };
  const { intent, entities } = classifyOwn(text, options);
  // Approval and cancel words with no run in the text act on the run in focus; nothing to keep.
  const cleaned = intent.type === 'ApprovalDecision' ? entities : entities.filter((e) => e.type !== 'decision');
  return resolveReferences(text, intent, cleaned, ctx.focus ?? [], ctx.last);
}

/** True when a mutating intent could only have come from quoted material (the guard for model output). */
export function actsOnlyInQuotes(text: string, options: ExtractOptions): boolean {
  const { own, quoted } = ownText(text);
  if (quoted.length === 0) return false;
  return !ACTING_INTENTS.includes(classifyIntent(own, extractEntities(own, options)).type);
}
