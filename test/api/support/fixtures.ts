import { RunbookDefinition, type RunbookDocument } from '../../../domain/runbook';
import type { RunbookSource } from '../../../api/deps';

/** Principals and static tokens shared by the API tests (AUTH_TOKENS format). */
export const TOKENS = {
  viewer: 'viewer-token-0001',
  operator: 'operator-token-0001',
  approver: 'approver-token-0001',
  admin: 'admin-token-0001',
  secondAdmin: 'admin-token-0002',
  noRoles: 'norole-token-0001',
} as const;

export const AUTH_TOKENS = [
  `${TOKENS.viewer}=vera:viewer`,
  `${TOKENS.operator}=olga:operator`,
  `${TOKENS.approver}=adam:approver`,
  `${TOKENS.admin}=ada:admin`,
  `${TOKENS.secondAdmin}=alan:admin+approver`,
].join(',');

/** A catalogue runbook with one required parameter. */
export const deployService: RunbookDocument = {
  name: 'deploy-service',
  description: 'Deploys a service (test fixture: only waits).',
  params: {
    version: { type: 'string', required: true, pattern: '^v\\d+$' },
    replicas: { type: 'integer', default: 2, minimum: 1, maximum: 10 },
  },
  steps: [{ id: 'pause', type: 'wait', duration: '200ms' }],
};

export const quickWait: RunbookDocument = {
  name: 'quick-wait',
  description: 'Waits briefly.',
  steps: [{ id: 'pause', type: 'wait', duration: '100ms' }],
};

/** A stand-in for runbooks/RunbookCatalogue: the API only needs list/get/names. */
export function catalogueOf(documents: RunbookDocument[]): RunbookSource {
  const definitions = new Map(documents.map((doc) => [doc.name, RunbookDefinition.parse(doc)]));
  return {
    list: () => [...definitions.values()].map((d) => ({ name: d.name, description: d.description, params: d.params, steps: d.steps.length })),
    get: (name) => definitions.get(name),
    names: () => [...definitions.keys()],
  };
}
