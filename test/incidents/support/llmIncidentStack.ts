import { startFakeAnthropic, type FakeAnthropic } from '../../chat/support/fakeAnthropic';
import { startFakeLoki, type FakeLoki, type FakeStream } from './fakeLoki';
import { startFakeTempo, type FakeTempo, type FakeTrace } from './fakeTempo';
import { startIncidentStack, type IncidentStack } from './incidentStack';

/**
 * The incident stack with an LLM: the real Prometheus (self-scrape), FAKE Loki and Tempo with the
 * given fixtures, and the FAKE Anthropic server as the provider. Breaker settings keep one test's
 * scripted failures from opening the circuit for the next.
 */
export interface LlmIncidentStack {
  stack: IncidentStack;
  loki: FakeLoki;
  tempo: FakeTempo;
  anthropic: FakeAnthropic;
  close(): Promise<void>;
}

export async function startLlmIncidentStack(name: string, fixtures: { logs: FakeStream[]; traces: FakeTrace[] }, env: Record<string, string> = {}): Promise<LlmIncidentStack> {
  const anthropic = await startFakeAnthropic();
  const loki = await startFakeLoki(fixtures.logs);
  const tempo = await startFakeTempo(fixtures.traces);
  const stack = await startIncidentStack(name, {
    PROMETHEUS_URL: process.env.TEST_PROMETHEUS_URL!,
    LOKI_URL: loki.url,
    TEMPO_URL: tempo.url,
    ANTHROPIC_API_KEY: anthropic.apiKey,
    ANTHROPIC_BASE_URL: anthropic.url,
    LLM_TIMEOUT_MS: '5000',
    LLM_BREAKER_THRESHOLD: '50',
    LLM_BREAKER_HALF_OPEN_MS: '100',
    ...env,
  });
  return {
    stack,
    loki,
    tempo,
    anthropic,
    async close() {
      await stack.close();
      await loki.close();
      await tempo.close();
      await anthropic.close();
    },
  };
}
