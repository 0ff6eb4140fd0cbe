import { utf8Length } from './eventPayload';
import type { RunState } from './runState';

/**
 * Size budgets for what steps hand back, pure so activities and workflows share them. A step's
 * output lands in workflow history (its activity result or local-activity marker), in the run state
 * every later step's templates read, and in the workflow's result. Temporal refuses any payload over
 * 2 MB: the SDK then fails the workflow task, which retries without end, so the run wedges and a
 * local step's request is sent again on every retry. Within these budgets no payload gets near it.
 */

/** One step's output, serialized. Matches the event cap (MAX_EVENT_DATA_BYTES). */
export const STEP_OUTPUT_MAX_BYTES = 256 * 1024;

/** The run state a workflow returns (its result, pause/resume answers, the `state` query). */
export const RUN_RESULT_MAX_BYTES = 1024 * 1024;

/** Characters of the serialized output kept as a preview when an output is over its budget. */
const PREVIEW_CHARS = 4096;

/** What an output over its budget becomes: assertions and templates see `truncated` and the size. */
export interface TruncatedOutput {
  truncated: true;
  /** UTF-8 bytes of the output serialized as JSON. */
  bytes: number;
  /** The first characters of that JSON. */
  preview: string;
}

export function jsonBytes(value: unknown): number {
  return utf8Length(JSON.stringify(value) ?? 'null');
}

export function isTruncatedOutput(value: unknown): value is TruncatedOutput {
  return typeof value === 'object' && value !== null && (value as { truncated?: unknown }).truncated === true && typeof (value as { bytes?: unknown }).bytes === 'number';
}

function truncated(json: string, bytes: number): TruncatedOutput {
  return { truncated: true, bytes, preview: json.slice(0, PREVIEW_CHARS) };
}

/** The output itself when it fits `maxBytes` serialized, else a TruncatedOutput. */
export function boundOutput(output: unknown, maxBytes = STEP_OUTPUT_MAX_BYTES): unknown {
  const json = JSON.stringify(output) ?? 'null';
  // Characters ≤ bytes ≤ 3 × characters: count bytes only when the length alone cannot decide.
  if (json.length * 3 <= maxBytes) return output;
  const bytes = utf8Length(json);
  return bytes <= maxBytes ? output : truncated(json, bytes);
}

/** `values` with the largest, one after another, replaced by TruncatedOutput until `total` fits `maxBytes` (or none is left to cut). */
function cutLargest(values: readonly unknown[], total: number, maxBytes: number): unknown[] {
  const sized = values
    .map((value, index) => ({ index, json: value === undefined ? undefined : JSON.stringify(value) }))
    .filter((s): s is { index: number; json: string } => s.json !== undefined && s.json.length > PREVIEW_CHARS)
    .map((s) => ({ ...s, bytes: utf8Length(s.json) }))
    .sort((a, b) => b.bytes - a.bytes || a.index - b.index);
  const out = [...values];
  let remaining = total;
  for (const s of sized) {
    if (remaining <= maxBytes) break;
    const replacement = truncated(s.json, s.bytes);
    out[s.index] = replacement;
    remaining -= s.bytes - jsonBytes(replacement);
  }
  return out;
}

/**
 * `holder` itself when it fits `maxBytes` serialized; else a copy whose largest step outputs are
 * cut first. The state the workflow keeps, and templates read, is not changed.
 */
export function boundStepOutputs<T extends { steps: readonly { output?: unknown }[] }>(holder: T, maxBytes: number): T {
  const total = jsonBytes(holder);
  if (total <= maxBytes) return holder;
  const outputs = cutLargest(
    holder.steps.map((s) => s.output),
    total,
    maxBytes,
  );
  return { ...holder, steps: holder.steps.map((s, i) => (outputs[i] === s.output ? s : { ...s, output: outputs[i] })) };
}

/** A foreach step's item outputs within one step's budget: the largest items are cut first. */
export function boundItems(items: readonly unknown[], maxBytes = STEP_OUTPUT_MAX_BYTES): unknown[] {
  const total = jsonBytes(items);
  return total <= maxBytes ? [...items] : cutLargest(items, total, maxBytes);
}

/** The run state as a workflow hands it out: within RUN_RESULT_MAX_BYTES. */
export function boundRunState(state: RunState, maxBytes = RUN_RESULT_MAX_BYTES): RunState {
  return boundStepOutputs(state, maxBytes);
}
