// Transfer task benchmark (manual, as root: `node bench/transfer-tasks.ts`): 10,000 files of 4 KiB through a real recursive task vs `rsync -a`, the server's RSS during it, and 100 submissions at once; root and personal mode.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import {
  ClientCredentialsAuthorizer,
  ConfidentialAppAuthClient,
  GCSClient,
  GCSEndpointScopes,
  MappedCollectionDocument,
  StorageGatewayDocument,
} from '@gatehouse/sdk';
import { POSIX_CONNECTOR } from '../packages/server/src/gcs/constants.ts';
import { log, printTable, type Row } from './lib/report.ts';
import { prepare, storeKinds, type BenchEnv, type StoreKind } from './lib/store.ts';
import { median, treeCpuMs } from './data/stream.ts';
import { seed, type Seeded } from './data/world.ts';
import { withAccounts, sh, ensureCommand, type Account } from './lib/accounts.ts';

const SMALL = 4096;
const DIRS = Number(process.env.BENCH_DIRS ?? 100);
const FILES_PER_DIR = Number(process.env.BENCH_FILES_PER_DIR ?? 100);
const FILES = DIRS * FILES_PER_DIR;
/** timed task runs per mode, each interleaved with an rsync run (median taken) */
const RUNS = Number(process.env.BENCH_RUNS ?? 2);
const SUBMISSIONS = 100;
const modes = (process.env.BENCH_MODES ?? 'root,personal').split(',') as Mode[];
const only = new Set((process.env.BENCH_ONLY ?? 'tree,submit').split(','));
const AS_ACCOUNT_ENTRY = fileURLToPath(new URL('./data/as-account.ts', import.meta.url));
/** BENCH_STRACE=1: the server's system calls during the (first) task, counted by `strace -f -c` (slows it down; a count that other load does not move). */
const STRACE = process.env.BENCH_STRACE === '1';
const TRANSFER_SCOPE = 'urn:globus:auth:scope:transfer.api.globus.org:all';

type Mode = 'root' | 'personal';

const target = (text: string, met: boolean) => ({ text, met });

function plantTree(dir: string): void {
  for (let d = 0; d < DIRS; d++) {
    const sub = path.join(dir, `d${String(d).padStart(3, '0')}`);
    fs.mkdirSync(sub, { recursive: true });
    for (let f = 0; f < FILES_PER_DIR; f++) fs.writeFileSync(path.join(sub, `f${String(f).padStart(4, '0')}.bin`), randomBytes(SMALL));
  }
  sh('sync', []);
}

/** VmHWM is the process's own peak; VmRSS is sampled too, since a process started before the task may have peaked earlier. */
function sampleServerRss(pid: number, everyMs = 50): { stop(): { peakRss: number; hwm: number } } {
  let peakRss = 0;
  let hwm = 0;
  const tick = () => {
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
      peakRss = Math.max(peakRss, kib('VmRSS') / 1024);
      hwm = Math.max(hwm, kib('VmHWM') / 1024);
    } catch {}
  };
  tick();
  const timer = setInterval(tick, everyMs);
  return {
    stop() {
      clearInterval(timer);
      tick();
      return { peakRss, hwm };
    },
  };
}

