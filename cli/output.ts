import Table from 'cli-table3';
import { createColors } from 'picocolors';

/**
 * How the CLI prints: tables for people, JSON for scripts (`--output json`), colours only when
 * stdout is a terminal and NO_COLOR is not set (https://no-color.org). Untrusted text (runbook
 * descriptions, chat replies, log lines) is printed with terminal control sequences removed.
 */
export type OutputFormat = 'table' | 'json';

export function colorEnabled(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY);
}

export const colors = createColors(colorEnabled());

/** ESC/CSI/OSC sequences and other C0 controls (but newline and tab) out of text from the API. */
export function safeText(value: unknown): string {
  const text = typeof value === 'string' ? value : value === undefined || value === null ? '' : JSON.stringify(value);
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(\u0007|\u001b\\)?|[\u0000-\u0008\u000b-\u001f\u007f\u009b]/g, '');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printTable(head: string[], rows: unknown[][]): void {
  if (rows.length === 0) {
    process.stdout.write(`${colors.dim('(none)')}\n`);
    return;
  }
  const table = new Table({
    head: head.map((h) => colors.bold(h)),
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: '  ',
    },
  });
  for (const row of rows) table.push(row.map((cell) => safeText(cell)));
  process.stdout.write(
    `${table
      .toString()
      .split('\n')
      .map((l) => l.trimEnd())
      .join('\n')}\n`,
  );
}

/** `key: value` lines for one object. */
export function printFields(fields: [string, unknown][]): void {
  const width = Math.max(...fields.map(([k]) => k.length));
  for (const [key, value] of fields) {
    if (value === undefined) continue;
    process.stdout.write(`${colors.bold(key.padEnd(width))}  ${safeText(value)}\n`);
  }
}

const STATUS_COLORS: Record<string, (s: string) => string> = {
  succeeded: colors.green,
  approved: colors.green,
  running: colors.cyan,
  waiting_approval: colors.yellow,
  waiting: colors.yellow,
  pending: colors.yellow,
  paused: colors.yellow,
  compensating: colors.magenta,
  failed: colors.red,
  rejected: colors.red,
  cancelled: colors.red,
  expired: colors.red,
  skipped: colors.dim,
};

export function status(value: string): string {
  return (STATUS_COLORS[value] ?? ((s: string) => s))(value);
}
