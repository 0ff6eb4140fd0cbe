import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { CONSOLE_DIST } from '../api/consoleRoute';
import { launchChromium } from '../test/console/support/browser';
import { ensureConsoleBuilt } from '../test/console/support/consoleBuild';
import { startBenchEnvironment, TOKENS } from './benchEnvironment';
import { fmt, summary } from './stats';

/**
 * The web console's figures (issue #11): first-load weight (gzip bytes of the JS and CSS it loads),
 * time to interactive of a cold load in headless Chromium (navigation start → the sign-in form is
 * rendered and editable), and event → DOM latency on the run page: from a step.succeeded event's
 * `createdAt` in the store to the graph node turning "succeeded" (a MutationObserver in the page;
 * both clocks are this machine's).
 */
const LOADS = Number(process.env.CONSOLE_BENCH_LOADS ?? 10);
const STEPS = Number(process.env.CONSOLE_BENCH_STEPS ?? 40);

function assetWeights(): { file: string; raw: number; gzip: number }[] {
  const dir = path.join(CONSOLE_DIST, 'assets');
  const html = readFileSync(path.join(CONSOLE_DIST, 'index.html'), 'utf8');
  // What the first load fetches: the assets index.html names (lazy chunks come later).
  return readdirSync(dir)
    .filter((f) => html.includes(`/assets/${f}`))
    .map((file) => {
      const body = readFileSync(path.join(dir, file));
      return { file, raw: body.length, gzip: gzipSync(body, { level: 9 }).length };
    });
}

async function main(): Promise<void> {
  ensureConsoleBuilt();
  const weights = assetWeights();
  const env = await startBenchEnvironment();
  const browser = await launchChromium();
  try {
    const tti: number[] = [];
    const domInteractive: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      const context = await browser.newContext({ baseURL: env.apiUrl });
      const page = await context.newPage();
      const t0 = Date.now();
      await page.goto('/', { waitUntil: 'commit' });
      await page.getByLabel('API token').waitFor();
      await page.getByLabel('API token').fill('x');
      tti.push(Date.now() - t0);
      domInteractive.push(
        await page.evaluate(() => {
          const nav = (globalThis as unknown as { performance: { getEntriesByType(t: string): { domInteractive: number }[] } }).performance.getEntriesByType('navigation')[0];
          return nav?.domInteractive ?? Number.NaN;
        }),
      );
      await context.close();
    }

    // A chain of short waits: each step's success is one event the open run page must draw.
    const steps = [
      { id: 'hold', type: 'wait', duration: '3s' },
      ...Array.from({ length: STEPS }, (_, i) => ({ id: `s${i}`, type: 'wait', duration: '150ms', needs: [i === 0 ? 'hold' : `s${i - 1}`] })),
    ];
    const started = await fetch(`${env.apiUrl}/api/v1/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ definition: { name: 'console-bench', concurrency: 1, steps } }),
    });
    const { runId } = (await started.json()) as { runId: string };
    const context = await browser.newContext({ baseURL: env.apiUrl, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto('/');
    await page.getByLabel('API token').fill(TOKENS.admin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('who').filter({ hasText: 'bench-admin' }).waitFor();
    await page.goto(`/runs/${runId}`);
    await page.getByTestId('node-s0').waitFor();
    await page.evaluate(() => {
      const g = globalThis as unknown as {
        seen: Record<string, number>;
        document: unknown;
        MutationObserver: new (cb: (records: { target: { getAttribute(n: string): string | null } }[]) => void) => { observe(t: unknown, o: unknown): void };
      };
      g.seen = {};
      new g.MutationObserver((records) => {
        for (const r of records) {
          if (r.target.getAttribute('data-status') === 'succeeded') g.seen[r.target.getAttribute('data-testid') ?? ''] ??= Date.now();
        }
      }).observe(g.document, { subtree: true, attributes: true, attributeFilter: ['data-status'] });
    });
    await page.locator(`[data-testid="node-s${STEPS - 1}"][data-status="succeeded"]`).waitFor({ timeout: 120_000 });
    const seen = await page.evaluate(() => (globalThis as unknown as { seen: Record<string, number> }).seen);
    const events = await env.events.list(runId, 0, 10_000);
    const latency: number[] = [];
    for (const e of events) {
      if (e.type !== 'step.succeeded' || typeof e.data.stepId !== 'string' || e.data.stepId === 'hold') continue;
      const at = seen[`node-${e.data.stepId}`];
      if (at !== undefined) latency.push(at - Date.parse(e.createdAt));
    }
    await context.close();

    const js = weights.filter((w) => w.file.endsWith('.js'));
    const css = weights.filter((w) => w.file.endsWith('.css'));
    const sum = (xs: { gzip: number }[]) => xs.reduce((a, w) => a + w.gzip, 0);
    const t = summary(tti);
    const d = summary(domInteractive);
    const l = summary(latency);
    console.log('console first load (what index.html loads):');
    for (const w of weights) console.log(`  ${w.file.padEnd(32)} ${(w.raw / 1024).toFixed(1)} KiB raw, ${(w.gzip / 1024).toFixed(1)} KiB gzip`);
    console.log(`  total gzip: JS ${(sum(js) / 1024).toFixed(1)} KiB + CSS ${(sum(css) / 1024).toFixed(1)} KiB`);
    console.log(`console time to interactive, cold load of / in headless Chromium (n=${t.n}): p50 ${fmt(t.p50)}, p95 ${fmt(t.p95)}; domInteractive p50 ${fmt(d.p50)}`);
    console.log(`run page event → DOM (step.succeeded createdAt → node turns succeeded, n=${l.n} of ${STEPS}): p50 ${fmt(l.p50)}, p95 ${fmt(l.p95)}, max ${fmt(l.max)}`);
  } finally {
    await browser.close();
    await env.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
