import type { SecretKind } from './detectors';

/**
 * Per-session reversible placeholders: the same value always maps to the same `<EMAIL_1>` within a
 * session, so an LLM can still reason ("mail <EMAIL_1> again") and the reply can be restored for
 * the user who typed the value. The vault itself holds the raw values: it lives only in the
 * short-term tier (TTL) and is never written to Postgres, vectors or logs.
 */
export class PlaceholderVault {
  private readonly byValue = new Map<string, string>();
  private readonly byPlaceholder = new Map<string, string>();
  private readonly counters = new Map<string, number>();

  constructor(entries: Iterable<[placeholder: string, value: string]> = []) {
    for (const [placeholder, value] of entries) this.add(placeholder, value);
  }

  placeholderFor(kind: SecretKind, value: string): string {
    const key = `${kind}\u0000${value}`;
    const known = this.byValue.get(key);
    if (known) return known;
    const n = (this.counters.get(kind) ?? 0) + 1;
    const placeholder = `<${kind}_${n}>`;
    this.add(placeholder, value, kind);
    return placeholder;
  }

  /** Puts the user's own values back into a reply. Unknown placeholders stay as they are. */
  restore(text: string): string {
    return text.replace(/<([A-Z_]+)_(\d+)>/g, (whole) => this.byPlaceholder.get(whole) ?? whole);
  }

  entries(): [string, string][] {
    return [...this.byPlaceholder.entries()];
  }

  get size(): number {
    return this.byPlaceholder.size;
  }

  private add(placeholder: string, value: string, kind?: string): void {
    const parsed = /^<([A-Z_]+)_(\d+)>$/.exec(placeholder);
    const k = kind ?? parsed?.[1] ?? 'SECRET';
    const n = Number(parsed?.[2] ?? 0);
    this.byPlaceholder.set(placeholder, value);
    this.byValue.set(`${k}\u0000${value}`, placeholder);
    this.counters.set(k, Math.max(this.counters.get(k) ?? 0, n));
  }
}
