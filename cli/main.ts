import { CommanderError } from 'commander';
import { ApiError } from './apiClient';
import { EXIT, ExitWith } from './exitCodes';
import { colors } from './output';
import { buildProgram } from './program';

/** Entry point of `copilot` (cli/bin.js): runs the program, prints errors once, sets the exit code. */
async function main(): Promise<void> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof ExitWith) {
      if (err.message) process.stderr.write(`${err.message}\n`);
      process.exitCode = err.code;
      return;
    }
    if (err instanceof CommanderError) {
      // commander printed the message (or the help) already.
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    const message = err instanceof ApiError ? err.message : (err as Error).message;
    process.stderr.write(`${colors.red('error')}: ${message}\n`);
    process.exitCode = EXIT.failed;
  }
}

void main();
