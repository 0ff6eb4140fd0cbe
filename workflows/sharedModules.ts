import { z } from 'zod';
import { WORKFLOW_STACK_TRACE_LIMIT } from './workflowStackTraces';

/**
 * The packages all workflows on a worker share instead of evaluating them once per workflow: the
 * bundle preloads this module into the worker's reusable V8 context (`preloadModules`, see
 * temporal/workflowPreload.ts for why these two and why it is safe). Re-exporting them from a
 * project module makes the bundler resolve them exactly as the workflow code's own imports do.
 */
export { z };
export * as cel from '@marcbachmann/cel-js';

// zod sets up some module state on first use (its default locale, whether it may compile parsers);
// the SDK freezes what a preloaded module exports right after this module ran, so the first use
// happens here. Every workflow test runs on this bundle (test/support/globalSetup.ts).
z.object({ warm: z.string() }).safeParse({ warm: 1 });

// Set here because the SDK freezes the context's globals, Error among them, right after the
// preloaded modules ran; it applies to this bundle's V8 context only (workflowStackTraces.ts says why).
Error.stackTraceLimit = WORKFLOW_STACK_TRACE_LIMIT;
