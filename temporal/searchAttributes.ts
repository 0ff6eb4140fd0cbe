import { defineSearchAttributeKey } from '@temporalio/common';

/**
 * Custom search attributes, so runs are filterable in the Temporal UI and listable through
 * visibility (`Runbook = "deploy-service" AND RunStatus = "waiting_approval"`).
 * Pure definitions: workflows import them to upsert values.
 */
export const CopilotKind = defineSearchAttributeKey('CopilotKind', 'KEYWORD');
export const RunbookKey = defineSearchAttributeKey('Runbook', 'KEYWORD');
export const RunStatusKey = defineSearchAttributeKey('RunStatus', 'KEYWORD');
export const RequestedBy = defineSearchAttributeKey('RequestedBy', 'KEYWORD');

/** name → type, as `temporal server start-dev --search-attribute` and the operator API want them. */
export const SEARCH_ATTRIBUTES = {
  CopilotKind: 'Keyword',
  Runbook: 'Keyword',
  RunStatus: 'Keyword',
  RequestedBy: 'Keyword',
} as const;
