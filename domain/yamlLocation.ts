import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { PathSegment } from './validationIssue';

/**
 * Parses YAML while keeping source positions, so a validation issue found on the plain JS value can
 * be mapped back to the line an author has to edit.
 */

export interface YamlSource {
  value: unknown;
  /** Syntax errors, each with the 1-based line where the parser noticed it. */
  errors: { message: string; line?: number }[];
  /** The line of the node at `path`; for a path that does not exist, the line of its deepest existing ancestor. */
  lineOf: (path: readonly PathSegment[]) => number | undefined;
}

/** yaml's messages end with " at line L, column C:" and a code frame; the line is reported separately. */
function cleanMessage(message: string): string {
  return message.replace(/ at line \d+, column \d+:[\s\S]*$/, '').trim();
}

export function readYaml(text: string): YamlSource {
  const lineCounter = new LineCounter();
  // `merge` enables `<<: *defaults`, the usual way to share retry/timeout blocks between steps.
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: true, merge: true });
  const errors = doc.errors.map((err) => ({ message: cleanMessage(err.message), line: err.linePos?.[0]?.line }));
  const value: unknown = errors.length ? undefined : doc.toJS({ maxAliasCount: 100 });

  const lineAt = (node: { range?: [number, number, number] | null } | null | undefined) => (node?.range ? lineCounter.linePos(node.range[0]).line : undefined);

  function lineOf(path: readonly PathSegment[]): number | undefined {
    let node: unknown = doc.contents;
    let line = lineAt(doc.contents);
    for (const segment of path) {
      if (isAlias(node)) node = node.resolve(doc);
      if (isMap(node)) {
        const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
        if (!pair) break;
        // A key's line reads best: for block values (`request:` followed by an indented map) it is
        // the line that names the field.
        line = lineAt(pair.key as Node) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment];
        if (item === undefined) break;
        line = lineAt(item) ?? line;
        node = item;
      } else {
        break;
      }
    }
    return line;
  }

  return { value, errors, lineOf };
}
