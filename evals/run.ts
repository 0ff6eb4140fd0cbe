/**
 * `npm run evals`: the published figures. Runs on a fresh machine with no keys: only the Debian
 * `prometheus` and `promtool` are needed (scripts/test.sh installs them); without them the
 * Prometheus parts say so and the rest still prints.
 *
 * 1. Understanding: the rules path on the labelled set's tuning and held-out parts — intent
 *    accuracy, entity precision/recall/F1, false-positive mutating intents, per-intent confusion —
 *    and every generated query parsed, the PromQL ones executed against a real Prometheus.
 * 2. Scenarios: the heuristic investigation path on telemetry in other conventions (OTel,
 *    Micrometer, redis/postgres/node exporters; evals/scenarios/telemetryScenarios.ts), backfilled
 *    into a real Prometheus: right component, right cause, queries spent, time to first hypothesis.
 * 3. Live faults: real faults on real exporters and our OTel-instrumented demo system, through the
 *    real Prometheus → Alertmanager → webhook into a running copilot (evals/live/): right
 *    component and cause, webhook → first hypothesis, queries spent. Skipped, with the reason, when
 *    a Debian package is missing or not root.
 * 4. LLM path: per configured provider (none configured: skipped, said so): the understanding of
 *    the held-out part, and the investigation scenarios through the incident's LLM hypothesis step.
 */
import { execFileSync } from 'node:child_process';
import { PrometheusClient } from '../adapters/prometheusClient';
import { Grounding } from '../chat/query/grounding';
import { seriesOpenMetrics, startBackfilledPrometheus, type BackfilledPrometheus } from '../test/incidents/support/backfilledPrometheus';
import { confusionTable, scoreUnderstanding, type UnderstandingScore } from './understanding/evaluateUnderstanding';
import { checkGeneratedQueries } from './understanding/checkQueries';
import { HELD_OUT_UTTERANCES } from './understanding/heldOut';
import { TUNING_UTTERANCES } from './understanding/tuning';
import { runTelemetryScenarios, telemetryData } from './scenarios/telemetryScenarios';
import { scoreLlmUnderstanding } from './understanding/llmUnderstanding';
import { fakeInvestigator, runLlmTelemetryScenarios } from './scenarios/llmScenarios';
import { HYPOTHESES_TOOL } from '../incidents/llmHypotheses';
import { loadConfig } from '../config/env';
import { startFakeAnthropic, type FakeAnthropic } from '../test/chat/support/fakeAnthropic';
import { runLiveEval } from './live/liveEval';
import { liveTable } from './live/liveScenarios';

const out = (line = '') => process.stdout.write(`${line}\n`);
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