/** CPU time (user + system, ms) of the server process alone. */
function ownCpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** `strace -c` attached to every thread of the process (and the workers it forks) until stopped; the summary's busiest calls. */
async function straceCounts(pid: number, file: string): Promise<{ stop(): Promise<string> }> {
  const child = spawn('strace', ['-f', '-c', '-o', file, '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise((resolve) => child.stderr!.once('data', resolve));
  return {
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      const rows = lines.filter((l) => /^\s*[\d.]+\s+[\d.]+\s+\d+\s+\d+/.test(l));
      const calls = rows
        .map((l) => {
          const f = l.trim().split(/\s+/);
          return { name: f[f.length - 1], calls: Number(f[3]) };
        })
        .filter((c) => c.name !== 'total');
      const total = calls.reduce((n, c) => n + c.calls, 0);
      calls.sort((a, b) => b.calls - a.calls);
      return `${(total / FILES).toFixed(1)} syscalls/file: ${calls
        .slice(0, 12)
        .map((c) => `${c.name} ${(c.calls / FILES).toFixed(2)}`)
        .join(', ')}`;
    },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface TaskWorld {
  source: string;
  destination: string;
  token: string;
}

/** Two POSIX gateways (one per account), a mapped collection on each, and a Transfer token carrying both data_access consents. */
async function buildWorld(o: {
  url: string;
  dispatcher: Agent;
  endpointId: string;
  seeded: Seeded;
  reader: Account;
  writer: Account;
  srcRoot: string;
  dstRoot: string;
}): Promise<TaskWorld> {
  const auth = new ConfidentialAppAuthClient(o.seeded.admin.id, o.seeded.admin.secret, { baseUrl: o.url, dispatcher: o.dispatcher });
  const gcs = new GCSClient(o.url, {
    authorizer: new ClientCredentialsAuthorizer(auth, GCSEndpointScopes(o.endpointId).manage_collections),
    dispatcher: o.dispatcher,
  });
  const mapped = async (account: Account, root: string, label: string) => {
    const gateway = await gcs.createStorageGateway(
      new StorageGatewayDocument({
        displayName: `Bench ${label}`,
        connectorId: POSIX_CONNECTOR,
        identityMappings: [
          { DATA_TYPE: 'expression_identity_mapping#1.0.0', mappings: [{ source: '{id}', match: o.seeded.admin.id, output: account.name, literal: true }] },
        ],
      }),
    );
    const collection = await gcs.createCollection(
      new MappedCollectionDocument({ displayName: `Bench ${label}`, storageGatewayId: gateway.data.id as string, collectionBasePath: root, public: 'True' }),
    );
    return collection.data.id as string;
  };
  const source = await mapped(o.reader, o.srcRoot, 'source');
  const destination = await mapped(o.writer, o.dstRoot, 'destination');
  const scope = `${TRANSFER_SCOPE}[https://auth.globus.org/scopes/${source}/data_access https://auth.globus.org/scopes/${destination}/data_access]`;
  const res = await request(`${o.url}/v2/oauth2/token`, {
    method: 'POST',
    dispatcher: o.dispatcher,
    headers: {
      authorization: `Basic ${Buffer.from(`${o.seeded.admin.id}:${o.seeded.admin.secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
  });
  const body = (await res.body.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`no Transfer token: ${JSON.stringify(body)}`);
  return { source, destination, token: body.access_token };
}

async function call(
  o: { url: string; dispatcher: Agent; token: string },
  method: 'GET' | 'POST',
  p: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const res = await request(`${o.url}${p}`, {
    method,
    dispatcher: o.dispatcher,
    headers: { authorization: `Bearer ${o.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.statusCode, body: await res.body.json() };
}

function transferDoc(w: TaskWorld, source: string, destination: string, recursive: boolean) {
  return {
    DATA_TYPE: 'transfer',
    submission_id: randomUUID(),
    source_endpoint: w.source,
    destination_endpoint: w.destination,
    DATA: [{ DATA_TYPE: 'transfer_item', source_path: source, destination_path: destination, ...(recursive ? { recursive: true } : {}) }],
  };
}

/** Submits one recursive task of the tree and polls it to the end (as `globus task wait`); wall ms and the task document. */
async function runTask(o: { url: string; dispatcher: Agent; token: string }, w: TaskWorld, destination: string): Promise<{ ms: number; task: any }> {
  const t0 = performance.now();
  const sub = await call(o, 'POST', '/v0.10/transfer', transferDoc(w, '/tree/', destination, true));
  if (sub.status !== 202) throw new Error(`submission: ${sub.status} ${JSON.stringify(sub.body)}`);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const task = await call(o, 'GET', `/v0.10/task/${sub.body.task_id}`);
    if (task.body.status !== 'ACTIVE') {
      const ms = performance.now() - t0;
      if (task.body.status !== 'SUCCEEDED' || task.body.files_transferred !== FILES) throw new Error(`task ended ${JSON.stringify(task.body)}`);
      return { ms, task: task.body };
    }
  }
}

function rsyncMs(from: string, to: string): number {
  const t0 = performance.now();
  const r = spawnSync('rsync', ['-a', `${from}/`, `${to}/`], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error('rsync failed');
  return performance.now() - t0;
}

async function runMode(kind: StoreKind, mode: Mode, a: Account, b: Account, work: string): Promise<Row[]> {
  const env: BenchEnv = await prepare(kind);
  const rows: Row[] = [];
  const base = { bench: 'transfer-tasks', store: `${kind}/${mode}` };
  const writer = mode === 'root' ? b : a;
  const dstRoot = path.join(work, `dst-${kind}-${mode}`);
  const refRoot = path.join(work, `ref-${kind}-${mode}`);
  fs.mkdirSync(dstRoot, { mode: 0o755 });
  fs.mkdirSync(refRoot, { mode: 0o755 });
  fs.chownSync(dstRoot, writer.uid, writer.gid);
  const dispatcher = new Agent({ connect: { ca: env.tls.ca }, connections: SUBMISSIONS, keepAliveTimeout: 60_000 });
  try {
    const seeded = await seed(env);
    if (mode === 'personal') sh('chown', ['-R', `${a.uid}:${a.gid}`, env.dataDir]);
    const server =
      mode === 'personal'
        ? await env.startGatehouse({ BENCH_RUN_AS: JSON.stringify({ ...a, home: '/nonexistent' }) }, AS_ACCOUNT_ENTRY)
        : await env.startGatehouse();
    const idle = sampleServerRss(server.pid).stop();
    const world = await buildWorld({
      url: server.url,
      dispatcher,
      endpointId: env.endpointId,
      seeded,
      reader: a,
      writer,
      srcRoot: path.join(work, 'src'),
      dstRoot,
    });
    const o = { url: server.url, dispatcher, token: world.token };
    log(`${kind}/${mode}: server pid ${server.pid}, idle RSS ${idle.peakRss.toFixed(0)} MiB`);

    if (only.has('tree')) {
      const ours: number[] = [];
      const ref: number[] = [];
      let rss = { peakRss: 0, hwm: 0 };
      let cpu = { server: 0, tree: 0 };
      for (let i = 0; i < RUNS; i++) {
        const refTo = path.join(refRoot, `run${i}`);
        const oursTask = async () => {
          const sampler = sampleServerRss(server.pid);
          const strace = STRACE && i === 0 ? await straceCounts(server.pid, path.join(work, `strace-${kind}-${mode}.txt`)) : null;
          const [own0, tree0] = [ownCpuMs(server.pid), treeCpuMs(server.pid)];
          const r = await runTask(o, world, `/run${i}/`);
          if (strace) log(`  strace (server${mode === 'root' ? ' and workers' : ''}, first task): ${await strace.stop()}`);
          cpu = { server: cpu.server + ownCpuMs(server.pid) - own0, tree: cpu.tree + treeCpuMs(server.pid) - tree0 };
          const peak = sampler.stop();
          rss = { peakRss: Math.max(rss.peakRss, peak.peakRss), hwm: Math.max(rss.hwm, peak.hwm) };
          ours.push(r.ms);
        };
        if (i % 2 === 0) {
          ref.push(rsyncMs(path.join(work, 'src', 'tree'), refTo));
          await oursTask();
        } else {
          await oursTask();
          ref.push(rsyncMs(path.join(work, 'src', 'tree'), refTo));
        }
      }
      const diff = spawnSync('diff', ['-r', '-q', path.join(work, 'src', 'tree'), path.join(dstRoot, 'run0')], { stdio: 'ignore' });
      if (diff.status !== 0) throw new Error("the task's copy differs from the source tree");
      const value = FILES / (median(ours) / 1000);
      const reference = FILES / (median(ref) / 1000);
      const perFile = (ms: number) => (1000 * ms) / (FILES * RUNS);
      log(
        `  tree: ${value.toFixed(0)} files/s vs rsync ${reference.toFixed(0)} (${(value / reference).toFixed(2)}×); ms ours ${ours.map(Math.round).join(' ')}, rsync ${ref.map(Math.round).join(' ')}; RSS peak ${rss.peakRss.toFixed(0)} MiB; cpu µs/file server ${perFile(cpu.server).toFixed(0)}, with workers ${perFile(cpu.tree).toFixed(0)}`,
      );
      rows.push({
        ...base,
        scenario: `${FILES} files of 4 KiB, recursive task vs rsync -a`,
        metric: 'files/s',
        value,
        reference,
        target: target('≥ 0.5× rsync', value / reference >= 0.5),
        note: `submit to SUCCEEDED, polled every 50 ms; median of ${RUNS}; cpu µs/file: server ${perFile(cpu.server).toFixed(0)}, server + workers ${perFile(cpu.tree).toFixed(0)}`,
      });
      rows.push({
        ...base,
        scenario: `server RSS during the ${FILES}-file task`,
        metric: 'MiB',
        value: rss.peakRss,
        reference: idle.peakRss,
        target: target('< 250 MB', rss.peakRss * 1.048576 < 250),
        note: `peak VmRSS sampled every 50 ms (reference: idle after start); VmHWM ${rss.hwm.toFixed(0)} MiB`,
      });
    }

    if (only.has('submit')) {
      // One file each, to a destination of its own: submissions the engine then queues (3 per owner at a time).
      const doc = (i: number) => transferDoc(world, '/tree/d000/f0000.bin', `/sub/${i}.bin`, false);
      const once = async (i: number) => {
        const t0 = performance.now();
        const r = await call(o, 'POST', '/v0.10/transfer', doc(i));
        return { ms: performance.now() - t0, ok: r.status === 202 };
      };
      // Warm-up: one connection per slot opened and a first submission through each.
      await Promise.all(Array.from({ length: SUBMISSIONS }, (_, i) => once(10_000 + i)));
      const sequential: number[] = [];
      for (let i = 0; i < SUBMISSIONS; i++) sequential.push((await once(20_000 + i)).ms);
      const burst = await Promise.all(Array.from({ length: SUBMISSIONS }, (_, i) => once(i)));
      const accepted = burst.filter((r) => r.ok).length;
      const lat = burst.map((r) => r.ms).sort((x, y) => x - y);
      const seq = sequential.sort((x, y) => x - y);
      log(
        `  submit: at once p50 ${percentile(lat, 50).toFixed(1)} ms p99 ${percentile(lat, 99).toFixed(1)} ms (${accepted}/${SUBMISSIONS} accepted); one at a time p50 ${percentile(seq, 50).toFixed(1)} ms`,
      );
      rows.push({
        ...base,
        scenario: `${SUBMISSIONS} submissions at once (p50)`,
        metric: 'p50 ms',
        value: percentile(lat, 50),
        reference: percentile(seq, 50),
        target: target('p50 < 20 ms', percentile(lat, 50) < 20),
        note: `${accepted}/${SUBMISSIONS} accepted; reference: one at a time on a warm connection`,
      });
      rows.push({
        ...base,
        scenario: `${SUBMISSIONS} submissions at once (p99)`,
        metric: 'p99 ms',
        value: percentile(lat, 99),
        reference: percentile(seq, 99),
      });
      if (accepted !== SUBMISSIONS) throw new Error(`${SUBMISSIONS - accepted} submissions were not accepted`);
    }
    return rows;
  } finally {
    await dispatcher.close().catch(() => {});
    await env.cleanup();
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new Error('bench/transfer-tasks runs as root: it creates two local accounts and runs root-mode workers and a personal-mode server');
  ensureCommand('rsync');
  await withAccounts(2, 'gh-bench-tasks-', async ([a, b], work) => {
    plantTree(path.join(work, 'src', 'tree'));
    sh('chown', ['-R', `${a.uid}:${a.gid}`, path.join(work, 'src')]);
    const rows: Row[] = [];
    for (const kind of storeKinds()) for (const mode of modes) rows.push(...(await runMode(kind, mode, a, b, work)));
    printTable('Transfer tasks', rows);
  });
}

await main();
