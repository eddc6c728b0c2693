// `npm run bench`: the auth, api and groups benchmarks in sequence, then one summary table (bench/data runs separately).
import { run as auth } from './auth.ts';
import { run as api } from './api.ts';
import { run as groups } from './groups.ts';
import { log, printTable, type Row } from './lib/report.ts';
import { benchDatabaseUrl } from './lib/store.ts';

const benches: Array<[string, () => Promise<Row[]>]> = [
  ['auth', auth],
  ['api', api],
  ['groups', groups],
];
const only = process.argv.slice(2);
const t0 = Date.now();
log(`stores: sqlite${benchDatabaseUrl() ? ' + postgres' : ' (set GATEHOUSE_BENCH_DATABASE_URL for a PostgreSQL pass too)'}`);
const rows: Row[] = [];
for (const [name, bench] of benches) {
  if (only.length && !only.includes(name)) continue;
  const part = await bench();
  printTable(name, part);
  rows.push(...part);
}
printTable(`Summary (${((Date.now() - t0) / 1000).toFixed(0)} s; ratio = Gatehouse / bare node:https reference measured in the same run)`, rows);
