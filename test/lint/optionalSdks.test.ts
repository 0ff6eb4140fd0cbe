import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * The optional SDKs load only when configured or first used (issue #16, idle RSS): together they are
 * about 1 500 modules and 100 MB of RSS per process an install without Slack, an LLM key, Qdrant,
 * MCP clients, tracing, JWT auth, Redis or the embedded database would otherwise carry. One static `import` of any of them in the
 * start-up graph brings it back without any test failing, so this loads what api/main.ts and
 * workers/main.ts load at start in a fresh process and lists the packages that came with them.
 */
const root = path.resolve(__dirname, '../..');

const STARTUP_MODULES = [
  'api/app.ts',
  'api/auth/authenticator.ts',
  'slack/slackWiring.ts',
  'workers/workerWiring.ts',
  'llm/routerFromConfig.ts',
  'memory/vector/createVectorStore.ts',
  'observability/tracing.ts',
  'incidents/llmHypotheses.ts',
  'mcp/httpEndpoint.ts',
  'db/openDatabase.ts',
  'memory/openMemory.ts',
  'chat/chatWiring.ts',
  'workers/workflowBundle.ts',
];

const OPTIONAL = [
  '@slack/bolt',
  '@slack/web-api',
  '@anthropic-ai/sdk',
  '@qdrant/js-client-rest',
  '@modelcontextprotocol/sdk',
  '@opentelemetry/sdk-trace-node',
  '@opentelemetry/exporter-trace-otlp-proto',
  '@temporalio/interceptors-opentelemetry',
  'jose',
  // Only with REDIS_URL (config/redisClient.ts), and only without DATABASE_URL (db/openDatabase.ts).
  'ioredis',
  '@electric-sql/pglite',
  // Only when a workflow bundle is built (workers/workflowBundleCompaction.ts), never by a worker running one.
  'terser',
];

function packagesLoadedBy(modules: string[]): string[] {
  const script = `
    for (const m of ${JSON.stringify(modules)}) require(require('node:path').join(${JSON.stringify(root)}, m));
    const names = new Set();
    for (const file of Object.keys(require.cache)) {
      const match = /node_modules\\/((@[^/]+\\/)?[^/]+)/.exec(file);
      if (match) names.add(match[1]);
    }
    process.stdout.write(JSON.stringify([...names]));`;
  const out = execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(out) as string[];
}

test('no optional SDK is loaded by the API and worker start-up modules', () => {
  const loaded = packagesLoadedBy(STARTUP_MODULES);
  // The probe sees packages at all (a broken probe must fail here, not pass with an empty list).
  expect(loaded).toEqual(expect.arrayContaining(['express', '@temporalio/client', 'zod']));
  expect(loaded.filter((name) => OPTIONAL.includes(name))).toEqual([]);
});

test('the probe does see an optional SDK when a module imports it statically', () => {
  expect(packagesLoadedBy(['slack/receiver.ts', 'llm/anthropicProvider.ts'])).toEqual(expect.arrayContaining(['@slack/bolt']));
});
