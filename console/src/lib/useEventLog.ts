import { useEffect, useState } from 'react';
import { openEventStream } from './eventStream';
import type { StreamEvent } from './types';

/**
 * Every event of one stream, in seq order, live. With `persist`, the events seen so far are kept in
 * sessionStorage: a reload shows them at once and resumes with Last-Event-ID after the last one,
 * so the page neither loses nor repeats anything across reloads (seq is gapless per stream).
 */
export type StreamStatus = 'connecting' | 'open' | 'reconnecting' | 'ended' | 'error';

const MAX_PERSISTED = 2000;

function load(key: string | undefined): StreamEvent[] {
  if (!key) return [];
  try {
    const raw = sessionStorage.getItem(key);
    const parsed = raw ? (JSON.parse(raw) as StreamEvent[]) : [];
    // Only a gapless prefix from seq 1 is trusted; anything else is fetched again.
    return parsed.every((e, i) => e.seq === i + 1) ? parsed : [];
  } catch {
    return [];
  }
}

export function useEventLog(path: string | undefined, persist?: string): { events: StreamEvent[]; status: StreamStatus } {
  const [events, setEvents] = useState<StreamEvent[]>(() => load(persist));
  const [status, setStatus] = useState<StreamStatus>('connecting');

  useEffect(() => {
    if (!path) return;
    const initial = load(persist);
    setEvents(initial);
    let log = initial;
    let pending: StreamEvent[] = [];
    let frame = 0;
    const flush = () => {
      frame = 0;
      const batch = pending;
      pending = [];
      const next = [...log];
      // Seqs only grow (the stream never repeats one); a feed may start anywhere, not only at 1.
      for (const e of batch) if (e.seq > (next[next.length - 1]?.seq ?? 0)) next.push(e);
      log = next;
      setEvents(next);
      if (persist) {
        try {
          sessionStorage.setItem(persist, JSON.stringify(next.length > MAX_PERSISTED ? [] : next));
        } catch {
          // Storage full: the next reload replays from the server instead.
        }
      }
    };
    const close = openEventStream(path, initial[initial.length - 1]?.seq ?? 0, {
      onEvent(e) {
        pending.push(e);
        // One render per animation frame however fast events arrive.
        if (!frame) frame = requestAnimationFrame(flush);
      },
      onStatus: setStatus,
    });
    return () => {
      close();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [path, persist]);

  return { events, status };
}
