import { memoryRetrieval } from '../../observability/metrics';

/**
 * Runs a tier call with a deadline. A slow or failing tier must never fail the turn: the caller
 * gets `{ ok: false }` and marks the context partial. The losing promise is left to settle on its
 * own (its rejection is swallowed so it cannot become an unhandled rejection).
 */
export type Settled<T> = { ok: true; value: T } | { ok: false; reason: string };

export type Tier = 'short' | 'medium' | 'long' | 'embedder';

export async function withDeadline<T>(work: () => Promise<T>, ms: number, label: string, tier: Tier): Promise<Settled<T>> {
  let timer: NodeJS.Timeout | undefined;
  const end = memoryRetrieval.startTimer({ tier });
  const timeout = new Promise<Settled<T>>((resolve) => {
    timer = setTimeout(() => {
      end({ outcome: 'timeout' });
      resolve({ ok: false, reason: `${label}: no answer within ${ms} ms` });
    }, ms);
  });
  const attempt = (async (): Promise<Settled<T>> => {
    try {
      const value = await work();
      end({ outcome: 'ok' });
      return { ok: true, value };
    } catch (err) {
      end({ outcome: 'error' });
      return { ok: false, reason: `${label}: ${err instanceof Error ? err.message : String(err)}` };
    }
  })();
  try {
    return await Promise.race([attempt, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
