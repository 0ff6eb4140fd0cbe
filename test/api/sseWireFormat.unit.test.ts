import type { AddressInfo } from 'node:net';
import http from 'node:http';
import net from 'node:net';
import express from 'express';
import pino from 'pino';
import type { EventSubscriptions } from '../../api/deps';
import { EventStreams, eventFrame } from '../../api/eventStreams';
import { streamEvents } from '../../api/routes/runEvents';
import type { StoredEvent } from '../../domain/events';
import { sseStreamsDropped } from '../../observability/metrics';

/**
 * The bytes an SSE stream puts on the wire, read from a raw socket: frames are written straight to
 * the socket as one shared buffer (api/eventStreams.ts `writeFrame`), so the HTTP framing Node would
 * have produced (chunks on HTTP/1.1, a bare body on HTTP/1.0) is ours to get exactly right.
 */
function storedEvent(seq: number, type: string, data: Record<string, unknown>): StoredEvent {
  return { streamId: 'run-1', seq, type, data, createdAt: '2026-01-01T00:00:00.000Z' };
}

const listeners = new Set<(event: StoredEvent) => void>();
const fanout: EventSubscriptions = {
  subscribe(_streamId, _afterSeq, listener) {
    listeners.add(listener);
    return { close: () => listeners.delete(listener) };
  },
};
const streams = new EventStreams({ maxBufferedBytes: 64 * 1024 });
let server: http.Server;
let port: number;

beforeAll(async () => {
  const app = express();
  app.use((_req, res, next) => {
    res.locals.log = pino({ level: 'silent' });
    next();
  });
  app.get('/events', async (req, res) => {
    await streamEvents(req, res, { fanout, streams, heartbeatMs: 60_000 }, { streamId: 'run-1', afterSeq: 0, closed: false, terminalTypes: ['run.completed'] });
  });
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  streams.closeAll();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

interface RawStream {
  socket: net.Socket;
  bytes(): Buffer;
  ended: Promise<void>;
}

async function openRaw(httpVersion: '1.0' | '1.1', read = true): Promise<RawStream> {
  const before = listeners.size;
  const socket = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  let onEnd: () => void;
  // Ended: the connection closed (HTTP/1.0, a dropped stream), or the last chunk arrived (HTTP/1.1
  // keeps the connection open for the next request).
  const ended = new Promise<void>((resolve) => (onEnd = resolve));
  socket.once('close', () => onEnd());
  socket.on('error', () => undefined); // a dropped stream is reset: 'close' follows
  if (read) {
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (Buffer.concat(chunks).subarray(-7).toString('latin1') === '\r\n0\r\n\r\n') onEnd();
    });
  } else socket.pause();
  socket.write(`GET /events HTTP/${httpVersion}\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n`);
  for (let i = 0; i < 200 && listeners.size === before; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(listeners.size).toBe(before + 1);
  return { socket, bytes: () => Buffer.concat(chunks), ended };
}

function publish(event: StoredEvent): void {
  for (const listener of [...listeners]) listener(event);
}

function split(raw: Buffer): { head: string; body: Buffer } {
  const at = raw.indexOf('\r\n\r\n');
  return { head: raw.subarray(0, at).toString('latin1'), body: raw.subarray(at + 4) };
}

/** Decodes a chunked body strictly: every size line must match its data, ending with the last chunk. */
function dechunk(body: Buffer): { data: string; complete: boolean } {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0) return { data: Buffer.concat(parts).toString('utf8'), complete: false };
    const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
    expect(Number.isNaN(size)).toBe(false);
    if (size === 0) {
      expect(body.subarray(lineEnd, lineEnd + 4).toString('latin1')).toBe('\r\n\r\n');
      return { data: Buffer.concat(parts).toString('utf8'), complete: true };
    }
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    expect(body.subarray(lineEnd + 2 + size, lineEnd + 4 + size).toString('latin1')).toBe('\r\n');
    at = lineEnd + 4 + size;
  }
}

const started = storedEvent(1, 'step.started', { stepId: 'a', note: 'déjà vu → 😀' });
const completed = storedEvent(2, 'run.completed', { status: 'succeeded' });

test('HTTP/1.1: every frame is one well-formed chunk (lengths in bytes), and the stream ends with the last chunk', async () => {
  const stream = await openRaw('1.1');
  publish(started);
  publish(completed);
  await stream.ended;
  const { head, body } = split(stream.bytes());
  expect(head).toMatch(/^HTTP\/1\.1 200 OK/);
  expect(head).toMatch(/\r\nTransfer-Encoding: chunked/i);
  expect(dechunk(body)).toEqual({ data: `retry:2000\n\n${eventFrame(started)}${eventFrame(completed)}`, complete: true });
});

test('HTTP/1.0: the body is the frames as they are, and the connection closes at the end', async () => {
  const stream = await openRaw('1.0');
  publish(started);
  publish(completed);
  await stream.ended;
  const { head, body } = split(stream.bytes());
  expect(head).toMatch(/^HTTP\/1\.1 200 OK/);
  expect(head).not.toMatch(/Transfer-Encoding/i);
  expect(body.toString('utf8')).toBe(`retry:2000\n\n${eventFrame(started)}${eventFrame(completed)}`);
});

test('many streams sharing one encoded frame each get the whole of it', async () => {
  const open: RawStream[] = [];
  for (let i = 0; i < 20; i++) open.push(await openRaw('1.1'));
  publish(started);
  publish(completed);
  await Promise.all(open.map((stream) => stream.ended));
  for (const stream of open) stream.socket.destroy();
  for (const stream of open) expect(dechunk(split(stream.bytes()).body).data).toBe(`retry:2000\n\n${eventFrame(started)}${eventFrame(completed)}`);
});

test('a client that stops reading is dropped once more than maxBufferedBytes wait for it, and counted', async () => {
  const dropped = async () => (await sseStreamsDropped.get()).values.find((v) => v.labels.reason === 'slow-client')?.value ?? 0;
  const before = await dropped();
  const reader = await openRaw('1.1');
  const stalled = await openRaw('1.1', false);
  const size = streams.size;
  // 64 KiB frames: the kernel's socket buffers take a few MB before the API has to hold any.
  let seq = 10;
  for (let i = 0; i < 400 && listeners.size === 2; i++) {
    publish(storedEvent(seq++, 'bench.ping', { pad: 'x'.repeat(64 * 1024) }));
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect(listeners.size).toBe(1); // the stalled stream is gone, the reader still subscribed
  stalled.socket.resume(); // a paused socket sees the server's reset only once it reads again
  await stalled.ended;
  expect(streams.size).toBe(size - 1);
  expect(await dropped()).toBe(before + 1);
  publish(storedEvent(seq, 'run.completed', {}));
  await reader.ended;
  expect(dechunk(split(reader.bytes()).body).complete).toBe(true);
}, 30_000);
