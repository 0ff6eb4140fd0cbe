import { z } from 'zod';
import type { EventStore, NewEvent, StoredEvent } from '../domain/events';
import type { Database, Queryable } from './database';
import { sanitizeJson, sanitizeText } from './sanitize';
import { MAX_EVENT_DATA_BYTES } from '../domain/eventPayload';

/** Per-event cap on serialized `data` (defined in domain/ so workflows can check it too). */
export { MAX_EVENT_DATA_BYTES };
/** NOTIFY channel; the payload is the stream id. */
export const EVENTS_CHANNEL = 'copilot_events';
const MAX_LIST_LIMIT = 10_000;
/** SQLSTATE copilot_append_events and copilot_append_audit raise when the transaction is not read committed. */
export const NOT_READ_COMMITTED = 'CPA01';

/** Thrown (before anything is written) when an append's input is malformed. */
export class EventValidationError extends Error {
  constructor(
    message: string,
    /** The data exceeded MAX_EVENT_DATA_BYTES: callers may retry with a smaller payload. */
    readonly tooLarge = false,
  ) {
    super(message);
    this.name = 'EventValidationError';
  }
}

const StreamId = z.string().min(1).max(200);
const NewEventSchema = z.object({
  type: z.string().min(1).max(200),
  dedupeKey: z.string().min(1).max(1000),
  // z.record rejects arrays, Dates, Maps and primitives: data must be a plain JSON object.
  data: z.record(z.string(), z.unknown()),
});
const ListArgs = z.object({
  afterSeq: z.number().int().min(0),
  limit: z.number().int().min(1).max(MAX_LIST_LIMIT),
});

interface EventRow {
  stream_id: string;
  seq: string | number | bigint; // bigint: pg returns a string, PGlite a number or BigInt
  type: string;
  data: Record<string, unknown>;
  created_at: Date | string;
  dedupe_key?: string;
}

const COLUMNS = 'stream_id, seq, type, data, created_at, dedupe_key';

