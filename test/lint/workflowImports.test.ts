import path from 'node:path';
import { ESLint, type Linter } from 'eslint';

/**
 * The workflow sandbox rules in eslint.config.js: workflows/ may not import Node built-ins, I/O
 * packages or activity code at runtime; type-only imports and @temporalio/workflow are fine.
 * Lints snippets through ESLint's Node API with the project's real config.
 */
const root = path.resolve(__dirname, '../..');
// An existing workflow file: type-aware linting needs a path the tsconfig project contains.
// lintText lints the given code, not the file's contents.
const filePath = path.join(root, 'workflows/index.ts');
const RULE = '@typescript-eslint/no-restricted-imports';

let eslint: ESLint;
beforeAll(() => {
  // ESLint loads eslint.config.js with import(), which Jest's VM does not support without
  // --experimental-vm-modules; hand it the same config loaded with require() instead.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config = require(path.join(root, 'eslint.config.js')) as Linter.Config[];
  eslint = new ESLint({ cwd: root, overrideConfigFile: true, overrideConfig: config });
});

async function lint(code: string): Promise<ESLint.LintResult> {
  const [result] = await eslint.lintText(code, { filePath });
  if (!result) throw new Error('ESLint returned no result');
  const fatal = result.messages.filter((m) => m.fatal);
  if (fatal.length > 0) throw new Error(`ESLint could not lint the snippet: ${fatal.map((m) => m.message).join('; ')}`);
  return result;
}

function restrictedImports(result: ESLint.LintResult): string[] {
  return result.messages.filter((m) => m.ruleId === RULE).map((m) => m.message);
}

describe('eslint: imports in workflows/', () => {
  it.each([
    ["import fs from 'fs';\nexport const a = fs;\n", 'fs'],
    ["import { x } from 'node:path';\nexport const a = x;\n", 'node:path'],
    ["import { readFile } from 'fs/promises';\nexport const a = readFile;\n", 'fs/promises'],
    ["import { Pool } from 'pg';\nexport const a = Pool;\n", 'pg'],
    ["import { createActivities } from '../activities/createActivities';\nexport const a = createActivities;\n", '../activities/createActivities'],
  ])('rejects %j', async (code, source) => {
    const messages = restrictedImports(await lint(code));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(`'${source}'`);
  });

  it.each([
    "import type { Activities } from '../activities/createActivities';\nexport type A = Activities;\n",
    "import { sleep } from '@temporalio/workflow';\nexport const a = sleep;\n",
  ])('accepts %j', async (code) => {
    expect(restrictedImports(await lint(code))).toEqual([]);
  });

  it('rejects dynamic import()', async () => {
    const result = await lint("export const load = () => import('node:fs');\n");
    expect(result.messages.map((m) => m.ruleId)).toContain('no-restricted-syntax');
  });

  it('applies to a file outside workflows/ that the workflow bundle imports', async () => {
    // chat/model/types.ts is imported at run time by workflows/chatTurn.ts (scripts/workflowBundleFiles.js).
    const [result] = await eslint.lintText("import fs from 'node:fs';\nexport const a = fs;\n", {
      filePath: path.join(root, 'chat/model/types.ts'),
    });
    expect(result && restrictedImports(result)).toEqual([expect.stringContaining("'node:fs'")]);
  });

  it('does not apply to files the workflow bundle does not import', async () => {
    const [result] = await eslint.lintText("import fs from 'node:fs';\nexport const a = fs;\n", {
      filePath: path.join(root, 'temporal/devServer.ts'),
    });
    expect(result && restrictedImports(result)).toEqual([]);
  });
});
