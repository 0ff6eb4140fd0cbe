import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../../temporal/devServer';

/**
 * The Debian `prometheus` serving KNOWN data: OpenMetrics text backfilled with
 * `promtool tsdb create-blocks-from openmetrics`, then a server started on that TSDB (no scraping).
 */
export interface BackfilledPrometheus {
  url: string;
  stop(): Promise<void>;
}

export async function startBackfilledPrometheus(openMetrics: string): Promise<BackfilledPrometheus> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'copilot-promfill-'));
  const file = path.join(dir, 'data.om');
  writeFileSync(file, openMetrics.endsWith('# EOF\n') ? openMetrics : `${openMetrics}# EOF\n`);
  execFileSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', file, path.join(dir, 'tsdb')], { stdio: 'pipe' });
  writeFileSync(path.join(dir, 'prometheus.yml'), 'global: { scrape_interval: 15s }\n');
  const port = await freePort();
  const child = spawn(
    'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=30d',
    ],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error('backfilled Prometheus did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Counter samples for `http_requests_total` per scenario/service/status at `stepSec` intervals. */
export function countersOpenMetrics(series: { labels: Record<string, string>; ratePerSec: (tSec: number) => number }[], fromSec: number, toSec: number, stepSec = 15): string {
  const lines = ['# HELP http_requests_total Requests.', '# TYPE http_requests counter'];
  for (const s of series) {
    const labels = Object.entries(s.labels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(',');
    let value = 0;
    for (let t = fromSec; t <= toSec; t += stepSec) {
      value += s.ratePerSec(t) * stepSec;
      lines.push(`http_requests_total{${labels}} ${value.toFixed(3)} ${t}`);
    }
  }
  return `${lines.join('\n')}\n# EOF\n`;
}

/**
 * Any metric families (type `unknown`, so names such as `…_count` or `redis_up` pass OpenMetrics'
 * suffix rules): `value(t)` is a gauge's value or, with `counter: true`, a rate integrated into a
 * monotonically increasing counter.
 */
export interface BackfillSeries {
  name: string;
  labels: Record<string, string>;
  value: (tSec: number) => number;
  counter?: boolean;
}

export function seriesOpenMetrics(series: BackfillSeries[], fromSec: number, toSec: number, stepSec = 15): string {
  const lines: string[] = [];
  const names = [...new Set(series.map((s) => s.name))];
  for (const name of names) {
    lines.push(`# TYPE ${name} unknown`);
    for (const s of series.filter((x) => x.name === name)) {
      const labels = Object.entries(s.labels)
        .map(([k, v]) => `${k}="${v}"`)
        .join(',');
      let total = 0;
      for (let t = fromSec; t <= toSec; t += stepSec) {
        const v = s.value(t);
        if (Number.isNaN(v)) continue;
        total = s.counter ? total + v * stepSec : v;
        lines.push(`${name}{${labels}} ${total.toFixed(3)} ${t}`);
      }
    }
  }
  return `${lines.join('\n')}\n# EOF\n`;
}
