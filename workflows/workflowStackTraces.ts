/**
 * Frames kept in a stack trace made in workflow code (sharedModules.ts sets it). The SDK records a
 * stack trace for every promise a workflow creates, for its `__stack_trace` query, and maps each
 * frame through the bundle's source map: with V8's default of 10 frames that was about a quarter of
 * the workflow thread's CPU in the bench's 500 concurrent runs (bench/README.md). The SDK drops the
 * frame of its own hook, so a pending promise shows the 4 innermost frames of where it was made, and
 * an error thrown in workflow code the 5 innermost: enough to say where a run waits or what threw.
 */
export const WORKFLOW_STACK_TRACE_LIMIT = 5;
