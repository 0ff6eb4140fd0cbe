import { ConfigError } from '../config/env';
import { Role, type Principal } from '../domain/roles';
import type { SlackStore } from './slackStore';

/**
 * Who a Slack user is to the copilot. Three sources, in order: SLACK_USERS (configuration, cannot
 * be overridden through the API), the `slack_users` table (admins manage it over
 * /api/v1/slack/users), then SLACK_DEFAULT_ROLE for any other member of the workspace (off unless
 * set; the subject is `slack:<user id>`). Nobody else is anybody: their clicks are refused.
 */
export type SlackUsersMap = ReadonlyMap<string, Principal>;

/** Slack user ids: U… or W… (Enterprise Grid), upper-case letters and digits. */
export const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;

export function parseSlackUsers(spec: string | undefined): SlackUsersMap {
  const out = new Map<string, Principal>();
  if (!spec || spec.trim() === '') return out;
  const problems: string[] = [];
  spec.split(',').forEach((raw, index) => {
    const entry = raw.trim();
    const label = `entry ${index + 1}`;
    const eq = entry.indexOf('=');
    const colon = entry.lastIndexOf(':');
    if (eq <= 0 || colon < eq + 2) return problems.push(`${label} must look like SLACKUSERID=subject:role[+role...]`);
    const userId = entry.slice(0, eq);
    if (!SLACK_USER_ID.test(userId)) return problems.push(`${label}: "${userId}" is not a Slack user id (U… or W…)`);
    if (out.has(userId)) return problems.push(`${label}: ${userId} is listed twice`);
    const roles: Role[] = [];
    for (const name of entry
      .slice(colon + 1)
      .split('+')
      .filter(Boolean)) {
      const role = Role.safeParse(name);
      if (!role.success) return problems.push(`${label}: unknown role "${name}" (viewer, operator, approver, admin)`);
      roles.push(role.data);
    }
    if (roles.length === 0) return problems.push(`${label} has no role`);
    out.set(userId, { sub: entry.slice(eq + 1, colon), roles: [...new Set(roles)] });
  });
  if (problems.length) throw new ConfigError(problems.map((message) => ({ variable: 'SLACK_USERS', message })));
  return out;
}

export interface SlackPrincipal extends Principal {
  /** Where the identity came from, for the audit reason and the README's "who am I" answer. */
  source: 'config' | 'table' | 'default';
}

export class SlackIdentity {
  constructor(
    private readonly users: SlackUsersMap,
    private readonly store: Pick<SlackStore, 'getUser'>,
    private readonly defaultRole: Role | undefined,
  ) {}

  /** Resolved at every action, so a role removed in the table takes effect at the next click. */
  async resolve(slackUserId: string): Promise<SlackPrincipal | undefined> {
    const configured = this.users.get(slackUserId);
    if (configured) return { sub: configured.sub, roles: [...configured.roles], source: 'config' };
    const mapped = await this.store.getUser(slackUserId);
    if (mapped && mapped.roles.length > 0) return { sub: mapped.subject, roles: mapped.roles, source: 'table' };
    if (this.defaultRole && SLACK_USER_ID.test(slackUserId)) return { sub: `slack:${slackUserId}`, roles: [this.defaultRole], source: 'default' };
    return undefined;
  }

  isConfigured(slackUserId: string): boolean {
    return this.users.has(slackUserId);
  }
}
