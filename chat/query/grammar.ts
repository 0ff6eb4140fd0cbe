import type { Tree } from '@lezer/common';
import { parser as logqlParser } from '@grafana/lezer-logql';
import { parser as promqlParser } from '@prometheus-io/lezer-promql';
import { parser as traceqlParser } from '@grafana/lezer-traceql';
import type { QueryLanguage } from '../model/types';

/**
 * Every generated query is parsed with the official Lezer grammars (the ones Grafana and the
 * Prometheus UI use) before it may run: a tree with an error node is refused with its position.
 * Lezer recovers from errors instead of throwing, so the check walks the tree.
 */
const PARSERS = { promql: promqlParser, logql: logqlParser, traceql: traceqlParser } as const;

export interface GrammarCheck {
  valid: boolean;
  error?: string;
}

export function checkQuery(language: QueryLanguage, query: string): GrammarCheck {
  if (query.trim() === '') return { valid: false, error: 'empty query' };
  let tree: Tree;
  try {
    tree = PARSERS[language].parse(query);
  } catch (err) {
    return { valid: false, error: (err as Error).message };
  }
  let errorAt: number | undefined;
  tree.iterate({
    enter(node) {
      if (errorAt !== undefined) return false;
      if (node.type.isError) errorAt = node.from;
      return undefined;
    },
  });
  if (errorAt === undefined) return { valid: true };
  return { valid: false, error: `${language} syntax error at column ${errorAt + 1}: …${query.slice(Math.max(0, errorAt - 10), errorAt + 10)}…` };
}
