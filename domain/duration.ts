import { z } from 'zod';

/**
 * Durations in the runbook DSL use Temporal's own string format ("500ms", "2s", "10m", "4h", "1d"),
 * so they can be handed to activity options, sleep() and condition() unchanged.
 */
const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export const Duration = z.string().regex(DURATION_RE, 'must be a duration such as "500ms", "2s", "10m", "4h" or "1d"');
export type Duration = z.infer<typeof Duration>;

export function durationToMs(value: string): number {
  const match = DURATION_RE.exec(value);
  if (!match) throw new Error(`invalid duration "${value}"`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}
