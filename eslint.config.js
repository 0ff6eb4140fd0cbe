// ESLint flat config (`npm run lint` = `eslint .`).
// - every .ts file: typescript-eslint's type-checked recommended rules, with promise misuse as errors;
// - workflow code: Temporal's sandbox rules as lint errors (no Node built-ins, no I/O packages, no
//   runtime imports of activities/api/db/workers; `import type` is fine), on every file under
//   workflows/ AND every file the workflow bundle pulls in from elsewhere (chat/model, domain,
//   incidents/heuristics…), derived from the imports at lint time (scripts/workflowBundleFiles.js).
const { builtinModules } = require('node:module');
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const { defineConfig, globalIgnores } = require('eslint/config');
const { workflowBundleFiles } = require('./scripts/workflowBundleFiles');
// Last in the config: turns off the stylistic rules Prettier owns (`npm run format`), so the two never disagree.
const prettierCompat = require('eslint-config-prettier/flat');

const sandboxMessage = 'Workflow code runs in the Temporal workflow sandbox and must be deterministic: do I/O in an activity.';

// Every Node built-in, as `x` and `node:x`; plus the ones that exist only with the `node:` prefix.
const nodeBuiltins = [
  ...new Set([...builtinModules.flatMap((name) => (name.startsWith('node:') ? [name] : [name, `node:${name}`])), 'node:sea', 'node:sqlite', 'node:test', 'node:test/reporters']),
].sort();

// Packages that do I/O, or Temporal packages that only work outside the workflow sandbox.
const ioPackages = [
  'pg',
  'ioredis',
  'redis',
  'express',
  'undici',
  'better-sse',
  'pino',
  'prom-client',
  '@anthropic-ai/sdk',
  '@electric-sql/pglite',
  '@temporalio/activity',
  '@temporalio/client',
  '@temporalio/worker',
  'rate-limiter-flexible',
  '@opentelemetry/sdk-trace-node',
  '@opentelemetry/exporter-trace-otlp-proto',
];

const workflowImportRestrictions = {
  paths: [
    ...nodeBuiltins.map((name) => ({
      name,
      message: `Node built-in '${name}' is not available in workflows. ${sandboxMessage}`,
    })),
    ...ioPackages.map((name) => ({
      name,
      message: `'${name}' must not be imported by workflows. ${sandboxMessage}`,
    })),
  ],
  patterns: [
    {
      group: ['@qdrant/*', '@anthropic-ai/sdk/*', '@electric-sql/pglite/*', 'pg/*', 'pino/*', 'express/*'],
      message: `I/O packages must not be imported by workflows. ${sandboxMessage}`,
    },
    {
      // Activities (and the api/db/workers layers) are called through proxyActivities; only their
      // types may be imported: `import type { Activities } from '../activities/createActivities'`.
      // Relative paths through one of those folders: '../activities', '../activities/x', './db/y'.
      regex: '^\\.\\.?/(.*/)?(activities|api|db|workers)(/|$)',
      allowTypeImports: true,
      message: `Use \`import type\` here: workflows reach activities only through proxyActivities. ${sandboxMessage}`,
    },
  ],
};

module.exports = defineConfig(
  globalIgnores(['dist/', 'node_modules/', '.data/', 'coverage/', 'deploy/', 'console/dist/', 'test/console/artifacts/']),

  // Plain JavaScript (this file, jest.config.js): CommonJS on Node.
  {
    files: ['**/*.{js,cjs}'],
    extends: [js.configs.recommended],
    languageOptions: {
      sourceType: 'commonjs',
      ecmaVersion: 2022,
      globals: {
        require: 'readonly',
        module: 'writable',
        exports: 'writable',
        __dirname: 'readonly',
        __filename: 'readonly',
        process: 'readonly',
        console: 'readonly',
      },
    },
  },

  // TypeScript, with type information from tsconfig.json.
  {
    // The web console's .tsx too (console/tsconfig.json is the nearest tsconfig for its files).
    files: ['**/*.ts', 'console/**/*.tsx'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: __dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // Activity, workflow and handler signatures are often async without awaiting anything.
      '@typescript-eslint/require-await': 'off',
      // `${n}` with numbers/booleans is fine; objects/any still need an explicit String().
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: true }],
    },
  },

  // Tests: untyped JSON bodies (`ApiResponse<any>`), jest mocks and `expect(obj.method)` are normal here.
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },

  // Workflow code: Temporal sandbox rules, on workflows/ and on every file the bundle imports.
  {
    files: ['workflows/**/*.ts', ...workflowBundleFiles(__dirname)],
    rules: {
      // One rule for everything, so each bad import is reported once; allowTypeImports per pattern.
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': ['error', workflowImportRestrictions],
      // require() is already an error (@typescript-eslint/no-require-imports); close `import()` too.
      'no-restricted-syntax': ['error', { selector: 'ImportExpression', message: `Dynamic import() is not allowed in workflows. ${sandboxMessage}` }],
    },
  },

  prettierCompat,
);
