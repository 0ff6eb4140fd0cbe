import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../../temporal/devServer';

/**
 * Real alerting for the end-to-end test, from the Debian packages: a metrics exporter we control
 * (a tiny HTTP server), `prometheus` scraping it every second with a rule that fires, and
 * `prometheus-alertmanager` routing to the copilot's webhook with a bearer token — the same
 * http_config.authorization an operator would configure.
 */
export interface Exporter {
  url: string;
  /** Services whose requests fail (5xx) from now on. */
  broken: Set<string>;
  close(): Promise<void>;
}

export async function startExporter(services: string[]): Promise<Exporter> {
  const ok = new Map(services.map((s) => [s, 0]));
  const errors = new Map(services.map((s) => [s, 0]));
  const broken = new Set<string>();
  // Counters advance with wall time, so rates are steady whatever the scrape timing.
  let last = Date.now();
  const tick = () => {
    const dt = (Date.now() - last) / 1000;
    last = Date.now();
    for (const s of services) {
      ok.set(s, ok.get(s)! + 20 * dt);
      if (broken.has(s)) errors.set(s, errors.get(s)! + 10 * dt);
    }
  };
  const server = http.createServer((_req, res) => {
    tick();
    const lines = ['# TYPE http_requests_total counter'];
    for (const s of services) {
      lines.push(`http_requests_total{service="${s}",status="200"} ${ok.get(s)!.toFixed(3)}`);
      lines.push(`http_requests_total{service="${s}",status="500"} ${errors.get(s)!.toFixed(3)}`);
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(lines.join('\n') + '\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    broken,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

export interface Alerting {
  prometheusUrl: string;
  alertmanagerUrl: string;
  stop(): Promise<void>;
}

async function waitFor(url: string, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not become ready`);
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Scrape jobs and alert rules other than the default (one `app` job, the HighErrorRate rule). */
export interface AlertingSetup {
  jobs?: { name: string; target: string }[];
  /** Rules as YAML list items under `rules:` (indented by 6). */
  rules?: string[];
  groupBy?: string[];
}

export async function startAlerting(options: { exporter: string; webhookUrl: string; token: string } & AlertingSetup): Promise<Alerting> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'copilot-alerting-'));
  const [promPort, amPort] = [await freePort(), await freePort()];
  writeFileSync(
    path.join(dir, 'alertmanager.yml'),
    [
      'route:',
      '  receiver: copilot',
      `  group_by: [${(options.groupBy ?? ['alertname', 'service']).map((l) => `'${l}'`).join(', ')}]`,
      '  group_wait: 1s',
      '  group_interval: 1s',
      '  repeat_interval: 1h',
      'receivers:',
      '  - name: copilot',
      '    webhook_configs:',
      `      - url: ${options.webhookUrl}`,
      '        send_resolved: true',
      '        http_config:',
      `          authorization: { type: Bearer, credentials: "${options.token}" }`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    path.join(dir, 'rules.yml'),
    [
      'groups:',
      '  - name: copilot-e2e',
      '    rules:',
      ...(options.rules ?? [
        [
          '      - alert: HighErrorRate',
          '        expr: sum by (service) (rate(http_requests_total{status=~"5.."}[5s])) > 1',
          '        for: 1s',
          '        labels: { severity: critical }',
          '        annotations: { summary: "5xx rate above 1/s" }',
        ].join('\n'),
      ]),
      '',
    ].join('\n'),
  );
  writeFileSync(
    path.join(dir, 'prometheus.yml'),
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'rule_files: [rules.yml]',
      `alerting: { alertmanagers: [ { static_configs: [ { targets: ["127.0.0.1:${amPort}"] } ] } ] }`,
      'scrape_configs:',
      ...(options.jobs ?? [{ name: 'app', target: options.exporter }]).flatMap((j) => [`  - job_name: ${j.name}`, `    static_configs: [{ targets: ["${j.target}"] }]`]),
      '',
    ].join('\n'),
  );
  const am = spawn(
    'prometheus-alertmanager',
    [`--config.file=${path.join(dir, 'alertmanager.yml')}`, `--storage.path=${path.join(dir, 'am')}`, `--web.listen-address=127.0.0.1:${amPort}`, '--cluster.listen-address='],
    { stdio: 'ignore' },
  );
  const prom = spawn(
    'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'prom')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--rules.alert.resend-delay=1s',
    ],
    { stdio: 'ignore' },
  );
  const prometheusUrl = `http://127.0.0.1:${promPort}`;
  const alertmanagerUrl = `http://127.0.0.1:${amPort}`;
  await Promise.all([waitFor(`${prometheusUrl}/-/ready`, 'Prometheus'), waitFor(`${alertmanagerUrl}/-/ready`, 'Alertmanager')]);
  return {
    prometheusUrl,
    alertmanagerUrl,
    async stop() {
      await Promise.all([stop(prom), stop(am)]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
