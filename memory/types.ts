import { z } from 'zod';

/** Shared vocabulary of the memory tiers. Pure types and schemas: no I/O here. */
export const MemoryKind = z.enum(['preference', 'incident', 'runbook-outcome', 'doc', 'note']);
export type MemoryKind = z.infer<typeof MemoryKind>;

/** Who a memory belongs to. `tenant` is fixed to "default" until multi-tenancy exists. */
export interface MemoryScope {
  tenant: string;
  team?: string;
  service?: string;
}

/** A long-term memory as users see it (the text is already redacted). */
export interface MemoryRecord {
  id: string;
  text: string;
  kind: MemoryKind;
  scope: MemoryScope;
  /** 0..1; preferences and incident root causes default high, notes low. */
  importance: number;
  createdBy: string;
  /** Session the memory came from, so forgetting a session forgets what it taught. */
  sessionId?: string;
  createdAt: Date;
  expiresAt: Date;
}

export type TurnRole = 'user' | 'assistant' | 'system' | 'tool';

/** One conversation turn (redacted before it reaches any tier). */
export interface Turn {
  role: TurnRole;
  content: string;
  /** Epoch milliseconds. */
  at: number;
}

/** Something the conversation is about right now: a service, an incident id, a host. */
export interface FocusEntity {
  type: string;
  value: string;
  /** Epoch milliseconds of the last mention. */
  at: number;
}

/** Default importance per kind: what the copilot most needs to get right ranks first. */
export const DEFAULT_IMPORTANCE: Record<MemoryKind, number> = {
  preference: 0.9,
  incident: 0.8,
  'runbook-outcome': 0.7,
  doc: 0.6,
  note: 0.5,
};

export const DEFAULT_TENANT = 'default';
