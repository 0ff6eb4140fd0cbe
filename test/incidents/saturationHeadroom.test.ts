import { PrometheusClient } from '../../adapters/prometheusClient';
import { gatherMetrics } from '../../incidents/gather/gatherMetrics';
import { formHypotheses, topHypothesis } from '../../incidents/heuristics/hypotheses';
import type { IncidentRepository } from '../../incidents/incidentRepository';
import { seriesOpenMetrics, startBackfilledPrometheus, type BackfilledPrometheus } from './support/backfilledPrometheus';

/**
 * Shares of a capacity (catalogue entries with `share: true`) on a host that was already busy: a
 * CPU 70 % busy can only rise 1.4× however hard it is hogged, under the 1.5× a rise needs, so the
 * fall of its headroom (idle 0.3 → 0.01, 30× less) must count. The live CPU-hog fault on this
 * shared machine met exactly that; a steady busy host next to it must stay unblamed.
 */
const NOW = Math.floor(Date.now() / 1000);
const PIVOT = NOW - 40 * 60;
let prom: BackfilledPrometheus;

beforeAll(async () => {
  const after = (v0: number, v1: number) => (t: number) => (t >= PIVOT ? v1 : v0);
  prom = await startBackfilledPrometheus(
    seriesOpenMetrics(
      [
        ...['busy1:9100', 'busy2:9100'].flatMap((instance) =>
          ['0', '1'].map((cpu) => ({
            name: 'node_cpu_seconds_total',
            labels: { instance, job: 'node', cpu, mode: 'idle' },
            // Seconds of idle per second per core: 0.3 is a host 70 % busy before anything happened.
            value: instance === 'busy1:9100' ? after(0.3, 0.01) : () => 0.3,
            counter: true,
          })),
        ),
        ...['busy1:9100', 'busy2:9100'].flatMap((instance) => [
          { name: 'node_filesystem_size_bytes', labels: { instance, job: 'node', mountpoint: '/var', fstype: 'ext4' }, value: () => 1e9 },
          // 60 % used → 85 %: 1.42× the use, but 2.7× less room.
          {
            name: 'node_filesystem_avail_bytes',
            labels: { instance, job: 'node', mountpoint: '/var', fstype: 'ext4' },
            value: instance === 'busy2:9100' ? after(4e8, 1.5e8) : () => 4e8,
          },
        ]),
      ],
      PIVOT - 3600,
      NOW - 300,
    ),
  );
}, 60_000);
afterAll(async () => {
  await prom?.stop();
});

test('an already busy host hogged further, and a disk filling from 60 %: blamed by their lost headroom; steady neighbours are not', async () => {
  const repo = { saveEvidence: async () => undefined } as unknown as IncidentRepository;
  const gathered = await gatherMetrics(
    new PrometheusClient({ url: prom.url }),
    repo,
    {
      incidentId: 'inc-headroom',
      round: 1,
      start: new Date((PIVOT - 30 * 60) * 1000).toISOString(),
      pivot: new Date(PIVOT * 1000).toISOString(),
      end: new Date(NOW * 1000).toISOString(),
      scope: {},
      alertExprs: [],
      text: 'host busy',
    },
    { rateWindow: '2m' },
  );
  const cpu = gathered.signals.filter((s) => s.text.startsWith('host CPU busy'));
  expect(cpu.map((s) => s.service)).toEqual(['busy1:9100']);
  expect(cpu[0]!.text).toMatch(/host CPU busy 0\.700 → 0\.9\d+ \(1\.\d+×\)/);
  const disk = gathered.signals.filter((s) => s.text.startsWith('filesystem filling up'));
  expect(disk.map((s) => s.service)).toEqual(['busy2:9100']);
  const hypotheses = formHypotheses(gathered.signals);
  expect(topHypothesis(hypotheses)?.service).toMatch(/^busy[12]:9100$/);
  expect(hypotheses.map((h) => h.service).sort()).toEqual(['busy1:9100', 'busy2:9100']);
});
