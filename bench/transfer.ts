// Transfer copy benchmark (manual, as root: `node bench/transfer.ts`): the copy primitive of Transfer tasks, root and personal mode, vs cp + sha256sum, cp + sync and rsync -a on the same files in the same run.
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { log, printTable, type Row } from './lib/report.ts';
import { SERVE_NODE_FLAGS } from './lib/store.ts';
import { median, sampleRss, type RssPeak } from './data/stream.ts';
import type { Command, Reply } from './transfer/copier.ts';
import { withAccounts, sh, ensureCommand, type Account } from './lib/accounts.ts';

const MiB = 1 << 20;
const BIG = Number(process.env.BENCH_BIG_MIB ?? 2048) * MiB;
const SMALL = 4096;
const DIRS = 100;
const FILES_PER_DIR = 100;
/** timed runs per scenario, interleaved with the reference's (median taken) */
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** files of one tree copied at once, as the engine runs several files of a task in flight */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
/**
 * Before each timed run its target is removed and the run waits this long: on a VM whose balloon reports
 * free pages to the host, the first touch of such a page is a host fault (bench/README.md, "PUT and the
 * VM's memory"); without the pause whichever side runs right after the other's file was removed looks cheaper.
 */
const PAGE_SETTLE_MS = Number(process.env.BENCH_PAGE_SETTLE_MS ?? 4000);
const modes = (process.env.BENCH_MODES ?? 'root,personal').split(',') as Mode[];
const only = new Set((process.env.BENCH_ONLY ?? 'verify,plain,tree').split(','));
const COPIER = fileURLToPath(new URL('./transfer/copier.ts', import.meta.url));

type Mode = 'root' | 'personal';

const settle = () => new Promise((resolve) => setTimeout(resolve, PAGE_SETTLE_MS));
const target = (text: string, met: boolean) => ({ text, met });

/** big.bin (random bytes, returns its SHA-256) and tree/ (DIRS × FILES_PER_DIR files of 4 KiB). */
function plantFiles(src: string): string {
  const block = randomBytes(16 * MiB);
  const fd = fs.openSync(path.join(src, 'big.bin'), 'w', 0o644);
  const digest = createHash('sha256');
  for (let done = 0; done < BIG; done += block.length) {
    const piece = block.subarray(0, Math.min(block.length, BIG - done));
    fs.writeSync(fd, piece);
    digest.update(piece);
  }
  fs.closeSync(fd);
  fs.writeFileSync(path.join(src, 'warm.bin'), randomBytes(3 * MiB));
  for (let d = 0; d < DIRS; d++) {
    const dir = path.join(src, 'tree', `d${String(d).padStart(3, '0')}`);
    fs.mkdirSync(dir, { recursive: true });
    for (let f = 0; f < FILES_PER_DIR; f++) fs.writeFileSync(path.join(dir, `f${String(f).padStart(4, '0')}.bin`), randomBytes(SMALL));
  }
  sh('sync', []);
  return digest.digest('hex');
}

