/**
 * Two Jest projects over test/ (`npm test` runs both; `./scripts/test.sh` runs `npm test`):
 * - unit: files named `*.unit.test.ts`. Pure code, no servers: no globalSetup, seconds
 *   (`npm run test:unit`, the fast loop).
 * - integration: every other `*.test.ts`, against the real servers that globalSetup starts once per
 *   run (Temporal, Postgres, Prometheus, Redis) and the workflow bundle it builds.
 * A new test file is integration unless its name says `.unit.`: opting out of the servers is explicit.
 * TypeScript goes through ts-jest.
 */
const shared = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: { allowJs: true, isolatedModules: true } }],
  },
  // cel-js and secretlint's preset ship ESM only; let ts-jest turn them into CommonJS for Jest's module system.
  transformIgnorePatterns: ['/node_modules/(?!@marcbachmann/cel-js/|@secretlint/)'],
};

module.exports = {
  testTimeout: 60000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['**/*.unit.test.ts'],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '\\.unit\\.test\\.ts$'],
      globalSetup: '<rootDir>/test/support/globalSetup.ts',
      globalTeardown: '<rootDir>/test/support/globalTeardown.ts',
    },
  ],
};
