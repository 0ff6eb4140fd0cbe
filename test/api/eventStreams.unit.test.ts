import type { AddressInfo } from 'node:net';
import http from 'node:http';
import express from 'express';
import pino from 'pino';
import type { EventSubscriptions } from '../../api/deps';
import { EventStreams, eventFrame } from '../../api/eventStreams';
import { streamEvents } from '../../api/routes/runEvents';
import type { StoredEvent } from '../../domain/events';
import { openSse, type SseStream } from './support/sseClient';

/**
 * The per-stream economy of SSE (issue 16: 10 000 streams on one API process): one serialisation
 * per event, one producer check per stream id per interval, and the wire format clients rely on.
 */
function storedEvent(seq: number, type: string, data: Record<string, unknown>): StoredEvent {
  return { streamId: 'run-1', seq, type, data, createdAt: '2026-01-01T00:00:00.000Z' };
}

describe('eventFrame', () => {
  it('writes id, event and one JSON data line whose envelope event data cannot overwrite', () => {
    const frame = eventFrame(storedEvent(7, 'step.started', { stepId: 'a', seq: 99, type: 'forged', note: 'two\nlines' }));
    expect(frame).toBe(
      `id:7\nevent:step.started\ndata:${JSON.stringify({ seq: 7, type: 'step.started', createdAt: '2026-01-01T00:00:00.000Z', stepId: 'a', note: 'two\nlines' })}\n\n`,
    );
    expect(frame.split('\n')).toHaveLength(5); // the data's newline stays escaped inside the JSON
  });

  it('keeps a line break in a type from ending the field early', () => {
    expect(eventFrame(storedEvent(1, 'odd\r\ntype', {}))).toMatch(/^id:1\nevent:odd type\ndata:/);
  });

  it('serialises an event object once however many streams send it', () => {
    let reads = 0;
    const data = Object.defineProperty({}, 'stepId', {
      enumerable: true,
      get: () => {
        reads++;
        return 'a';
      },
    }) as Record<string, unknown>;
    const event = storedEvent(3, 'step.started', data);
    const frames = Array.from({ length: 50 }, () => eventFrame(event));
    expect(new Set(frames).size).toBe(1);
    expect(reads).toBe(1);
    // Another event object (another read from the store) is its own frame.
    eventFrame(storedEvent(3, 'step.started', data));
    expect(reads).toBe(2);
  });
});

describe('EventStreams.producerClosed', () => {
  it('asks once for concurrent callers of one stream id, separately per id', async () => {
    const streams = new EventStreams();
    const asked: string[] = [];
    const check = (id: string) => () => {
      asked.push(id);
      return Promise.resolve(id === 'b');
    };
    const answers = await Promise.all([...Array.from({ length: 20 }, () => streams.producerClosed('a', check('a'), 60_000)), streams.producerClosed('b', check('b'), 60_000)]);
    expect(asked).toEqual(['a', 'b']);
    expect(answers.slice(0, 20).every((closed) => closed === false)).toBe(true);
    expect(answers[20]).toBe(true);
  });

  it('asks again once the answer is older than maxAgeMs, and never keeps a failure', async () => {
    const streams = new EventStreams();
    let calls = 0;
    const failing = () => {
      calls++;
      return Promise.reject(new Error('Temporal unreachable'));
    };
    await expect(streams.producerClosed('a', failing, 60_000)).rejects.toThrow('Temporal unreachable');
    await expect(streams.producerClosed('a', failing, 60_000)).rejects.toThrow('Temporal unreachable');
    expect(calls).toBe(2);

    const answering = () => {
      calls++;
      return Promise.resolve(false);
    };
    await streams.producerClosed('b', answering, 20);
    await streams.producerClosed('b', answering, 20);
    expect(calls).toBe(3);
    await new Promise((r) => setTimeout(r, 30));
    await streams.producerClosed('b', answering, 20);
    expect(calls).toBe(4);
  });
});

describe('streamEvents over HTTP', () => {
  const listeners = new Set<(event: StoredEvent) => void>();
  const fanout: EventSubscriptions = {
    subscribe(_streamId, _afterSeq, listener) {
      listeners.add(listener);
      return { close: () => listeners.delete(listener) };
    },
  };
  const streams = new EventStreams();
  let describes = 0;
  let producerClosed = false;
  let server: http.Server;
  let url: string;
  const open: SseStream[] = [];

  beforeAll(async () => {
    const app = express();
    app.use((_req, res, next) => {
      res.locals.log = pino({ level: 'silent' });
      next();
    });
    app.get('/events', async (req, res) => {
      await streamEvents(
        req,
        res,
        { fanout, streams, heartbeatMs: 1000, closedRunSettleMs: 50 },
        {
          streamId: 'run-1',
          afterSeq: 0,
          closed: false,
          terminalTypes: ['run.completed'],
          isClosed: async () => {
            describes++;
            return producerClosed;
          },
        },
      );
    });
    server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
  });

  afterAll(async () => {
    for (const stream of open) stream.close();
    streams.closeAll();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends the head, heartbeats, and every event to every stream, with one producer check per interval for all', async () => {
    for (let i = 0; i < 10; i++) open.push(await openSse(url, { token: 'unused' }));
    expect(open[0]!.status).toBe(200);
    expect(open[0]!.headers.get('content-type')).toBe('text/event-stream');
    expect(open[0]!.headers.get('x-accel-buffering')).toBe('no');
    expect(open[0]!.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(listeners.size).toBe(10);

    const event = storedEvent(1, 'step.started', { stepId: 'a' });
    for (const listener of listeners) listener(event);
    for (const stream of open) {
      const [received] = await stream.waitFor((events) => events.length === 1, 5000);
      expect(received).toEqual({ id: '1', event: 'step.started', data: JSON.stringify({ seq: 1, type: 'step.started', createdAt: event.createdAt, stepId: 'a' }) });
    }
    // Several heartbeats on every stream; the producer was asked about once per 500 ms
    // (maxAge = heartbeat / 2), not once per stream per heartbeat (10 × 3 or more).
    await Promise.all(open.map((stream) => stream.waitFor(() => stream.comments() >= 3, 5000)));
    expect(describes).toBeGreaterThan(0);
    expect(describes).toBeLessThan(10);
  });

  it('ends every stream once the producer has closed', async () => {
    producerClosed = true;
    await Promise.all(open.map((stream) => stream.ended));
    expect(open.every((stream) => stream.isEnded())).toBe(true);
    expect(listeners.size).toBe(0);
    expect(streams.size).toBe(0);
  });
});