function sha256File(file: string): string {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(16 * MiB);
  const fd = fs.openSync(file, 'r');
  try {
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) hash.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

function chownTree(dir: string, account: Account): void {
  sh('chown', ['-R', `${account.uid}:${account.gid}`, dir]);
}

/** The copier child (bench/transfer/copier.ts), ready for commands. */
async function startCopier(
  mode: Mode,
  source: Account,
  destination: Account,
  stateDir: string,
): Promise<{ child: ChildProcess; run(cmd: Command): Promise<Reply> }> {
  const spec = { mode, runAs: mode === 'personal' ? source : undefined, source: source.name, destination: destination.name, stateDir };
  const child = fork(COPIER, [], {
    env: { ...process.env, BENCH_COPIER: JSON.stringify(spec) },
    execArgv: ['--disable-warning=ExperimentalWarning', ...SERVE_NODE_FLAGS.split(' ')],
  });
  let waiting: { resolve(r: Reply): void; reject(e: Error): void } | null = null;
  child.on('message', (r: Reply) => {
    const w = waiting;
    waiting = null;
    w?.resolve(r);
  });
  child.once('exit', (code) => waiting?.reject(new Error(`copier exited (${code})`)));
  const next = () => new Promise<Reply>((resolve, reject) => (waiting = { resolve, reject }));
  await next();
  return {
    child,
    async run(cmd) {
      const reply = next();
      child.send(cmd);
      const r = await reply;
      if (r.error) throw new Error(`copier: ${r.error}`);
      return r;
    },
  };
}

/** Run i of a scenario: the reference first on even runs, ours first on odd ones, so neither always inherits the other's page-cache state. */
async function interleaved(i: number, reference: () => Promise<void>, ours: () => Promise<void>): Promise<void> {
  if (i % 2 === 0) {
    await reference();
    await ours();
  } else {
    await ours();
    await reference();
  }
}

/** Wall time of a shell command, ms. */
function timed(script: string): number {
  const t0 = performance.now();
  const r = spawnSync('bash', ['-c', script], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`reference failed: ${script}`);
  return performance.now() - t0;
}

async function runMode(mode: Mode, a: Account, b: Account, work: string, bigHash: string): Promise<Row[]> {
  const src = path.join(work, 'src');
  const dst = path.join(work, `dst-${mode}`);
  const stateDir = path.join(work, `state-${mode}`);
  fs.mkdirSync(dst, { mode: 0o755 });
  fs.mkdirSync(stateDir, { mode: 0o700 });
  // root: read as one account, written as another; personal: one account for both.
  const writer = mode === 'root' ? b : a;
  chownTree(src, a);
  chownTree(dst, writer);
  chownTree(stateDir, a);
  const copier = await startCopier(mode, a, writer, stateDir);
  const rows: Row[] = [];
  const base = { bench: 'transfer', store: mode };
  try {
    await copier.run({ t: 'big', srcRoot: src, dstRoot: dst, name: 'warm.bin', algorithm: 'SHA256' });
    const bigDst = path.join(dst, 'big.bin');
    const mib = BIG / MiB;

    if (only.has('verify')) {
      const ours: number[] = [];
      const ref: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        await interleaved(
          i,
          async () => {
            fs.rmSync(bigDst, { force: true });
            await settle();
            ref.push(timed(`cp ${src}/big.bin ${bigDst} && sha256sum ${bigDst} >/dev/null`));
          },
          async () => {
            fs.rmSync(bigDst, { force: true });
            await settle();
            const r = await copier.run({ t: 'big', srcRoot: src, dstRoot: dst, name: 'big.bin', algorithm: 'SHA256' });
            if (r.checksum !== bigHash) throw new Error(`verify copy: checksum ${r.checksum}, expected ${bigHash}`);
            ours.push(r.ms);
          },
        );
      }
      const value = mib / (median(ours) / 1000);
      const reference = mib / (median(ref) / 1000);
      log(
        `  verify: ${value.toFixed(0)} MiB/s vs ${reference.toFixed(0)} MiB/s (${(value / reference).toFixed(2)}×); runs ms ours ${ours.map(Math.round).join(' ')}, reference ${ref.map(Math.round).join(' ')}`,
      );
      rows.push({
        ...base,
        scenario: `${mib / 1024} GiB, verify_checksum (SHA-256) vs cp + sha256sum`,
        metric: 'MiB/s',
        value,
        reference,
        target: target('≥ 1.0×', value >= reference),
        note: 'ours: temp file, fsync, rename, checksum in the read pass (durable); reference: cp then sha256sum of the copy (not synced)',
      });
    }

    if (only.has('plain')) {
      const ours: number[] = [];
      const ref: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        await interleaved(
          i,
          async () => {
            fs.rmSync(bigDst, { force: true });
            await settle();
            ref.push(timed(`cp ${src}/big.bin ${bigDst} && sync ${bigDst}`));
          },
          async () => {
            fs.rmSync(bigDst, { force: true });
            await settle();
            ours.push((await copier.run({ t: 'big', srcRoot: src, dstRoot: dst, name: 'big.bin', algorithm: null })).ms);
            if (i === 0 && sha256File(bigDst) !== bigHash) throw new Error('plain copy differs');
          },
        );
      }
      const value = mib / (median(ours) / 1000);
      const reference = mib / (median(ref) / 1000);
      log(
        `  plain: ${value.toFixed(0)} MiB/s vs ${reference.toFixed(0)} MiB/s (${(value / reference).toFixed(2)}×); runs ms ours ${ours.map(Math.round).join(' ')}, reference ${ref.map(Math.round).join(' ')}`,
      );
      rows.push({
        ...base,
        scenario: `${mib / 1024} GiB, no checksum vs cp + sync FILE`,
        metric: 'MiB/s',
        value,
        reference,
        target: target('≥ 0.9×', value >= 0.9 * reference),
      });
    }
    fs.rmSync(bigDst, { force: true });

    if (only.has('tree')) {
      const treeDst = path.join(dst, 'tree');
      const ours: number[] = [];
      const ref: number[] = [];
      let rss = null as RssPeak | null;
      let files = 0;
      let memory = '';
      for (let i = 0; i < RUNS; i++) {
        await interleaved(
          i,
          async () => {
            fs.rmSync(treeDst, { recursive: true, force: true });
            await settle();
            ref.push(timed(`rsync -a ${src}/tree/ ${treeDst}/`));
          },
          async () => {
            fs.rmSync(treeDst, { recursive: true, force: true });
            fs.mkdirSync(treeDst);
            fs.chownSync(treeDst, writer.uid, writer.gid);
            await settle();
            const sampler = sampleRss(copier.child.pid!);
            const r = await copier.run({ t: 'tree', srcRoot: path.join(src, 'tree'), dstRoot: treeDst, concurrency: CONCURRENCY });
            const peak = sampler.stop();
            if (!rss || peak.total > rss.total) rss = peak;
            files = r.files;
            memory = r.memory ?? '';
            ours.push(r.ms);
            if (i === 0 && spawnSync('diff', ['-rq', path.join(src, 'tree'), treeDst]).status !== 0) throw new Error('tree copy differs');
          },
        );
      }
      const value = files / (median(ours) / 1000);
      const reference = files / (median(ref) / 1000);
      log(
        `  tree: ${value.toFixed(0)} files/s vs ${reference.toFixed(0)} files/s (${(value / reference).toFixed(2)}×); runs ms ours ${ours.map(Math.round).join(' ')}, reference ${ref.map(Math.round).join(' ')}`,
      );
      rows.push({
        ...base,
        scenario: `${files} files of 4 KiB, ${CONCURRENCY} at a time vs rsync -a`,
        metric: 'files/s',
        value,
        reference,
        target: target('≥ 0.5×', value >= 0.5 * reference),
        note: 'ours: list as the source account, mkdir and temp + fsync + rename + directory fsync per file as the destination account; rsync -a: no fsync',
      });
      if (rss) {
        rows.push({
          ...base,
          scenario: `RSS copying the ${files}-file tree (copier process + workers, no server)`,
          metric: 'MB peak',
          value: rss.total,
          note: `copier VmRSS ${rss.server.toFixed(0)} MB (${memory}), largest worker ${rss.worker.toFixed(0)} MB, ${rss.workers} workers`,
        });
      }
      fs.rmSync(treeDst, { recursive: true, force: true });
    }
  } finally {
    copier.child.send({ t: 'exit' } satisfies Command);
    await new Promise((resolve) => copier.child.once('exit', resolve));
  }
  return rows;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new Error('bench/transfer runs as root: it creates two local accounts and runs root-mode workers and a personal-mode copier as one of them');
  ensureCommand('rsync');
  const t0 = Date.now();
  const rows = await withAccounts(2, 'gh-bench-transfer-', async ([a, b], work) => {
    log(
      `node ${process.version}, ${os.cpus().length} CPUs, accounts ${a.name} → ${b.name}; writing ${BIG / MiB} MiB and ${DIRS * FILES_PER_DIR} small files under ${work}…`,
    );
    const src = path.join(work, 'src');
    fs.mkdirSync(src, { mode: 0o755 });
    const bigHash = plantFiles(src);
    const out: Row[] = [];
    for (const mode of modes) {
      log(`${mode} mode…`);
      out.push(...(await runMode(mode, a, b, work, bigHash)));
    }
    return out;
  });
  printTable(
    `Transfer copy (${((Date.now() - t0) / 1000).toFixed(0)} s; copy primitive in its own process, median of ${RUNS} runs interleaved with the reference; ratio = ours / reference)`,
    rows,
  );
}

await main();
