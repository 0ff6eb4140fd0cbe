import vm from 'node:vm';
import { compactWorkflowBundle, splitInlineSourceMap } from '../../workers/workflowBundleCompaction';

/**
 * The compacted bundle must run exactly as the bundler's output did, be one-byte (ASCII) text, and keep
 * a source map that still points into the original files. The workflow suites run every workflow on
 * the compacted bundle globalSetup writes; test/lint/workflowBundle.test.ts checks that bundle, and
 * test/workflows/workflowPreload.test.ts reads a stack trace mapped through it to workflows/*.ts.
 */
function inlineMap(map: object): string {
  return `//# sourceMappingURL=data:application/json;charset=utf-8;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}\n`;
}

function split(bundle: string): { code: string; map: { sources: string[]; sourcesContent: (string | null)[] } } {
  const { code, sourceMap } = splitInlineSourceMap(bundle);
  return { code, map: JSON.parse(sourceMap) };
}

// Every place a non-ASCII character can stand in JavaScript, including an escaped one and an astral one.
const SOURCE = [
  '/* a comment — with “quotes” */',
  'const café = "→ é ≤ 😀";',
  'const template = `≥ ${café.length} — ${"ü"}`;',
  'const pattern = /[→≤]+/u;',
  'const astral = /😀/u;',
  "const escaped = '\\→';",
  'const result = { café, template, matches: "a→≤b".match(pattern)[0], astral: astral.test("x😀"), escaped, length: café.length };',
  'result;',
].join('\n');

test('reprints the code as ASCII that evaluates to the same values', async () => {
  const bundle = SOURCE + '\n' + inlineMap({ version: 3, sources: ['/repo/workflows/own.ts'], sourcesContent: [SOURCE], names: [], mappings: 'AAAA' });
  const compacted = await compactWorkflowBundle(bundle);
  const { code } = split(compacted);
  expect(code).not.toMatch(/[^\p{ASCII}]/u);
  expect(code).not.toContain('a comment');
  const before = vm.runInNewContext(SOURCE) as unknown;
  const after = vm.runInNewContext(code) as unknown;
  expect(after).toEqual(before);
  expect(after).toMatchObject({ café: '→ é ≤ 😀', matches: '→≤', astral: true, escaped: '→' });
});

test('drops the text of library sources from the map and keeps our own', async () => {
  const bundle =
    'var a = 1;\nvar b = 2;\n' +
    inlineMap({
      version: 3,
      sources: ['/repo/workflows/own.ts', '/repo/node_modules/zod/v4/core/schemas.js', 'webpack/bootstrap'],
      sourcesContent: ['const a = 1;', 'const b = 2;', 'bootstrap'],
      names: [],
      mappings: 'AAAA;ACAA',
    });
  const { map } = split(await compactWorkflowBundle(bundle));
  const content = Object.fromEntries(map.sources.map((source, i) => [source, map.sourcesContent[i]]));
  expect(content['/repo/workflows/own.ts']).toBe('const a = 1;');
  expect(content['/repo/node_modules/zod/v4/core/schemas.js']).toBeNull();
});

test('a bundle without an inline source map is refused, not passed through unmapped', async () => {
  await expect(compactWorkflowBundle('var a = 1;\n')).rejects.toThrow(/no inline source map/);
});
