/**
 * Packages the worker evaluates once into its reusable V8 context instead of once per workflow
 * (the bundler's `preloadModules`). With `reuseV8Context` (the SDK default) every new workflow, and
 * every workflow brought back after leaving the worker's cache, otherwise evaluates the bundle's
 * modules afresh; zod and cel-js were ~75 % of that work, measured at 10-35 ms per workflow start on
 * a 2-core machine (a CPU profile of `initRuntime` in the workflow thread). Preloaded, a run's first
 * workflow task reaches its first event that much sooner, and each cached workflow holds no copy.
 *
 * Only packages that keep no per-workflow state belong here. Both are pure (no I/O, clock or
 * randomness: the determinism lint already allows them in workflow code) and our workflow code never
 * configures them (no `z.config`, no CEL functions registered at run time). zod's global registry
 * keys metadata by schema object in a WeakMap, so the per-workflow schemas of our own modules go away
 * with their workflow; cel-js keeps its default environment and type caches in module scope. The SDK
 * deep-freezes what a preloaded module exports. Our own modules stay per workflow.
 *
 * The list names one project module, workflows/sharedModules.ts, that re-exports both: the bundler
 * requires preloaded modules with CommonJS resolution, and a bare `zod` would load zod's separate
 * CommonJS build, a second copy the workflow code (ESM imports) never uses.
 * test/workflows/workflowPreload.test.ts checks that the modules the workflows import are shared.
 */
export const WORKFLOW_PRELOAD_MODULES: readonly string[] = [require.resolve('../workflows/sharedModules')];
