/**
 * Exit codes of `copilot`, so scripts can branch on a run's outcome:
 * 0 succeeded, 1 failed (or any error), 2 cancelled or rejected.
 */
export const EXIT = {
  ok: 0,
  failed: 1,
  cancelledOrRejected: 2,
  /** Usage errors (unknown option, missing argument): commander's own code. */
  usage: 1,
} as const;

/** Thrown by commands that want a specific exit code after printing their own output. */
export class ExitWith extends Error {
  constructor(
    readonly code: number,
    message = '',
  ) {
    super(message);
    this.name = 'ExitWith';
  }
}
