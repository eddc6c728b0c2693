// bench/transfer's measured side, in its own process: copies through the Transfer copy primitive on the parent's commands — as root between two accounts' workers, or dropped to one account (personal mode).
import fs from 'node:fs';
import path from 'node:path';
// Types only: the modules themselves load after the privilege drop.
import type { Location, PosixConnector } from '../../packages/server/src/data/posix/index.ts';

interface Spec {
  mode: 'root' | 'personal';
  /** personal mode: the account this process becomes before loading the server's code */
  runAs?: { name: string; uid: number; gid: number; groups: number[] };
  source: string;
  destination: string;
  stateDir: string;
}

export type Command =
  | { t: 'big'; srcRoot: string; dstRoot: string; name: string; algorithm: string | null }
  | { t: 'tree'; srcRoot: string; dstRoot: string; concurrency: number }
  | { t: 'exit' };

export interface Reply {
  ms: number;
  files: number;
  bytes: number;
  checksum?: string | null;
  /** the copier's own heap after a tree */
  memory?: string;
  error?: string;
}

const spec = JSON.parse(process.env.BENCH_COPIER ?? 'null') as Spec;
if (!spec) throw new Error('BENCH_COPIER is not set');
if (spec.runAs) {
  // After exec, as the POSIX workers do: the node binary may sit where the account cannot exec it.
  process.setgroups!(spec.runAs.groups);
  process.setgid!(spec.runAs.gid);
  process.setuid!(spec.runAs.uid);
  if (process.getuid!() !== spec.runAs.uid || process.getgroups!().includes(0)) throw new Error('privilege drop did not take effect');
  process.chdir('/');
}

const { createPosixConnectors } = await import('../../packages/server/src/data/posix/index.ts');
const { lexicalTarget, resolveTarget } = await import('../../packages/server/src/data/paths.ts');
const { copyFile } = await import('../../packages/server/src/transfer/engine/copy.ts');

const connectors = await createPosixConnectors({ stateDir: spec.stateDir, mode: spec.mode === 'root' ? 'privileged' : 'personal' });
const source = await connectors.connectorFor(spec.source);
const destination = await connectors.connectorFor(spec.destination);

/** A location as data/access.ts decideRequest grants it to the engine: with the real paths its decision was made on (one realpath when no link is in the way). */
async function granted(root: string, clientPath: string, intent: 'read' | 'write'): Promise<Location> {
  const lex = lexicalTarget(root, undefined, clientPath);
  if (!('ok' in lex)) {
    const probe = intent === 'write' ? path.dirname(lex.target) : lex.target;
    if ((await fs.promises.realpath(probe).catch(() => null)) === probe)
      return { root, path: clientPath, real: { target: lex.target, boundary: lex.boundary, root: path.resolve(root) } };
  }
  const r = await resolveTarget({ root, path: clientPath, intent });
  if (!r.ok) throw new Error(r.message);
  return { root, path: clientPath, real: { target: r.path, boundary: r.boundary, root: r.root } };
}

let seq = 0;
async function copyOne(srcRoot: string, dstRoot: string, file: string, algorithm: string | null) {
  return copyFile({
    source: { connector: source, at: await granted(srcRoot, file, 'read') },
    destination: { connector: destination, at: await granted(dstRoot, file, 'write') },
    tempName: `.gatehouse-bench0000-${++seq}.part`,
    algorithm,
    preserveTimestamp: false,
    onCheckpoint: async () => {},
    signal: new AbortController().signal,
  });
}

/**
 * A tree as the engine will run it: each directory listed as the source account and made as the
 * destination's, its files copied `concurrency` at a time.
 */
async function copyTree(
  src: PosixConnector,
  dst: PosixConnector,
  srcRoot: string,
  dstRoot: string,
  concurrency: number,
): Promise<{ files: number; bytes: number }> {
  const files: string[] = [];
  const dirs = ['/'];
  while (dirs.length) {
    const dir = dirs.shift()!;
    const listing = await src.list({ root: srcRoot, path: dir });
    for (const e of listing.entries) {
      const p = path.posix.join(dir, e.name);
      if (e.type === 'dir') {
        await dst.mkdir(await granted(dstRoot, p, 'write'));
        dirs.push(p);
      } else files.push(p);
    }
  }
  let next = 0;
  let bytes = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < files.length) {
        const r = await copyOne(srcRoot, dstRoot, files[next++], null);
        bytes += r.size;
      }
    }),
  );
  return { files: files.length, bytes };
}

process.on('message', (cmd: Command) => {
  void (async () => {
    if (cmd.t === 'exit') {
      await connectors.close();
      process.exit(0);
    }
    const t0 = performance.now();
    try {
      if (cmd.t === 'big') {
        const r = await copyOne(cmd.srcRoot, cmd.dstRoot, `/${cmd.name}`, cmd.algorithm);
        process.send!({ ms: performance.now() - t0, files: 1, bytes: r.size, checksum: r.checksum } satisfies Reply);
      } else {
        const r = await copyTree(source, destination, cmd.srcRoot, cmd.dstRoot, cmd.concurrency);
        const m = process.memoryUsage();
        const memory = `heap ${(m.heapTotal / 1e6).toFixed(0)} MB, external ${(m.external / 1e6).toFixed(0)} MB, array buffers ${(m.arrayBuffers / 1e6).toFixed(0)} MB`;
        process.send!({ ms: performance.now() - t0, ...r, memory } satisfies Reply);
      }
    } catch (error) {
      process.send!({ ms: 0, files: 0, bytes: 0, error: String((error as Error)?.stack ?? error) } satisfies Reply);
    }
  })();
});
process.send!({ ms: 0, files: 0, bytes: 0 } satisfies Reply);
