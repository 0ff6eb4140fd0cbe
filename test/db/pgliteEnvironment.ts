import { TestEnvironment } from 'jest-environment-node';

/**
 * Jest environment for test files that use PGlite (docblock `@jest-environment ./test/db/pgliteEnvironment.ts`).
 *
 * PGlite 0.5's Emscripten loader calls dynamic `import()`, which Jest's CommonJS sandbox rejects
 * unless Node runs with --experimental-vm-modules (electric-sql/pglite#224: "A dynamic import
 * callback was invoked without --experimental-vm-modules"). This environment loads PGlite with
 * Node's own require, outside the sandbox, and exposes the module as `globalThis.__hostPglite`;
 * test files swap it in with
 *   jest.mock('@electric-sql/pglite', () => (globalThis as Record<string, unknown>).__hostPglite);
 * so db/ code runs unchanged against it.
 */
export default class PgliteEnvironment extends TestEnvironment {
  override async setup(): Promise<void> {
    await super.setup();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    this.global.__hostPglite = require('@electric-sql/pglite');
  }
}
