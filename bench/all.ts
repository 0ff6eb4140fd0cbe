import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readPrevious, readRows, renderTable, writeResults } from './report';

/**
 * `npm run bench`: every benchmark, one process each (each starts its own servers), in sequence so
 * they do not compete for the machine's cores. BENCH_SUITES=core,memory,chat,incidents,console picks some.
 */
const SUITES: Record<string, string> = {
  core: 'main.ts',
  memory: 'memoryBench.ts',
  chat: 'chatBench.ts',
  incidents: 'incidentBench.ts',
  console: 'consoleBench.ts',
  scale: 'scaleBench.ts',
};

const wanted = (process.env.BENCH_SUITES ?? Object.keys(SUITES).join(','))
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const unknown = wanted.filter((s) => !(s in SUITES));
if (unknown.length) {
  console.error(`unknown BENCH_SUITES entries: ${unknown.join(', ')} (known: ${Object.keys(SUITES).join(', ')})`);
  process.exit(2);
}

const rowsFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'copilot-bench-')), 'rows.jsonl');
let failed = 0;
for (const suite of wanted) {
  console.log(`\n=== bench: ${suite} ===`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, SUITES[suite]!)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_ROWS_FILE: rowsFile },
  });
  if (result.status !== 0) {
    failed++;
    console.error(`bench ${suite} failed with exit code ${result.status ?? result.signal}`);
  }
}

const rows = readRows(rowsFile);
const previous = readPrevious();
console.log(`\n=== results (${os.cpus().length} cores, Node ${process.version}; previous: ${previous?.at ?? 'none'}) ===\n`);
console.log(renderTable(rows, previous));
// A BENCH_SUITES run replaces only its own suites' rows, so the file always holds one figure per scenario.
if (!failed && process.env.BENCH_WRITE !== '0') {
  const kept = (previous?.rows ?? []).filter((r) => !wanted.includes(r.suite));
  writeResults({ at: new Date().toISOString(), host: { cpus: os.cpus().length, node: process.version }, rows: [...kept, ...rows] });
  console.log('\nwritten to bench/results/latest.json (BENCH_WRITE=0 to leave it)');
}
process.exit(failed ? 1 : 0);
