// The worker's code as plain JavaScript: type-stripped once per server into its state dir, so workers start without the TypeScript loader.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The worker's TypeScript entry; the server itself runs its sources as they are. */
export const WORKER_TS = fileURLToPath(new URL('./worker.ts', import.meta.url));

/** Relative imports of a module: the worker's own graph, which is all that needs stripping. */
const RELATIVE_TS = /(\bfrom\s*|\bimport\s*)'(\.{1,2}\/[^']+)\.ts'/g;

/** The worker's modules with their sources, each file read once. */
function graph(entry: string): Array<{ file: string; text: string }> {
  const seen = new Map<string, string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const text = fs.readFileSync(file, 'utf8');
    seen.set(file, text);
    for (const m of text.matchAll(RELATIVE_TS)) visit(path.resolve(path.dirname(file), `${m[2]}.ts`));
  };
  visit(entry);
  return [...seen].map(([file, text]) => ({ file, text }));
}

/** Node's stripTypeScriptTypes announces itself as experimental once per process; this use is not news to the admin. */
function strip(source: string): string {
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (!String(warning).includes('stripTypeScriptTypes')) (emit as (...a: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return stripTypeScriptTypes(source, { mode: 'strip' });
  } finally {
    process.emitWarning = emit;
  }
}

/**
 * The path of the worker's entry as `.mjs`, written under `<stateDir>/worker-js/<digest of the sources>/`
 * (kept across restarts while the sources are unchanged). A worker started from `.ts` loads Node's
 * TypeScript stripper (WebAssembly): ~13 MB more per worker process, and an account may have several.
 * Falls back to the `.ts` entry if the copy cannot be made.
 */
export function workerScript(stateDir: string): string {
  try {
    const base = path.dirname(path.dirname(WORKER_TS)); // src/data: the worker's graph stays under it
    const digest = createHash('sha256');
    const sources = graph(WORKER_TS).map(({ file, text }) => {
      const rel = path.relative(base, file);
      if (rel.startsWith('..')) throw new Error(`worker module outside ${base}: ${file}`);
      digest.update(rel).update('\0').update(text).update('\0');
      return { rel, text };
    });
    const dir = path.join(stateDir, 'worker-js', digest.digest('hex').slice(0, 16));
    const entry = path.join(dir, path.relative(base, WORKER_TS).replace(/\.ts$/, '.mjs'));
    if (fs.existsSync(entry)) return entry;
    // Written beside, then renamed: another server process on the same state dir may be doing the same.
    const temp = `${dir}.${process.pid}.tmp`;
    fs.rmSync(temp, { recursive: true, force: true });
    for (const { rel, text } of sources) {
      const out = path.join(temp, rel.replace(/\.ts$/, '.mjs'));
      fs.mkdirSync(path.dirname(out), { recursive: true, mode: 0o700 });
      fs.writeFileSync(out, strip(text).replace(RELATIVE_TS, "$1'$2.mjs'"), { mode: 0o600 });
    }
    try {
      fs.renameSync(temp, dir);
    } catch (error) {
      fs.rmSync(temp, { recursive: true, force: true });
      if (!fs.existsSync(entry)) throw error;
    }
    return entry;
  } catch {
    return WORKER_TS;
  }
}
