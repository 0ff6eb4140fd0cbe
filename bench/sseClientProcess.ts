import { openSse, type SseClient } from './sseClients';

/**
 * One process of SSE subscribers for bench/scaleBench.ts, so parsing thousands of streams costs
 * this process's CPU and memory, not the API's. Spawned with an IPC channel; env: SSE_URL, SSE_TOKEN,
 * SSE_COUNT, SSE_CONNECT_CONCURRENCY. Messages: → { type: 'ready', opened, failed, error? } once every
 * connection was tried; ← 'collect' → { type: 'samples', samples } (ms from each bench.ping's sentAt to
 * its arrival here, same host clock); ← 'close' closes every stream and exits.
 */
const url = process.env.SSE_URL!;
const token = process.env.SSE_TOKEN!;
const count = Number(process.env.SSE_COUNT);
const concurrency = Number(process.env.SSE_CONNECT_CONCURRENCY ?? 100);

type ParentMessage = { type: 'collect' } | { type: 'close' };

const clients: SseClient[] = [];
let samples: number[] = [];
let failed = 0;
let firstError: string | undefined;

function onEvent(event: { type: string; data: string }): void {
  if (event.type !== 'bench.ping') return;
  samples.push(Date.now() - (JSON.parse(event.data) as { sentAt: number }).sentAt);
}

async function openAll(): Promise<void> {
  let next = 0;
  // Bounded concurrency: a burst of 10 000 SYNs would overflow the listen backlog, which measures
  // the kernel's accept queue rather than the API.
  const lane = async (): Promise<void> => {
    while (next < count) {
      next++;
      try {
        clients.push(await openSse(url, token, onEvent));
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'collect') {
    process.send!({ type: 'samples', samples });
    samples = [];
  } else {
    for (const client of clients) client.close();
    process.disconnect();
    setTimeout(() => process.exit(0), 100).unref();
  }
});

openAll().then(
  () => process.send!({ type: 'ready', opened: clients.length, failed, ...(firstError ? { error: firstError } : {}) }),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
