// Data-plane benchmark (manual, as root: `node bench/data/run.ts`): the real server's guest-collection HTTPS data path, root and personal mode, vs nginx and a bare node:https handler.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnServer, type ChildServer } from '../lib/child.ts';
import { runLoad, type LoadResult } from '../lib/load.ts';
import { loadRows, log, printTable, type Row } from '../lib/report.ts';
import { prepare, storeKinds, type StoreKind } from '../lib/store.ts';
import { ensureNginx, nginxVersion, startNginx } from './nginx.ts';
import { bigAgent, download, median, sampleRss, seconds, treeCpuMs, upload } from './stream.ts';
import { buildWorld, seed } from './world.ts';
import { withAccounts, sh, type Account } from '../lib/accounts.ts';

const MiB = 1 << 20;
const GiB = 1 << 30;
const SMALL = 4096;
/** timed transfers per 1 GiB scenario, interleaved with the reference's (median taken) */
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** Uploads vary more from run to run on a VM (page cache, host faults): more of them for a steadier median. */
const PUT_RUNS = Number(process.env.BENCH_PUT_RUNS ?? 5);
const SMALL_CONNECTIONS = 32;
const SMALL_DURATION_MS = Number(process.env.BENCH_SMALL_MS ?? 9_000);
const SMALL_ROUNDS = 3;
const STREAMED = 10 * GiB;
const RSS_LIMIT_MB = 200;
/**
 * Before each timed upload its target is removed and the run waits this long. On a VM whose balloon reports
 * free pages to the host (virtio-balloon free page reporting, ~2 s after a free), the first touch of such a
 * page is a host fault: ~0.8 s of system time per GiB of page cache. Without the pause, whichever upload
 * runs right after the other's file was replaced gets still-mapped pages and looks up to 2× cheaper.
 */
const PAGE_SETTLE_MS = Number(process.env.BENCH_PAGE_SETTLE_MS ?? 4000);
const settle = () => new Promise((resolve) => setTimeout(resolve, PAGE_SETTLE_MS));

const AS_ACCOUNT_ENTRY = fileURLToPath(new URL('./as-account.ts', import.meta.url));
const REFERENCE_ENTRY = fileURLToPath(new URL('./reference-server.ts', import.meta.url));

type Mode = 'root' | 'personal';
/** BENCH_ONLY=get,put,small,rss and BENCH_MODES=root,personal narrow a run while tuning. */
const only = new Set((process.env.BENCH_ONLY ?? 'get,put,small,rss').split(','));
const modes = (process.env.BENCH_MODES ?? 'root,personal').split(',') as Mode[];

/** The shared tree, owned by the bench account: 1 GiB of random bytes, a 4 KiB file, an upload directory. Returns the big file's SHA-256. */
function plantFiles(root: string, account: Account): string {
  fs.mkdirSync(path.join(root, 'uploads'), { recursive: true });
  const block = randomBytes(16 * MiB);
  const fd = fs.openSync(path.join(root, 'big.bin'), 'w', 0o644);
  const digest = createHash('sha256');
  for (let i = 0; i < GiB / block.length; i++) {
    fs.writeSync(fd, block);
    digest.update(block);
  }
  fs.closeSync(fd);
  fs.writeFileSync(path.join(root, 'small.bin'), randomBytes(SMALL), { mode: 0o644 });
  for (const p of [root, path.join(root, 'uploads'), path.join(root, 'big.bin'), path.join(root, 'small.bin')]) {
    fs.chownSync(p, account.uid, account.gid);
    fs.chmodSync(p, fs.statSync(p).isDirectory() ? 0o755 : 0o644);
  }
  return digest.digest('hex');
}

const target = (text: string, met: boolean) => ({ text, met });

/** One result from interleaved slices: total rate; latency percentiles as the median of the slices'. */
function combine(runs: LoadResult[]): LoadResult {
  const requests = runs.reduce((n, r) => n + r.requests, 0);
  const elapsedMs = runs.reduce((n, r) => n + r.elapsedMs, 0);
  const mid = (f: (r: LoadResult) => number) => median(runs.map(f));
  return {
    requests,
    errors: runs.reduce((n, r) => n + r.errors, 0),
    firstError: runs.find((r) => r.firstError)?.firstError,
    elapsedMs,
    rps: (requests / elapsedMs) * 1000,
    p50: mid((r) => r.p50),
    p90: mid((r) => r.p90),
    p99: mid((r) => r.p99),
    max: Math.max(...runs.map((r) => r.max)),
    meanBytes: runs.reduce((n, r) => n + r.meanBytes * r.requests, 0) / Math.max(1, requests),
  };
}

