// Output for every command: `--format json` for scripts, `--format text` for people; errors to stderr.
import type { Command } from 'commander';

export type Format = 'json' | 'text';

export function formatOf(command: Command): Format {
  // A command's own --json wins over the global -F (optsWithGlobals lets ancestors override).
  if (command.opts().json) return 'json';
  const format = command.optsWithGlobals().format as string | undefined;
  return format === 'json' ? 'json' : 'text';
}

/** Prints a result: JSON as-is, text as `key: value` lines (or a table for arrays of records). */
export function print(command: Command, value: unknown, text?: (value: any) => string): void {
  if (formatOf(command) === 'json') {
    process.stdout.write(JSON.stringify(value, null, 2) + '\n');
    return;
  }
  process.stdout.write((text ? text(value) : toText(value)) + '\n');
}

export function toText(value: unknown): string {
  if (Array.isArray(value)) return table(value as Record<string, unknown>[]);
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    const width = Math.max(0, ...entries.map(([k]) => k.length));
    return entries.map(([k, v]) => `${(k + ':').padEnd(width + 2)}${scalar(v)}`).join('\n');
  }
  return String(value);
}

function scalar(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function table(rows: Record<string, unknown>[], columns?: string[]): string {
  if (rows.length === 0) return '(none)';
  const cols = columns ?? Object.keys(rows[0]);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => scalar(r[c]).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join(' | ')
      .trimEnd();
  return [line(cols), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map((r) => line(cols.map((c) => scalar(r[c]))))].join('\n');
}

/** A failure the user can act on: message to stderr, non-zero exit. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** Bytes for people: `512 B`, `1.5 MiB`. */
export function humanBytes(n: number): string {
  let v = n;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${UNITS[i]}`;
}
