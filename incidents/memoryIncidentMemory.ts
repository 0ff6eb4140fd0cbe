import type { MemoryService } from '../memory/memoryService';
import type { IncidentMemory, IncidentResolution, SimilarIncident } from './incidentMemory';

/**
 * `IncidentMemory` on the Memory module's long-term tier: a resolved incident becomes one memory of
 * kind `incident`, scoped to its service, whose text is a short summary (title, root cause, fix,
 * whether the fix worked). MemoryService redacts it on the way in and embeds it into whatever
 * vector store it selected (Qdrant, pgvector or the embedded store). `findSimilar` is a memory
 * search filtered by kind (and service when known); the summary's first line names the incident so
 * a hit can be traced back to it.
 */
const FIELD_MAX = 300;
/**
 * Below this cosine a hit is noise, not "the same thing again". With the default hashed embedder,
 * a reworded title of the same incident scores ≈ 0.2–0.3 against the stored summary, unrelated
 * incidents of the same service ≈ 0.0–0.1.
 */
export const MIN_SIMILARITY = 0.15;

export class MemoryIncidentMemory implements IncidentMemory {
  constructor(
    private readonly memory: MemoryService,
    private readonly options: { minScore?: number } = {},
  ) {}

  async findSimilar(text: string, service?: string, limit = 3): Promise<SimilarIncident[]> {
    if (!text.trim()) return [];
    const hits = await this.memory.search({ q: text, kinds: ['incident'], ...(service ? { service } : {}), limit: limit * 2 });
    const minScore = this.options.minScore ?? MIN_SIMILARITY;
    const out: SimilarIncident[] = [];
    const seen = new Set<string>();
    for (const hit of hits) {
      const parsed = parseSummary(hit.text);
      if (!parsed || hit.score < minScore || seen.has(parsed.incidentId)) continue;
      seen.add(parsed.incidentId);
      out.push({ ...parsed, score: hit.score });
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Idempotent (the finalize activity is at-least-once): a second call for the same incident is a no-op. */
  async recordResolution(r: IncidentResolution): Promise<void> {
    const text = summaryOf(r);
    const existing = await this.memory.search({ q: text, kinds: ['incident'], ...(r.service ? { service: r.service } : {}), limit: 5 });
    if (existing.some((h) => parseSummary(h.text)?.incidentId === r.incidentId)) return;
    await this.memory.remember({
      text,
      kind: 'incident',
      ...(r.service ? { scope: { service: r.service } } : {}),
      createdBy: `incident:${r.incidentId}`,
    });
  }
}

function one(text: string): string {
  const flat = text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > FIELD_MAX ? `${flat.slice(0, FIELD_MAX)}…` : flat;
}

/** The memory text: one field per line, so it reads well in context and parses back. */
export function summaryOf(r: IncidentResolution): string {
  const worked = r.fixWorked === undefined ? 'unknown' : r.fixWorked ? 'yes' : 'no';
  return [`Incident ${r.incidentId} [service ${r.service ?? 'unknown'}]: ${one(r.title)}`, `Root cause: ${one(r.rootCause)}`, `Fix: ${one(r.fix)}`, `Fix worked: ${worked}`].join(
    '\n',
  );
}

export function parseSummary(text: string): Omit<SimilarIncident, 'score'> | undefined {
  const head = /^Incident (\S+) \[service ([^\]]*)\]: (.*)$/m.exec(text);
  if (!head) return undefined;
  const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(text)?.[1] ?? '';
  const worked = field('Fix worked');
  const service = head[2]!;
  return {
    incidentId: head[1]!,
    ...(service && service !== 'unknown' ? { service } : {}),
    title: head[3]!,
    rootCause: field('Root cause'),
    fix: field('Fix'),
    ...(worked === 'yes' ? { fixWorked: true } : worked === 'no' ? { fixWorked: false } : {}),
  };
}
