/**
 * Time expressions → a normalised range. Relative ranges ("last hour", "past 15 minutes") become a
 * duration (so a cached understanding stays valid as time passes); anchored ones ("since 10:00",
 * "yesterday", "between 9:00 and 10:30") become absolute start/end in epoch ms, computed from the
 * `now` the caller passes (the workflow passes its deterministic clock). Times of day are UTC.
 */
export type TimeRange = { duration: string; seconds: number } | { start: number; end: number };

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

function unitOf(word: string): string | undefined {
  const w = word.toLowerCase();
  if (/^(s|sec|secs|second|seconds)$/.test(w)) return 's';
  if (/^(m|min|mins|minute|minutes)$/.test(w)) return 'm';
  if (/^(h|hr|hrs|hour|hours)$/.test(w)) return 'h';
  if (/^(d|day|days)$/.test(w)) return 'd';
  if (/^(w|wk|wks|week|weeks)$/.test(w)) return 'w';
  return undefined;
}

const NUMBER_WORDS: Record<string, number> = { a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, ten: 10, fifteen: 15, twenty: 20, thirty: 30 };

export interface TimeMatch {
  range: TimeRange;
  text: string;
}

function duration(n: number, unit: string): TimeRange {
  return { duration: `${n}${unit}`, seconds: n * (UNIT_SECONDS[unit] ?? 60) };
}

function clock(h: string, m: string | undefined, ampm: string | undefined): { h: number; m: number } | undefined {
  let hour = Number(h);
  const minute = m ? Number(m) : 0;
  if (ampm?.toLowerCase() === 'pm' && hour < 12) hour += 12;
  if (ampm?.toLowerCase() === 'am' && hour === 12) hour = 0;
  if (hour > 23 || minute > 59) return undefined;
  return { h: hour, m: minute };
}

/** The most recent UTC instant at hh:mm not after `now`. */
function lastAt(now: number, t: { h: number; m: number }): number {
  const d = new Date(now);
  const at = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), t.h, t.m);
  return at <= now ? at : at - 86_400_000;
}

export function parseTimeRange(text: string, now: number): TimeMatch | undefined {
  const between = /\bbetween\s+(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\s+and\s+(\d{1,2})(?::(\d{2}))?\s*(am|pm)?/i.exec(text);
  if (between) {
    const a = clock(between[1]!, between[2], between[3]);
    const b = clock(between[4]!, between[5], between[6]);
    if (a && b) {
      const end = lastAt(now, b);
      let start = lastAt(now, a);
      if (start > end) start -= 86_400_000;
      return { range: { start, end }, text: between[0] };
    }
  }
  const since = /\bsince\s+(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\b/i.exec(text);
  if (since && (since[2] || since[3])) {
    const t = clock(since[1]!, since[2], since[3]);
    if (t) return { range: { start: lastAt(now, t), end: now }, text: since[0] };
  }
  const relative =
    /\b(?:(?:in|over|for|during)\s+)?(?:the\s+)?(?:last|past|previous)\s+(\d+|an?|one|two|three|four|five|six|ten|fifteen|twenty|thirty)?\s*(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|wks?|[smhdw])\b/i.exec(
      text,
    );
  if (relative) {
    const rawN = relative[1]?.toLowerCase();
    const n = rawN === undefined ? 1 : /^\d+$/.test(rawN) ? Number(rawN) : (NUMBER_WORDS[rawN] ?? 1);
    const unit = unitOf(relative[2]!);
    if (unit && n > 0) return { range: duration(n, unit), text: relative[0].trim() };
  }
  const compact = /\b(?:last|past|over|in)\s+(\d+)(s|m|h|d|w)\b/i.exec(text);
  if (compact) return { range: duration(Number(compact[1]), compact[2]!.toLowerCase()), text: compact[0] };
  const ago = /\b(\d+)\s*(minutes?|mins?|hours?|hrs?|days?)\s+ago\b/i.exec(text);
  if (ago) {
    const unit = unitOf(ago[2]!);
    if (unit) return { range: duration(Number(ago[1]), unit), text: ago[0] };
  }
  if (/\byesterday\b/i.test(text)) {
    const d = new Date(now);
    const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - 86_400_000;
    return { range: { start, end: start + 86_400_000 }, text: 'yesterday' };
  }
  // "this morning", "this week", "this month": from the start of the current day / week / month.
  const current = /\bthis\s+(morning|afternoon|evening|week|month)\b/i.exec(text);
  if (current) {
    const d = new Date(now);
    const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    const unit = current[1]!.toLowerCase();
    const start = unit === 'week' ? day - ((d.getUTCDay() + 6) % 7) * 86_400_000 : unit === 'month' ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) : day;
    return { range: { start, end: now }, text: current[0] };
  }
  if (/\btoday\b/i.test(text)) {
    const d = new Date(now);
    return { range: { start: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()), end: now }, text: 'today' };
  }
  if (/\b(right now|currently|at the moment)\b/i.test(text)) return { range: duration(5, 'm'), text: 'now' };
  return undefined;
}

export function encodeTimeRange(range: TimeRange): string {
  return 'duration' in range
    ? JSON.stringify({ duration: range.duration })
    : JSON.stringify({ start: new Date(range.start).toISOString(), end: new Date(range.end).toISOString() });
}

/** Start/end in epoch ms for a stored value; the default window is the last hour. */
export function resolveWindow(value: string | undefined, now: number): { start: number; end: number; seconds: number } {
  if (value) {
    try {
      const parsed = JSON.parse(value) as { duration?: string; start?: string; end?: string };
      if (parsed.duration) {
        const m = /^(\d+)([smhdw])$/.exec(parsed.duration);
        if (m) {
          const seconds = Number(m[1]) * (UNIT_SECONDS[m[2]!] ?? 60);
          return { start: now - seconds * 1000, end: now, seconds };
        }
      }
      if (parsed.start && parsed.end) {
        const start = Date.parse(parsed.start);
        const end = Date.parse(parsed.end);
        if (Number.isFinite(start) && Number.isFinite(end) && end > start) return { start, end, seconds: Math.round((end - start) / 1000) };
      }
    } catch {
      // not a range we wrote: fall back to the default window
    }
  }
  return { start: now - 3_600_000, end: now, seconds: 3600 };
}
