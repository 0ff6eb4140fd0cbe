/**
 * Size rules for event data, pure so workflows can apply them before they hand an event to the
 * store (db/eventStore.ts enforces the same cap).
 */

/** Per-event cap on serialized `data`: events travel over SSE and sit in one jsonb row each. */
export const MAX_EVENT_DATA_BYTES = 256 * 1024;

/** A top-level field larger than this (serialized) is replaced by a preview when an event must shrink. */
const MAX_FIELD_CHARS = 4096;
const PREVIEW_CHARS = 1024;

/** UTF-8 length of a string without Buffer/TextEncoder (neither is guaranteed in the workflow sandbox). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

export function eventDataBytes(data: Record<string, unknown>): number {
  return utf8Length(JSON.stringify(data) ?? '');
}

/**
 * The event's data with every oversized top-level field replaced by `{ truncated, chars, preview }`,
 * so identifying fields (runId, stepId, turnId, gateId…) and the event itself survive when the full
 * payload is over the cap. Deterministic: workflows call it on replay too.
 */
export function shrinkEventData(data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { truncated: true };
  for (const [key, value] of Object.entries(data)) {
    const json = JSON.stringify(value);
    out[key] = json !== undefined && json.length > MAX_FIELD_CHARS ? { truncated: true, chars: json.length, preview: json.slice(0, PREVIEW_CHARS) } : value;
  }
  return out;
}
