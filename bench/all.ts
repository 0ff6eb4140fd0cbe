import { spawnSync } from 'node:child_process';
import path from 'node:path';

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

let failed = 0;
for (const suite of wanted) {
  console.log(`\n=== bench: ${suite} ===`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, SUITES[suite]!)], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    console.error(`bench ${suite} failed with exit code ${result.status ?? result.signal}`);
  }
}
process.exit(failed ? 1 : 0);
