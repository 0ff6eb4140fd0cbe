import { fanoutLag } from '../observability/metrics';
import { z } from 'zod';
import type { EventStore, StoredEvent } from '../domain/events';
import { silentLogger, type DbLogger } from './database';

export interface EventFanoutOptions {
  /** Safety net: streams with subscribers are re-read this often even without a NOTIFY. */
  pollIntervalMs?: number;
  /** Page size of every `list` call. */
  batchSize?: number;
  /** Register a callback for "notifications may have been lost" (defaults to the store's own). */
  onReconnect?: (cb: () => void) => () => void;
  logger?: DbLogger;
}

export interface FanoutSubscription {
  close(): void;
}

/** What the fanout needs from a store; SqlEventStore also offers `onReconnect` and `onAppended`. */
export type FanoutSource = Pick<EventStore, 'list' | 'subscribe'> & {
  onReconnect?(cb: () => void): () => void;
  /** Events this process appended, once committed: delivered at once to subscribers they continue (`offer`). */
  onAppended?(cb: (events: StoredEvent[]) => void): () => void;
};

interface Subscriber {
  /** Highest seq this subscriber has been given: it next accepts exactly cursor + 1. */
  cursor: number;
  listener: (event: StoredEvent) => void;
  /** catchup: reads its own backlog; live: fed by the stream's shared pump. */
  mode: 'catchup' | 'live';
  closed: boolean;
}

interface Feed {
  streamId: string;
  subs: Set<Subscriber>;
  pumping: boolean;
  /** A wake arrived while pumping: read again once the current pass ends. */
  again: boolean;
  /** In-flight backlog reads by afterSeq, so N subscribers catching up together share queries. */
  reads: Map<number, Promise<StoredEvent[]>>;
  lastSeq: number;
}

const AfterSeq = z.number().int().min(0);

/**
 * Serves many SSE clients from one LISTEN and one read per stream per wake.
 *
 * Correctness rests on the store's ordering guarantee (see SqlEventStore): per stream, seq n+1
 * never becomes visible before n, so any read `seq > x` returns a prefix of what will ever exist
 * after x. Each subscriber keeps a cursor (highest seq delivered) and only ever accepts seq > cursor,
 * so nothing is delivered twice; reads always start at or below a subscriber's cursor, so nothing
 * is skipped.
 *  - A new subscriber first reads its own backlog from its afterSeq (catchup mode; concurrent
 *    reads from the same position are shared). When a page comes back short it has reached the
 *    end of the log and joins the stream's live feed.
 *  - The live feed (one "pump" per stream, never two at once) reads from the lowest cursor of its
 *    live subscribers. A subscriber that joined while a read was in flight, with a cursor below
 *    where that read started, is sent back to catchup rather than given events past a hole.
 *  - Pumps run on NOTIFY for the stream, on every poll tick (a lost NOTIFY only delays), when the
 *    LISTEN connection comes back, and when a subscriber joins live.
 *  - Events appended through the store in this process (run.started from the API; every event in
 *    dev mode, where the worker shares the process) are also offered straight from the append: a
 *    live subscriber takes an offered event only if it is exactly the next one (seq = cursor + 1),
 *    so an offer never skips ahead of an event another writer committed first; those wait for the
 *    pump as before. That saves the NOTIFY round trip and a read on the path of every watcher.
 * Listeners get shared event objects: they must not mutate them.
 */
/** Store-to-delivery delay (the database's clock against ours: on one host, or NTP-synced hosts). */
function observeFanoutLag(event: StoredEvent): void {
  const stored = Date.parse(event.createdAt);
  if (Number.isFinite(stored)) fanoutLag.observe(Math.max(0, (Date.now() - stored) / 1000));
}