async function runMode(kind: StoreKind, mode: Mode, account: Account, root: string, bigHash: string, work: string, nginxBin: string): Promise<Row[]> {
  const env = await prepare(kind);
  const started: ChildServer[] = [];
  try {
    const seeded = await seed(env);
    // The server's own account owns its data dir in personal mode, as after `sudo -u account gatehouse serve`.
    if (mode === 'personal') sh('chown', ['-R', `${account.uid}:${account.gid}`, env.dataDir]);
    const start = (extra: Record<string, string> = {}) =>
      mode === 'personal'
        ? env.startGatehouse({ ...extra, BENCH_RUN_AS: JSON.stringify({ ...account, home: '/nonexistent' }) }, AS_ACCOUNT_ENTRY)
        : env.startGatehouse(extra);
    let server = await start();
    const nginx = await startNginx({
      bin: nginxBin,
      prefix: path.join(work, `nginx-${kind}-${mode}`),
      root,
      cert: env.tls.certPath,
      key: env.tls.keyPath,
      ca: env.tls.ca,
    });
    started.push(nginx);
    const bare = await spawnServer(REFERENCE_ENTRY, [env.tls.certPath, env.tls.keyPath, root]);
    started.push(bare);
    const world = await buildWorld({ url: server.url, ca: env.tls.ca, endpointId: env.endpointId, seeded, account: account.name, root });
    // The path-prefix form of the guest's https_url, on the server's own origin.
    const base = `${server.url}/data/${world.guestId}`;
    const auth = { authorization: `Bearer ${world.token}` };
    log(`${kind}/${mode}: server pid ${server.pid}, guest ${world.guestId} (https_url ${world.httpsUrl})`);

    const rows: Row[] = [];
    const row = (scenario: string, r: Omit<Row, 'bench' | 'store' | 'scenario'>): Row => ({
      bench: 'data',
      store: kind,
      scenario: `${mode}: ${scenario}`,
      ...r,
    });
    const ca = env.tls.ca;
    const rss = sampleRss(server.pid);

    if (only.has('get')) {
      const a = bigAgent(ca);
      const b = bigAgent(ca);
      const c = bigAgent(ca);
      const get = (agent: typeof a, url: string, h: Record<string, string>) => async () => void (await download(agent, url, h, GiB));
      const fns = [get(a, `${base}/big.bin`, auth), get(b, `${nginx.url}/big.bin`, {}), get(c, `${bare.url}/big.bin`, {})];
      const pids = [server.pid, nginx.pid, bare.pid];
      // Warm (page cache, TLS sessions, the account's worker), and check Gatehouse sends the right bytes.
      if ((await download(a, `${base}/big.bin`, auth, GiB, true)) !== bigHash) throw new Error('GET big.bin through Gatehouse: wrong content');
      for (const f of fns.slice(1)) await f();
      const secs: number[][] = [[], [], []];
      const cpu = [0, 0, 0];
      for (let i = 0; i < RUNS; i++) {
        for (const [j, f] of fns.entries()) {
          const c0 = treeCpuMs(pids[j]);
          secs[j].push(await seconds(f));
          cpu[j] += treeCpuMs(pids[j]) - c0;
        }
      }
      const [gh, ngx, node] = secs.map((s) => GiB / MiB / median(s));
      for (const x of [a, b, c]) x.destroy();
      const [ghCpu, ngxCpu, nodeCpu] = cpu.map((ms) => ms / 1000 / RUNS);
      rows.push(
        row('GET 1 GiB, 1 connection', {
          metric: 'MiB/s',
          value: gh,
          reference: ngx,
          target: target('≥ 0.8× nginx', gh >= 0.8 * ngx),
          note: 'content checked by SHA-256',
        }),
      );
      rows.push(row('GET 1 GiB, 1 connection', { metric: 'cpu s/GiB', value: ghCpu, reference: ngxCpu }));
      rows.push(row('(bare node:https GET 1 GiB)', { metric: 'MiB/s', value: node, reference: ngx }));
      rows.push(row('(bare node:https GET 1 GiB)', { metric: 'cpu s/GiB', value: nodeCpu, reference: ngxCpu }));
      log(`${kind}/${mode}: GET 1 GiB ${gh.toFixed(0)} MiB/s, nginx ${ngx.toFixed(0)}, bare node ${node.toFixed(0)}`);
    }

    if (only.has('put')) {
      const chunk = randomBytes(4 * MiB);
      const a = bigAgent(ca);
      const b = bigAgent(ca);
      const targets = [path.join(root, 'uploads', 'gatehouse.bin'), path.join(root, 'uploads', 'bare.bin')];
      const put = [() => upload(a, `${base}/uploads/gatehouse.bin`, auth, GiB, chunk), () => upload(b, `${bare.url}/uploads/bare.bin`, {}, GiB, chunk)];
      const pids = [server.pid, bare.pid];
      for (const f of put) await f();
      const secs: number[][] = [[], []];
      const cpu = [0, 0];
      for (let i = 0; i < PUT_RUNS; i++) {
        for (const j of [0, 1]) {
          fs.rmSync(targets[j], { force: true });
          await settle();
          const c0 = treeCpuMs(pids[j]);
          secs[j].push(await seconds(put[j]));
          cpu[j] += treeCpuMs(pids[j]) - c0;
        }
      }
      const [gh, ref] = secs.map((s) => GiB / MiB / median(s));
      a.destroy();
      b.destroy();
      rows.push(row('PUT 1 GiB, 1 connection (fsync)', { metric: 'MiB/s', value: gh, reference: ref, target: target('≥ 0.8× bare node', gh >= 0.8 * ref) }));
      rows.push(row('PUT 1 GiB, 1 connection (fsync)', { metric: 'cpu s/GiB', value: cpu[0] / 1000 / PUT_RUNS, reference: cpu[1] / 1000 / PUT_RUNS }));
      log(`${kind}/${mode}: PUT 1 GiB ${gh.toFixed(0)} MiB/s, bare node ${ref.toFixed(0)}`);
      for (const t of targets) fs.rmSync(t, { force: true });
    }

    if (only.has('small')) {
      // Interleaved slices rather than one long run each: other load on the machine then weighs on all three alike.
      const targets = [
        { name: 'gatehouse', origin: server.url, path: `/data/${world.guestId}/small.bin`, headers: auth, pid: server.pid },
        { name: 'nginx', origin: nginx.url, path: '/small.bin', headers: {}, pid: nginx.pid },
        { name: 'bare', origin: bare.url, path: '/small.bin', headers: {}, pid: bare.pid },
      ];
      const results = targets.map(() => ({ runs: [] as LoadResult[], cpuMs: 0, requests: 0 }));
      for (let round = 0; round < SMALL_ROUNDS; round++) {
        for (const [i, t] of targets.entries()) {
          const warmup = SMALL_CONNECTIONS * (round === 0 ? 20 : 2);
          const cpu0 = treeCpuMs(t.pid);
          const r = await runLoad({
            origin: t.origin,
            path: t.path,
            headers: t.headers,
            connections: SMALL_CONNECTIONS,
            durationMs: SMALL_DURATION_MS / SMALL_ROUNDS,
            warmup,
            ca,
          });
          results[i].cpuMs += treeCpuMs(t.pid) - cpu0;
          results[i].requests += r.requests + r.errors + warmup;
          results[i].runs.push(r);
        }
      }
      // CPU of the whole process tree (server and workers; nginx master and worker), warm-up requests included.
      const [gh, ngx, node] = results.map((x) => ({ ...combine(x.runs), cpuUs: (x.cpuMs * 1000) / x.requests }));
      rows.push(
        ...loadRows({ bench: 'data', store: kind, scenario: `${mode}: GET 4 KiB, ${SMALL_CONNECTIONS} sockets` }, gh, ngx, {
          rps: target('≥ 0.3× nginx', gh.errors === 0 && gh.rps >= 0.3 * ngx.rps),
        }),
      );
      rows.push(row('(bare node:https GET 4 KiB)', { metric: 'req/s', value: node.rps, reference: ngx.rps }));
      rows.push(row('(bare node:https GET 4 KiB)', { metric: 'cpu µs/req', value: node.cpuUs, reference: ngx.cpuUs }));
      log(
        `${kind}/${mode}: GET 4 KiB ${gh.rps.toFixed(0)} req/s (${gh.errors} errors), nginx ${ngx.rps.toFixed(0)}, bare node ${node.rps.toFixed(0)}; CPU µs/req ${gh.cpuUs.toFixed(0)} / ${ngx.cpuUs.toFixed(0)} / ${node.cpuUs.toFixed(0)}`,
      );
    }

    const whole = rss.stop();
    if (only.has('rss')) {
      const mb = (mib: number) => (mib * MiB) / 1e6;
      /** Peak RSS over 10 GiB streamed as ten 1 GiB GETs on one connection (the file stays in the page cache). */
      const streamed = async (gatehouse: ChildServer, scenario: string, extraNote: string, targeted = true) => {
        const agent = bigAgent(ca);
        const base = `${gatehouse.url}/data/${world.guestId}`;
        const pid = gatehouse.pid;
        // Warm once so the sample covers a steady stream, not the first worker's start-up.
        await download(agent, `${base}/big.bin`, auth, GiB);
        const during = sampleRss(pid);
        const secs = await seconds(async () => {
          for (let i = 0; i < STREAMED / GiB; i++) await download(agent, `${base}/big.bin`, auth, GiB);
        });
        const peak = during.stop();
        agent.destroy();
        rows.push(
          row(scenario, {
            metric: 'peak MB',
            value: mb(peak.total),
            ...(targeted ? { target: target(`< ${RSS_LIMIT_MB} MB`, mb(peak.total) < RSS_LIMIT_MB) } : {}),
            note: `server ${mb(peak.server).toFixed(0)} MB, largest worker ${mb(peak.worker).toFixed(0)} MB (VmRSS), ${peak.workers} worker(s), ${peak.samples} samples; ${(STREAMED / MiB / secs).toFixed(0)} MiB/s${extraNote}`,
          }),
        );
        log(`${kind}/${mode}: ${scenario}: ${mb(peak.total).toFixed(0)} MB (${(STREAMED / MiB / secs).toFixed(0)} MiB/s)`);
      };
      // No target: what the earlier scenarios (32 sockets of small GETs above all) leave resident is V8's and
      // malloc's retention after a load, not streaming's cost; the target is measured on a fresh server below.
      await streamed(server, 'RSS streaming 10 GiB, after the other scenarios', `; peak during them ${mb(whole.total).toFixed(0)} MB`, false);
      // The same on a fresh server, and on one with Node's own defaults (a 64 MB young generation).
      await server.stop();
      server = await start();
      const idle = sampleRss(server.pid).stop();
      await streamed(server, 'RSS streaming 10 GiB, fresh server', `; idle after start ${mb(idle.total).toFixed(0)} MB`);
      await server.stop();
      server = await start({ NODE_OPTIONS: process.env.NODE_OPTIONS ?? '' });
      await streamed(server, "RSS streaming 10 GiB, fresh server, Node's default flags", '', false);
    }
    return rows;
  } finally {
    await Promise.all(started.map((c) => c.stop()));
    await env.cleanup();
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new Error('bench/data runs as root: it creates a local account, starts root-mode workers and a personal-mode server as that account');
  const nginxBin = ensureNginx();
  const t0 = Date.now();
  // World-searchable, so nginx's worker (nobody) and the bench account can reach the tree.
  const rows = await withAccounts(1, 'gh-bench-data-', async ([account], work) => {
    const root = path.join(work, 'root');
    log(`node ${process.version}, ${os.cpus().length} CPUs, ${nginxVersion(nginxBin)}, account ${account.name} (uid ${account.uid}); writing test files…`);
    fs.mkdirSync(root, { recursive: true });
    const bigHash = plantFiles(root, account);
    const out: Row[] = [];
    for (const kind of storeKinds()) for (const mode of modes) out.push(...(await runMode(kind, mode, account, root, bigHash, work, nginxBin)));
    return out;
  });
  printTable(
    `Data plane (${((Date.now() - t0) / 1000).toFixed(0)} s; guest collection over HTTPS; reference = nginx 1 worker (GET) or bare node:https stream+fsync+rename (PUT), same certificate, same run)`,
    rows,
  );
}

await main();
