import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * One row of `npm run bench`'s table. Suites run in their own processes (bench/all.ts), so each
 * suite appends its rows to the file named by BENCH_ROWS_FILE and all.ts prints the table once,
 * next to the previous run's figures (bench/results/latest.json, committed so a change is visible
 * in review).
 */
export interface BenchRow {
  suite: string;
  /** Stable name: the key that matches a row with its previous figure. */
  scenario: string;
  figure: number;
  unit: 'ms' | 'steps/s' | 'MB' | 's' | 'ratio' | 'count' | 'KiB' | 'runs/s';
  /** What the figure is: 'p95', 'p50', 'total', 'max'… */
  stat?: string;
  target?: { op: '<' | '<=' | '>=' | '>'; value: number };
  /** figure ÷ the same work done by bare Temporal on the same server, where there is such a thing. */
  bareRatio?: number;
  note?: string;
}

export interface BenchResults {
  at: string;
  host: { cpus: number; node: string };
  rows: BenchRow[];
}

export const RESULTS_DIR = path.join(__dirname, 'results');
export const LATEST_RESULTS = path.join(RESULTS_DIR, 'latest.json');

/** Called by a suite for each figure it measured; printed as a table by bench/all.ts. */
export function recordRows(rows: BenchRow[]): void {
  const file = process.env.BENCH_ROWS_FILE;
  if (!file) {
    // A suite run on its own (tsx bench/xxx.ts) still shows what it measured.
    for (const row of rows) console.log(`  ${formatRow(row, undefined).join('  ')}`);
    return;
  }
  for (const row of rows) appendFileSync(file, `${JSON.stringify(row)}\n`);
}

export function readRows(file: string): BenchRow[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as BenchRow);
}

export function readPrevious(file = LATEST_RESULTS): BenchResults | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
  } catch {
    return undefined;
  }
}

export function writeResults(results: BenchResults, file = LATEST_RESULTS): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}

export function targetMet(row: BenchRow): boolean | undefined {
  if (!row.target) return undefined;
  const { op, value } = row.target;
  if (op === '<') return row.figure < value;
  if (op === '<=') return row.figure <= value;
  if (op === '>=') return row.figure >= value;
  return row.figure > value;
}

function num(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function formatRow(row: BenchRow, previous: BenchRow | undefined): string[] {
  const met = targetMet(row);
  return [
    row.suite,
    row.scenario,
    `${num(row.figure)} ${row.unit}${row.stat ? ` ${row.stat}` : ''}`,
    row.target ? `${row.target.op} ${num(row.target.value)}${met ? ' ✓' : ' ✗'}` : '',
    previous ? `${num(previous.figure)} ${previous.unit}` : '',
    row.bareRatio === undefined ? '' : num(row.bareRatio),
    row.note ?? '',
  ];
}

/** The markdown table `npm run bench` prints: scenario, figure, target, previous figure, bare-Temporal ratio. */
export function renderTable(rows: BenchRow[], previous: BenchResults | undefined): string {
  const before = new Map((previous?.rows ?? []).map((r) => [`${r.suite}/${r.scenario}`, r]));
  const header = ['suite', 'scenario', 'figure', 'target', 'previous', 'bare ratio', 'note'];
  const lines = [header, header.map(() => '---'), ...rows.map((r) => formatRow(r, before.get(`${r.suite}/${r.scenario}`)))];
  return lines.map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}
