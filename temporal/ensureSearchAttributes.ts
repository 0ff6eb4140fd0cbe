import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from './searchAttributes';

type OperatorService = {
  listSearchAttributes(req: { namespace: string }): Promise<{ customAttributes?: Record<string, unknown> | null }>;
  addSearchAttributes(req: { namespace: string; searchAttributes: Record<string, number> }): Promise<unknown>;
};

/**
 * Registers the project's search attributes on a Temporal cluster if they are missing, so workers
 * and API replicas can start against a fresh cluster. The dev server gets them via start-dev flags.
 */
export async function ensureSearchAttributes(connection: { operatorService: unknown }, namespace: string): Promise<void> {
  const operator = connection.operatorService as OperatorService;
  const existing = await operator.listSearchAttributes({ namespace });
  const present = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing: Record<string, number> = {};
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) {
    if (!present.has(name)) missing[name] = temporal.api.enums.v1.IndexedValueType[`INDEXED_VALUE_TYPE_${type.toUpperCase()}` as 'INDEXED_VALUE_TYPE_KEYWORD'];
  }
  if (Object.keys(missing).length === 0) return;
  try {
    await operator.addSearchAttributes({ namespace, searchAttributes: missing });
  } catch (err) {
    // Another replica may have registered them first.
    if (!/already exists/i.test(String((err as Error).message))) throw err;
  }
}
