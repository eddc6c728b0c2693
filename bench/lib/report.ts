// Result rows (measured, reference, ratio, target) and their printing as aligned tables.
import { fileURLToPath } from 'node:url';
import type { LoadResult } from './load.ts';

export interface Target {
  /** e.g. "≥ 0.5× ref", "p99 < 20 ms" */
  text: string;
  met: boolean;
}

export interface Row {
  bench: string;
  store: string;
  scenario: string;
  /** req/s, p50 ms, p99 ms, ms */
  metric: string;
  value: number;
  /** the same metric on the bare node:https handler, same connections, same run */
  reference?: number;
  target?: Target;
  note?: string;
}

function fmt(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '—';
  if (n >= 1000) return Math.round(n).toString();
  if (n >= 100) return n.toFixed(0);
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** Rates: measured / reference (1 = as fast). Latencies: measured / reference (1 = as quick, higher is slower). */
export function ratio(row: Row): number | undefined {
  if (row.reference === undefined || row.reference === 0) return undefined;
  return row.value / row.reference;
}

/** The usual trio from one load run; targets are attached by the caller. */
export function loadRows(
  base: Omit<Row, 'metric' | 'value' | 'reference'>,
  r: LoadResult,
  ref: LoadResult | undefined,
  targets: { rps?: Target; p50?: Target; p99?: Target } = {},
): Row[] {
  const errors = r.errors ? `${r.errors} errors (${r.firstError ?? ''})`.slice(0, 160) : undefined;
  const rows: Row[] = [
    { ...base, metric: 'req/s', value: r.rps, reference: ref?.rps, target: targets.rps, note: errors ?? base.note },
    { ...base, metric: 'p50 ms', value: r.p50, reference: ref?.p50, target: targets.p50 },
    { ...base, metric: 'p99 ms', value: r.p99, reference: ref?.p99, target: targets.p99 },
  ];
  if (r.cpuUs !== undefined) rows.push({ ...base, metric: 'cpu µs/req', value: r.cpuUs, reference: ref?.cpuUs });
  return rows;
}

export function printTable(title: string, rows: Row[]): void {
  const header = ['bench', 'store', 'scenario', 'metric', 'measured', 'reference', 'ratio', 'target', ''];
  const body = rows.map((r) => {
    const q = ratio(r);
    return [
      r.bench,
      r.store,
      r.scenario,
      r.metric,
      fmt(r.value),
      fmt(r.reference),
      q === undefined ? '—' : `${q.toFixed(q >= 10 ? 1 : 2)}×`,
      r.target ? r.target.text : '',
      r.target ? (r.target.met ? 'met' : 'MISSED') : '',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i >= 4 && i <= 6 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(
    widths
      .map((w) => '-'.repeat(w))
      .join('  ')
      .trimEnd(),
  );
  for (const b of body) console.log(line(b));
  const notes = rows.filter((r) => r.note).map((r) => `  note (${r.bench}/${r.store}/${r.scenario}): ${r.note}`);
  for (const n of [...new Set(notes)]) console.log(n);
  const targeted = rows.filter((r) => r.target);
  if (targeted.length) console.log(`targets: ${targeted.filter((r) => r.target!.met).length} met, ${targeted.filter((r) => !r.target!.met).length} missed`);
}

export function log(message: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);
}

/** True when this module is the process entry (`node bench/auth.ts`), not imported by run.ts. */
export function isMain(metaUrl: string): boolean {
  return process.argv[1] !== undefined && fileURLToPath(metaUrl) === process.argv[1];
}
