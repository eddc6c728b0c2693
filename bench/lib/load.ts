// Load generator: N keep-alive HTTPS sockets driven for a fixed request count or duration, with latency percentiles.
import fs from 'node:fs';
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface LoadOptions {
  /** origin, e.g. https://127.0.0.1:8443 */
  origin: string;
  /** request path; a function gives each request its own (e.g. a random id or marker) */
  path: string | (() => string);
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** concurrent sockets, each with one request in flight */
  connections: number;
  /** stop after this many measured requests… */
  requests?: number;
  /** …or after this long (whichever comes first; one of the two is required) */
  durationMs?: number;
  /** requests sent before measuring: opens every socket and lets both sides' JIT settle */
  warmup?: number;
  /** PEM of the CA that signed the server certificate */
  ca: string;
  /** the server process, to report its CPU time per request (Linux /proc) */
  serverPid?: number;
}

export interface LoadResult {
  requests: number;
  /** responses outside 2xx, and transport failures */
  errors: number;
  firstError?: string;
  elapsedMs: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** mean response body size, bytes */
  meanBytes: number;
  /** server CPU (user + system) per successful request, µs: steadier than req/s on a busy machine */
  cpuUs?: number;
}

/** CPU seconds used so far by a process (utime + stime from /proc/<pid>/stat, 100 ticks a second). */
export function processCpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export function request(
  agent: https.Agent,
  origin: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; ca?: string },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, origin);
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    const req = https.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: options.method ?? 'GET',
        headers: { ...options.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
        ca: options.ca,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function summarize(latencies: number[], elapsedMs: number, errors: number, bytes: number, firstError?: string): LoadResult {
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: latencies.length,
    errors,
    firstError,
    elapsedMs,
    rps: (latencies.length / elapsedMs) * 1000,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
    meanBytes: latencies.length ? bytes / latencies.length : 0,
  };
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  if (o.requests === undefined && o.durationMs === undefined) throw new Error('runLoad needs requests or durationMs');
  // One agent per run: sockets from a previous phase (possibly idle-closed by the server) are not reused.
  const agent = new https.Agent({ keepAlive: true, maxSockets: o.connections, maxFreeSockets: o.connections, ca: o.ca });
  const pathOf = typeof o.path === 'function' ? o.path : () => o.path as string;
  const send = () => request(agent, o.origin, pathOf(), { method: o.method, headers: o.headers, body: o.body });
  try {
    const warmup = o.warmup ?? o.connections * 4;
    let warmed = 0;
    await Promise.all(
      Array.from({ length: o.connections }, async () => {
        while (warmed < warmup) {
          warmed++;
          await send().catch(() => undefined);
        }
      }),
    );

    const latencies: number[] = [];
    let errors = 0;
    let bytes = 0;
    let firstError: string | undefined;
    let started = 0;
    const cpu0 = o.serverPid === undefined ? 0 : processCpuSeconds(o.serverPid);
    const t0 = performance.now();
    const deadline = o.durationMs === undefined ? Infinity : t0 + o.durationMs;
    const more = () => (o.requests === undefined || started < o.requests) && performance.now() < deadline;
    await Promise.all(
      Array.from({ length: o.connections }, async () => {
        while (more()) {
          started++;
          const s = performance.now();
          try {
            const res = await send();
            const ms = performance.now() - s;
            if (res.status >= 200 && res.status < 300) {
              latencies.push(ms);
              bytes += res.body.length;
            } else {
              errors++;
              firstError ??= `HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`;
            }
          } catch (error) {
            errors++;
            firstError ??= String(error);
          }
        }
      }),
    );
    const result = summarize(latencies, performance.now() - t0, errors, bytes, firstError);
    if (o.serverPid !== undefined && latencies.length) result.cpuUs = ((processCpuSeconds(o.serverPid) - cpu0) * 1e6) / latencies.length;
    return result;
  } finally {
    agent.destroy();
  }
}

/** Times `count` sequential single requests (e.g. a large batch), after `warmup` untimed ones. */
export async function timeSequential(o: {
  origin: string;
  ca: string;
  count: number;
  warmup?: number;
  make: (i: number) => { path: string; method?: string; headers?: Record<string, string>; body?: string };
  check?: (reply: Reply) => string | undefined;
}): Promise<LoadResult> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: o.ca });
  try {
    const latencies: number[] = [];
    let errors = 0;
    let bytes = 0;
    let firstError: string | undefined;
    const warmup = o.warmup ?? 0;
    let timed = 0;
    for (let i = 0; i < warmup + o.count; i++) {
      const r = o.make(i);
      const s = performance.now();
      const res = await request(agent, o.origin, r.path, r);
      const ms = performance.now() - s;
      if (i < warmup) continue;
      timed += ms;
      const problem = res.status < 200 || res.status >= 300 ? `HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 300)}` : o.check?.(res);
      if (problem) {
        errors++;
        firstError ??= problem;
      } else {
        latencies.push(ms);
        bytes += res.body.length;
      }
    }
    return summarize(latencies, timed, errors, bytes, firstError);
  } finally {
    agent.destroy();
  }
}
