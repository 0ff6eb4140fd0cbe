// The project files that end up in the Temporal workflow bundle, found the way the bundler finds
// them: every runtime import, transitively, from workflows/index.ts (the `workflowsPath` of the
// worker and of test/support/globalSetup.ts). eslint.config.js applies the workflow-sandbox rules to
// exactly these files (plus anything under workflows/), so a pure module that a workflow imports from
// chat/, domain/ or incidents/ cannot start doing I/O unnoticed.
//
// Type-only imports (`import type`, `export type`, `import { type A }` with nothing else) are erased
// by the compiler and never reach the bundle, so they are not followed. An import written without
// `type` but used only as a type is followed although the compiler would erase it: the list may hold
// a few more files than the bundle, never fewer (test/lint/workflowBundle.test.ts checks the real
// bundle against it). Packages are not followed: the rule's own package lists cover them.
// CommonJS and plain JavaScript because eslint.config.js loads it with require().
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

// The workflows, and the module the bundle preloads for all of them (temporal/workflowPreload.ts).
const ENTRIES = ['workflows/index.ts', 'workflows/sharedModules.ts'];

/** Module specifiers of the imports and re-exports of `source` that survive type erasure. */
function runtimeSpecifiers(source) {
  const out = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
      const clause = statement.importClause;
      if (clause?.isTypeOnly) continue;
      const bindings = clause?.namedBindings;
      const onlyTypeNames = clause && !clause.name && bindings && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly);
      if (!onlyTypeNames) out.push(statement.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)) {
      if (statement.isTypeOnly) continue;
      const clause = statement.exportClause;
      const onlyTypeNames = clause && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly);
      if (!onlyTypeNames) out.push(statement.moduleSpecifier.text);
    }
  }
  return out;
}

/** Project-relative paths (posix separators), sorted. */
function workflowBundleFiles(root) {
  const options = { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, allowJs: false };
  const seen = new Set();
  const queue = ENTRIES.map((entry) => path.join(root, entry));
  while (queue.length > 0) {
    const file = queue.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false);
    for (const specifier of runtimeSpecifiers(source)) {
      if (!specifier.startsWith('.')) continue;
      const resolved = ts.resolveModuleName(specifier, file, options, ts.sys).resolvedModule;
      if (!resolved || resolved.isExternalLibraryImport || resolved.extension !== ts.Extension.Ts) continue;
      queue.push(path.resolve(resolved.resolvedFileName));
    }
  }
  return [...seen].map((file) => path.relative(root, file).split(path.sep).join('/')).sort();
}

module.exports = { workflowBundleFiles, runtimeSpecifiers };