function toStored(row: EventRow): StoredEvent {
  return {
    streamId: row.stream_id,
    seq: Number(row.seq),
    type: row.type,
    data: row.data,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/**
 * Validates and returns the events as they will be stored: strings and keys sanitised (NUL and
 * lone surrogates become U+FFFD, see sanitize.ts) so an event is never lost to one bad character,
 * and data serialized for the jsonb column.
 */
function validate(streamId: string, events: NewEvent[]): { event: NewEvent; json: string }[] {
  const id = StreamId.safeParse(streamId);
  if (!id.success) throw new EventValidationError('streamId must be a non-empty string of at most 200 characters');
  if (!Array.isArray(events)) throw new EventValidationError('events must be an array');
  return events.map((event, i) => {
    const parsed = NewEventSchema.safeParse(event);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'event'}: ${issue.message}`).join('; ');
      throw new EventValidationError(`event ${i}: ${detail}`);
    }
    const clean: NewEvent = { type: sanitizeText(parsed.data.type), dedupeKey: sanitizeText(parsed.data.dedupeKey), data: {} };
    let json: string;
    try {
      clean.data = sanitizeJson(parsed.data.data) as Record<string, unknown>;
      json = JSON.stringify(clean.data);
    } catch (err) {
      throw new EventValidationError(`event ${i} (${event.type}): data is not JSON-serializable: ${(err as Error).message}`);
    }
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > MAX_EVENT_DATA_BYTES) {
      throw new EventValidationError(`event ${i} (${clean.type}): data is ${bytes} bytes serialized; the limit is ${MAX_EVENT_DATA_BYTES} bytes (256 KiB)`, true);
    }
    return { event: clean, json };
  });
}

/**
 * The durable event log (`run_events`) over either backend.
 *
 * Ordering: every append takes a per-stream transaction-scoped advisory lock before reading
 * max(seq), and holds it until COMMIT. So seq allocation AND commit order are serialised per
 * stream: seq n+1 can only become visible after n is, which is what lets readers treat
 * "I have seen seq n" as "I have seen everything up to n". Different streams never wait on each
 * other (barring a 64-bit hash collision, which only costs a wait).
 *
 * An append is one statement, `copilot_append_events` (migration 2), which does all of that inside
 * the statement's own transaction; the explicit transaction is the fallback for a database whose
 * default isolation is stricter than read committed.
 */
export class SqlEventStore implements EventStore {
  /** Set once the database refused the one-round-trip function (isolation stricter than read committed). */
  private explicitTransaction = false;
  private readonly appendedListeners = new Set<(events: StoredEvent[]) => void>();

  constructor(private readonly db: Database) {}

  /**
   * Calls `cb` with the events of each append this store made, once they are committed (the ones
   * stored before under the same keys included), so an EventFanout in this process can deliver
   * them without waiting for their NOTIFY and a read. Other processes still learn of them by NOTIFY.
   */
  onAppended(cb: (events: StoredEvent[]) => void): () => void {
    this.appendedListeners.add(cb);
    return () => this.appendedListeners.delete(cb);
  }

  async append(streamId: string, input: NewEvent[]): Promise<StoredEvent[]> {
    const validated = validate(streamId, input);
    streamId = sanitizeText(streamId);
    const events = validated.map((v) => v.event);
    const payloads = validated.map((v) => v.json);
    if (events.length === 0) return [];
    const keys = events.map((e) => e.dedupeKey);
    let rows: EventRow[] | undefined;
    if (!this.explicitTransaction) {
      try {
        rows = await this.db.query<EventRow>(`select ${COLUMNS} from copilot_append_events($1, $2, $3, $4, $5)`, [
          streamId,
          events.map((e) => e.type),
          payloads,
          keys,
          EVENTS_CHANNEL,
        ]);
      } catch (err) {
        if ((err as { code?: unknown }).code !== NOT_READ_COMMITTED) throw err;
        // The database's default isolation is stricter than read committed: this store then always
        // takes the explicit transaction below, which sets the level itself.
        this.explicitTransaction = true;
      }
    }
    rows ??= await this.appendInTransaction(streamId, events, payloads);
    const byKey = new Map<string, StoredEvent>();
    for (const row of rows) byKey.set(row.dedupe_key ?? '', toStored(row));
    if (this.appendedListeners.size > 0) {
      // Own objects (the caller may keep the returned ones), delivered after the caller resumes.
      const offered = rows.map(toStored);
      const listeners = [...this.appendedListeners];
      setImmediate(() => {
        for (const cb of listeners) {
          try {
            cb(offered);
          } catch {
            // A listener's failure is its own: the append succeeded, and NOTIFY still wakes readers.
          }
        }
      });
    }
    return events.map((event) => {
      const stored = byKey.get(event.dedupeKey);
      if (!stored) throw new Error(`event with dedupeKey ${event.dedupeKey} vanished during append`);
      return stored;
    });
  }

  /** The same append as copilot_append_events (migration 2), as six round trips. */
  private async appendInTransaction(streamId: string, events: NewEvent[], payloads: string[]): Promise<EventRow[]> {
    return this.db.transaction(async (tx) => {
      // Read committed makes each statement see rows committed while we waited for the lock,
      // even if the server's default isolation level is stricter.
      await tx.query('set transaction isolation level read committed');
      await tx.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [streamId]);
      // The events stored before under these keys and the stream's max(seq), in one round trip: an
      // append sits on the path of every run, chat and approval event (issue #16 latency).
      const existing = await tx.query<EventRow & { max_seq: string | number | bigint }>(
        `select coalesce((select max(seq) from run_events where stream_id = $1), 0) as max_seq, ${COLUMNS.split(', ')
          .map((c) => `e.${c}`)
          .join(', ')}
           from (values (1)) as one (x)
           left join run_events e on e.stream_id = $1 and e.dedupe_key = any($2::text[])`,
        [streamId, events.map((e) => e.dedupeKey)],
      );
      const rows: EventRow[] = existing.filter((row) => row.seq !== null);
      const fresh: { seq: number; type: string; data: string; dedupeKey: string }[] = [];
      const taken = new Set(rows.map((row) => row.dedupe_key ?? ''));
      let seq = Number(existing[0]?.max_seq ?? 0);
      events.forEach((event, i) => {
        if (taken.has(event.dedupeKey)) return; // stored before, or earlier in this same call
        taken.add(event.dedupeKey);
        fresh.push({ seq: ++seq, type: event.type, data: payloads[i] ?? '{}', dedupeKey: event.dedupeKey });
      });
      if (fresh.length > 0) {
        // The NOTIFY rides on the insert (one round trip); per row, but Postgres folds identical
        // notifications of one transaction into one. Delivered at COMMIT, so a woken reader always finds the rows.
        const inserted = await tx.query<EventRow>(
          `with inserted as (
             insert into run_events (stream_id, seq, type, data, dedupe_key)
             select $1, t.seq, t.type, t.data::jsonb, t.dedupe_key
               from unnest($2::bigint[], $3::text[], $4::text[], $5::text[]) as t(seq, type, data, dedupe_key)
             returning ${COLUMNS})
           select inserted.*, pg_notify($6, $1) from inserted`,
          [streamId, fresh.map((f) => f.seq), fresh.map((f) => f.type), fresh.map((f) => f.data), fresh.map((f) => f.dedupeKey), EVENTS_CHANNEL],
        );
        rows.push(...inserted);
      }
      return rows;
    });
  }

  async list(streamId: string, afterSeq: number, limit = 1000): Promise<StoredEvent[]> {
    if (!StreamId.safeParse(streamId).success) throw new EventValidationError('streamId must be a non-empty string');
    const args = ListArgs.safeParse({ afterSeq, limit });
    if (!args.success) {
      throw new EventValidationError(`afterSeq must be an integer >= 0 and limit an integer in 1..${MAX_LIST_LIMIT}`);
    }
    const rows = await this.db.query<EventRow>(`select ${COLUMNS} from run_events where stream_id = $1 and seq > $2 order by seq limit $3`, [streamId, afterSeq, limit]);
    return rows.map(toStored);
  }

  async subscribe(onWake: (streamId: string) => void): Promise<() => Promise<void>> {
    return this.db.listen(EVENTS_CHANNEL, onWake);
  }

  /** Fires after a lost LISTEN connection came back: notifications may have been missed. */
  onReconnect(cb: () => void): () => void {
    return this.db.onReconnect(cb);
  }

  /** Highest seq of a stream, 0 when empty. */
  async lastSeq(streamId: string): Promise<number> {
    return maxSeq(this.db, streamId);
  }
}

async function maxSeq(q: Queryable, streamId: string): Promise<number> {
  const [row] = await q.query<{ max: string | number | bigint }>('select coalesce(max(seq), 0) as max from run_events where stream_id = $1', [streamId]);
  return Number(row?.max ?? 0);
}