export class EventFanout {
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;
  private readonly logger: DbLogger;
  private readonly feeds = new Map<string, Feed>();
  private listening: Promise<void> | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private unregisterReconnect: (() => void) | undefined;
  private unregisterAppended: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly store: FanoutSource,
    private readonly options: EventFanoutOptions = {},
  ) {
    this.pollIntervalMs = z
      .number()
      .int()
      .positive()
      .parse(options.pollIntervalMs ?? 2000);
    this.batchSize = z
      .number()
      .int()
      .positive()
      .parse(options.batchSize ?? 500);
    this.logger = options.logger ?? silentLogger;
  }

  /** Delivers every event of `streamId` with seq > afterSeq, once each, in seq order. */
  subscribe(streamId: string, afterSeq: number, listener: (event: StoredEvent) => void): FanoutSubscription {
    if (this.closed) throw new Error('EventFanout is closed');
    const cursor = AfterSeq.parse(afterSeq);
    this.start();
    let feed = this.feeds.get(streamId);
    if (!feed) {
      feed = { streamId, subs: new Set(), pumping: false, again: false, reads: new Map(), lastSeq: 0 };
      this.feeds.set(streamId, feed);
    }
    const sub: Subscriber = { cursor, listener, mode: 'catchup', closed: false };
    feed.subs.add(sub);
    void this.catchUp(feed, sub);
    const owner = feed;
    return { close: () => this.remove(owner, sub) };
  }

  /** Highest seq delivered to any current subscriber of the stream; undefined without subscribers. */
  lastSeq(streamId: string): number | undefined {
    return this.feeds.get(streamId)?.lastSeq;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.unregisterReconnect?.();
    this.unregisterAppended?.();
    for (const feed of this.feeds.values()) for (const sub of feed.subs) sub.closed = true;
    this.feeds.clear();
    await this.listening;
    await this.unlisten?.().catch((err: unknown) => this.logger.warn({ err }, 'event fanout unlisten failed'));
  }

  /** Lazily, on the first subscriber: ONE store subscription, the poll timer, the reconnect hook. */
  private start(): void {
    if (!this.timer) {
      this.timer = setInterval(() => {
        if (!this.listening) this.listen(); // LISTEN failed earlier: keep trying
        this.wakeAll();
      }, this.pollIntervalMs);
      this.timer.unref(); // polling alone must not keep a process alive
      const register = this.options.onReconnect ?? this.store.onReconnect?.bind(this.store);
      this.unregisterReconnect = register?.(() => this.wakeAll());
      this.unregisterAppended = this.store.onAppended?.((events) => this.offer(events));
    }
    if (!this.listening) this.listen();
  }

  private listen(): void {
    this.listening = this.store
      .subscribe((streamId) => this.wake(streamId))
      .then(
        async (unlisten) => {
          if (this.closed) return void (await unlisten().catch(() => undefined));
          this.unlisten = unlisten;
          this.wakeAll(); // anything appended before LISTEN was active got no NOTIFY to us
        },
        (err: unknown) => {
          this.logger.warn({ err }, 'event fanout could not LISTEN; relying on polling until it can');
          this.listening = undefined;
        },
      );
  }

  private wake(streamId: string): void {
    const feed = this.feeds.get(streamId);
    if (feed) this.pump(feed);
  }

  /** Committed events of one stream, from an append in this process (see the class comment). */
  private offer(events: StoredEvent[]): void {
    const streamId = events[0]?.streamId;
    const feed = streamId === undefined ? undefined : this.feeds.get(streamId);
    if (!feed || !this.isCurrent(feed)) return;
    for (const event of [...events].sort((a, b) => a.seq - b.seq)) {
      let observed = false;
      for (const sub of feed.subs) {
        if (sub.mode !== 'live' || sub.cursor !== event.seq - 1) continue;
        if (!observed) observeFanoutLag(event);
        observed = true;
        this.deliver(feed, sub, event);
      }
    }
  }

  private wakeAll(): void {
    for (const feed of this.feeds.values()) this.pump(feed);
  }

  private remove(feed: Feed, sub: Subscriber): void {
    sub.closed = true;
    feed.subs.delete(sub);
    if (feed.subs.size === 0 && this.feeds.get(feed.streamId) === feed) this.feeds.delete(feed.streamId);
  }

  private isCurrent(feed: Feed): boolean {
    return !this.closed && this.feeds.get(feed.streamId) === feed;
  }

  /** Gives `event` to `sub` unless it already has it. Callers guarantee the read covered sub.cursor. */
  private deliver(feed: Feed, sub: Subscriber, event: StoredEvent): void {
    if (sub.closed || event.seq <= sub.cursor) return;
    sub.cursor = event.seq;
    if (event.seq > feed.lastSeq) feed.lastSeq = event.seq;
    try {
      sub.listener(event);
    } catch (err) {
      this.logger.error({ err, streamId: feed.streamId, seq: event.seq }, 'event fanout listener threw');
    }
  }

  private sharedRead(feed: Feed, afterSeq: number): Promise<StoredEvent[]> {
    let read = feed.reads.get(afterSeq);
    if (!read) {
      const started = this.store.list(feed.streamId, afterSeq, this.batchSize);
      const forget = (): void => {
        if (feed.reads.get(afterSeq) === started) feed.reads.delete(afterSeq);
      };
      started.then(forget, forget);
      feed.reads.set(afterSeq, started);
      read = started;
    }
    return read;
  }

  private async catchUp(feed: Feed, sub: Subscriber): Promise<void> {
    try {
      while (!sub.closed && this.isCurrent(feed)) {
        const batch = await this.sharedRead(feed, sub.cursor);
        if (sub.closed || !this.isCurrent(feed)) return;
        for (const event of batch) this.deliver(feed, sub, event);
        if (batch.length < this.batchSize) break; // reached the end of the log as of that read
      }
    } catch (err) {
      // The live pump reads from the lowest live cursor, so it will retry this backlog on the next wake.
      this.logger.warn({ err, streamId: feed.streamId }, 'event fanout backlog read failed');
    }
    if (sub.closed || !this.isCurrent(feed)) return;
    sub.mode = 'live';
    this.pump(feed); // cover anything appended after its last read, whose NOTIFY it did not wait for
  }

  private pump(feed: Feed): void {
    if (feed.pumping) {
      feed.again = true;
      return;
    }
    feed.pumping = true;
    void this.runPump(feed);
  }

  private async runPump(feed: Feed): Promise<void> {
    try {
      do {
        feed.again = false;
        for (;;) {
          let from: number | undefined;
          for (const sub of feed.subs) if (sub.mode === 'live' && (from === undefined || sub.cursor < from)) from = sub.cursor;
          if (from === undefined || !this.isCurrent(feed)) return;
          const batch = await this.store.list(feed.streamId, from, this.batchSize);
          if (!this.isCurrent(feed)) return;
          const covered: Subscriber[] = [];
          for (const sub of feed.subs) {
            if (sub.mode !== 'live') continue;
            if (sub.cursor >= from) covered.push(sub);
            else {
              sub.mode = 'catchup'; // joined live while this read was in flight, from further back
              void this.catchUp(feed, sub);
            }
          }
          for (const event of batch) {
            // Live path only: a replay after Last-Event-ID would report the age of old events.
            if (covered.length > 0) observeFanoutLag(event);
            for (const sub of covered) this.deliver(feed, sub, event);
          }
          if (batch.length < this.batchSize) break;
        }
      } while (feed.again);
    } catch (err) {
      this.logger.warn({ err, streamId: feed.streamId }, 'event fanout read failed; retrying on next wake or poll');
    } finally {
      // Cleared in the same tick as the last `again` check: a wake landing in between (as it could
      // with a `.finally()` callback one microtask later) would be swallowed until the next poll.
      feed.pumping = false;
    }
  }
}
