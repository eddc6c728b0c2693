// Large transfers for the data benchmark: streamed GET (bytes counted, not kept) and PUT (one chunk sent repeatedly), and RSS sampling of a process tree.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import { performance } from 'node:perf_hooks';

export function bigAgent(ca: string): https.Agent {
  return new https.Agent({ keepAlive: true, maxSockets: 1, ca });
}

/** GET, counting the body (and hashing it when asked: SHA-256 hex); rejects on a non-200 or a short body. */
export function download(agent: https.Agent, url: string, headers: Record<string, string>, expected: number, hash = false): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { agent, method: 'GET', headers }, (res) => {
      let n = 0;
      const digest = hash ? createHash('sha256') : undefined;
      res.on('data', (c: Buffer) => {
        n += c.length;
        digest?.update(c);
      });
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`GET ${url}: HTTP ${res.statusCode}`));
        else if (n !== expected) reject(new Error(`GET ${url}: ${n} of ${expected} bytes`));
        else resolve(digest?.digest('hex'));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** PUT of `size` bytes made of `chunk` repeated, with Content-Length; rejects unless 2xx. */
export function upload(agent: https.Agent, url: string, headers: Record<string, string>, size: number, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { agent, method: 'PUT', headers: { ...headers, 'content-length': String(size), 'content-type': 'application/octet-stream' } },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`PUT ${url}: HTTP ${status} ${Buffer.concat(parts).toString().slice(0, 300)}`));
        });
      },
    );
    req.on('error', reject);
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        const piece = chunk.subarray(0, Math.min(chunk.length, size - sent));
        sent += piece.length;
        if (!req.write(piece)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

export async function seconds(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** MiB/s of `runs` timed transfers of `bytes` each (median), after `warm` untimed ones. */
export async function throughput(bytes: number, runs: number, warm: number, once: () => Promise<void>): Promise<number> {
  for (let i = 0; i < warm; i++) await once();
  const secs: number[] = [];
  for (let i = 0; i < runs; i++) secs.push(await seconds(once));
  return bytes / (1 << 20) / median(secs);
}

/** VmRSS and RssAnon (KiB) of a process; zeros once it has exited. */
function rssKiB(pid: number): { rss: number; anon: number } {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? 0);
    return { rss: field('VmRSS'), anon: field('RssAnon') };
  } catch {
    return { rss: 0, anon: 0 }; // exited between listing and reading
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      const text = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch {}
  return out;
}

const TICK_MS = 1000 / 100; // USER_HZ is 100 on Linux

function cpuMs(pid: number): number {
  try {
    // Fields after the parenthesised command: state is field 3, utime 14, stime 15.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** CPU time (user + system, ms) of `pid` and its live descendants: server plus workers, or nginx master plus worker. */
export function treeCpuMs(pid: number): number {
  let total = 0;
  const queue = [pid];
  while (queue.length) {
    const p = queue.pop()!;
    total += cpuMs(p);
    queue.push(...childrenOf(p));
  }
  return total;
}

export interface RssPeak {
  /** the server process alone (VmRSS), MiB */
  server: number;
  /** the largest single worker process (VmRSS), MiB; 0 when there were none */
  worker: number;
  /**
   * server VmRSS + each worker's RssAnon, at one sample, MiB: a worker's file-backed pages are the node
   * binary and modules the server maps already, so adding its VmRSS would count them twice.
   */
  total: number;
  workers: number;
  samples: number;
}

/** Samples `pid` and its descendants every `everyMs` until stopped; returns the peaks. */
export function sampleRss(pid: number, everyMs = 50): { stop(): RssPeak } {
  const peak: RssPeak = { server: 0, worker: 0, total: 0, workers: 0, samples: 0 };
  const tick = () => {
    const server = rssKiB(pid).rss;
    let total = server;
    const queue = childrenOf(pid);
    let workers = 0;
    while (queue.length) {
      const p = queue.pop()!;
      const { rss, anon } = rssKiB(p);
      workers++;
      total += anon;
      peak.worker = Math.max(peak.worker, rss / 1024);
      queue.push(...childrenOf(p));
    }
    peak.server = Math.max(peak.server, server / 1024);
    peak.total = Math.max(peak.total, total / 1024);
    peak.workers = Math.max(peak.workers, workers);
    peak.samples++;
  };
  tick();
  const timer = setInterval(tick, everyMs);
  return {
    stop() {
      clearInterval(timer);
      tick();
      return peak;
    },
  };
}
