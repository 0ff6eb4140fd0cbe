/**
 * Shrinks the workflow bundle the worker holds in memory, without changing what runs.
 *
 * The worker keeps the bundle as a string in its main thread and again in the workflow thread, and
 * V8 keeps each compiled script's source. Two things made it large:
 *
 * - **Two-byte strings.** V8 stores a string with one character above U+00FF as UTF-16, two bytes
 *   per character. zod's messages, comments and our own text (`→`, `—`) put thousands of such
 *   characters in the bundle, so all 5.6 M characters took 11 MB per copy. terser reprints the same
 *   code with `ascii_only` (non-ASCII as `\u` escapes in strings, templates, regular expressions
 *   and identifiers) and without comments, and chains the source map through the reprint. It does
 *   not compress or mangle, so the code and its names stay as written.
 * - **The sources inside the source map.** The inline map carried the full text of every bundled
 *   file, 1.6 M characters of it from node_modules. Stack traces (`__stack_trace`, failures) need
 *   only the mappings. File text is used only by the SDK's enhanced stack trace query when the
 *   worker sets `showStackTraceSources` (off here). Our own files keep their text for that query.
 *   Library files drop theirs (`null`, which the source map format allows).
 *
 * On the 2-core bench machine the bundle went from 5.6 M characters (two-byte) to 3.8 M (one-byte).
 * The idle worker's RSS fell by about 14 MB (bench/README.md).
 */
export async function compactWorkflowBundle(bundle: string): Promise<string> {
  // Loaded here, not at start: a worker running a prebuilt bundle never compacts (terser is ~2 MB of heap).
  const { minify } = await import('terser');
  const { code, sourceMap } = splitInlineSourceMap(bundle);
  const result = await minify(code, {
    compress: false,
    mangle: false,
    // Class and function names reach users in stack traces and failure types.
    keep_classnames: true,
    keep_fnames: true,
    format: { ascii_only: true, comments: false, beautify: true },
    sourceMap: { content: sourceMap, includeSources: true, asObject: true },
  });
  if (result.code === undefined || result.map === undefined) throw new Error('terser returned no code or source map for the workflow bundle');
  const map = (typeof result.map === 'string' ? JSON.parse(result.map) : result.map) as RawSourceMap;
  map.sourcesContent = map.sources.map((source, i) => (isLibrarySource(source) ? null : (map.sourcesContent?.[i] ?? null)));
  return `${result.code}\n${INLINE_MAP_PREFIX}${Buffer.from(JSON.stringify(map)).toString('base64')}\n`;
}

interface RawSourceMap {
  version: number;
  sources: string[];
  sourcesContent?: (string | null)[];
  mappings: string;
  names: string[];
  file?: string;
}

const INLINE_MAP_PREFIX = '//# sourceMappingURL=data:application/json;charset=utf-8;base64,';

/** The bundler's output ends with its source map inlined as base64 (the only form the SDK accepts). */
export function splitInlineSourceMap(bundle: string): { code: string; sourceMap: string } {
  const at = bundle.lastIndexOf('//# sourceMappingURL=data:');
  const base64 = at < 0 ? -1 : bundle.indexOf('base64,', at);
  if (base64 < 0) throw new Error('workflow bundle has no inline source map to carry through compaction');
  return { code: bundle.slice(0, at), sourceMap: Buffer.from(bundle.slice(base64 + 'base64,'.length).trimEnd(), 'base64').toString('utf8') };
}

/** webpack names sources by absolute path (the SDK's devtoolModuleFilenameTemplate). */
function isLibrarySource(source: string): boolean {
  return /[\\/]node_modules[\\/]/.test(source) || source.startsWith('webpack/');
}