function has(binary: string): boolean {
  try {
    execFileSync(binary, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function scoreRow(name: string, s: UnderstandingScore): string {
  return `| ${name} | ${s.n} | ${pct(s.accuracy)} | ${s.precision.toFixed(3)} | ${s.recall.toFixed(3)} | ${s.f1.toFixed(3)} | ${s.falseMutating.length} |`;
}

async function main(): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  const pivot = now - 40 * 60;
  let prom: BackfilledPrometheus | undefined;
  if (has('prometheus') && has('promtool')) prom = await startBackfilledPrometheus(seriesOpenMetrics(telemetryData(pivot), pivot - 3600, now - 300));
  try {
    out('## Understanding (rules path)');
    out();
    const tuning = scoreUnderstanding(TUNING_UTTERANCES);
    const held = scoreUnderstanding(HELD_OUT_UTTERANCES);
    out('| part | utterances | intent accuracy | entity precision | entity recall | entity F1 | false mutating |');
    out('|---|---|---|---|---|---|---|');
    out(scoreRow('tuning', tuning));
    out(scoreRow('held-out (never tuned on)', held));
    out();
    out('False-positive mutating intents (WorkflowTrigger / WorkflowCancel / ApprovalDecision at or above the confidence threshold):');
    for (const f of [...tuning.falseMutating, ...held.falseMutating]) out(`- "${f.text}": ${f.got} (${f.confidence}), meant ${f.want}`);
    if (tuning.falseMutating.length + held.falseMutating.length === 0) out('- none');
    out();
    out('Per-intent confusion, held-out part:');
    out('```');
    out(confusionTable(held));
    out('```');
    out('Per-intent confusion, tuning part:');
    out('```');
    out(confusionTable(tuning));
    out('```');
    const client = prom ? new PrometheusClient({ url: prom.url, timeoutMs: 5000 }) : undefined;
    const grounding = new Grounding(client ? { prometheus: client } : {});
    const queries = await checkGeneratedQueries([...TUNING_UTTERANCES, ...HELD_OUT_UTTERANCES], grounding, client);
    out(
      `Generated queries: ${queries.generated}, failing the grammar: ${queries.invalid.length}; PromQL executed against the real Prometheus: ${client ? `${queries.promqlRun}, failed: ${queries.promqlFailed.length}` : 'skipped (prometheus not installed)'}`,
    );
    for (const q of [...queries.invalid, ...queries.promqlFailed].slice(0, 10)) out(`- "${q.text}": ${q.query} — ${q.error ?? 'invalid'}`);
    out();

    out('## Scenarios (heuristic path, telemetry in other conventions)');
    out();
    if (!prom) {
      out('skipped: the Debian `prometheus` and `promtool` are not installed (apt-get install prometheus)');
    } else {
      const rows = await runTelemetryScenarios(prom.url, pivot, now);
      out('| scenario | what | expected | top hypothesis | confidence | component | cause | queries | gather → hypothesis |');
      out('|---|---|---|---|---|---|---|---|---|');
      for (const r of rows)
        out(
          `| ${r.id} | ${r.what} | ${r.expected} | ${r.got} | ${r.confidence} | ${r.componentRight ? 'right' : 'WRONG'} | ${r.causeRight ? 'right' : 'WRONG'} | ${r.queries} | ${r.ms.toFixed(0)} ms |`,
        );
      const right = rows.filter((r) => r.componentRight && r.causeRight).length;
      out();
      out(`${right}/${rows.length} with the right component and cause. Our own set: a regression guard, not an accuracy claim.`);
    }
    out();
    out('## Live faults (heuristic path, real exporters, faults injected for real)');
    out();
    const live = await runLiveEval((line) => process.stderr.write(`live: ${line}\n`));
    if ('skipped' in live) out(`skipped: ${live.skipped}`);
    else {
      for (const line of liveTable(live.rows)) out(line);
      out();
      out(
        `${live.rows.filter((r) => r.right).length}/${live.rows.length} with the right component and cause within 40 s of the webhook (a check at the alert, then rechecks every 3 s)${live.rows.some((r) => r.notRun) ? '; "not run": the host was too busy from outside the lab to attribute the fault' : ''}; our own lab: a regression guard, not an accuracy claim.`,
      );
    }
    out();
    out('## LLM path');
    out();
    // `--fake-llm`: the FAKE Anthropic Messages API (test/chat/support/fakeAnthropic.ts), answering
    // every classification "GeneralQuery": it proves the harness drives a provider, nothing more.
    let fake: FakeAnthropic | undefined;
    const env: Record<string, string | undefined> = { ...process.env };
    if (process.argv.includes('--fake-llm')) {
      fake = await startFakeAnthropic();
      fake.fallback = (body: Parameters<typeof fakeInvestigator>[0]) =>
        body.tools?.some((t) => t.name === HYPOTHESES_TOOL)
          ? fakeInvestigator(body)
          : { kind: 'tool_use', name: 'classify_request', input: { intent: 'GeneralQuery', confidence: 0.5, entities: [] } };
      Object.assign(env, { ANTHROPIC_API_KEY: fake.apiKey, ANTHROPIC_BASE_URL: fake.url, OPENAI_COMPAT_URL: '' });
    }
    try {
      const config = loadConfig(env);
      const rows = await scoreLlmUnderstanding(config, HELD_OUT_UTTERANCES);
      if (rows.length === 0)
        out('no provider configured (ANTHROPIC_API_KEY / OPENAI_COMPAT_URL unset): skipped; `npm run evals -- --fake-llm` checks the wiring against the fake Messages API');
      else {
        if (fake) out('**FAKE Messages API** (wiring check only: every answer is "GeneralQuery")');
        out('| provider | held-out utterances | answered by the LLM | degraded to rules | intent accuracy (LLM answers) | entity F1 (LLM answers) |');
        out('|---|---|---|---|---|---|');
        for (const r of rows) out(`| ${r.provider} | ${r.n} | ${r.answeredByLlm} | ${r.degraded} | ${pct(r.accuracy)} | ${r.f1.toFixed(3)} |`);
        out();
        out('Investigation scenarios, LLM hypothesis step per provider (after the same gather and heuristics; its own read-only queries on the real Prometheus):');
        out();
        if (!prom) out('skipped: the Debian `prometheus` and `promtool` are not installed');
        else {
          if (fake) out('**FAKE Messages API** (wiring check only: it runs one query, then repeats the first heuristic hypothesis)');
          const scenarioRows = await runLlmTelemetryScenarios(config, prom.url, pivot, now);
          out('| provider | scenario | expected | top hypothesis | confidence | component | cause | model queries | tokens | time |');
          out('|---|---|---|---|---|---|---|---|---|---|');
          for (const r of scenarioRows)
            out(
              `| ${r.provider} | ${r.id} | ${r.expected} | ${r.got}${r.failure ? ` (${r.failure.slice(0, 80)})` : ''} | ${r.confidence} | ${r.componentRight ? 'right' : 'WRONG'} | ${r.causeRight ? 'right' : 'WRONG'} | ${r.llmQueries} | ${r.tokens} | ${r.ms.toFixed(0)} ms |`,
            );
          const right = scenarioRows.filter((r) => r.componentRight && r.causeRight).length;
          out();
          out(`${right}/${scenarioRows.length} with the right component and cause.`);
        }
      }
    } finally {
      await fake?.close();
    }
  } finally {
    await prom?.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
