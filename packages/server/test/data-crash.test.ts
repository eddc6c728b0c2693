// The whole service dies (kill -9 of the server and its per-account workers) in the middle of a 1 GiB HTTPS upload:
// the target keeps its old content, and the next start removes the orphaned temp file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { openStore, type Store } from '@gatehouse/server';
import { descendants, killHard } from './helpers/processes.ts';
import { createTestDatabase, storeName, trustingFetch, type TestServer } from './helpers/server.ts';
import { eventually } from './helpers/wait.ts';
import { dataToken, isRoot, makeWorld, plant, type DataWorld } from './helpers/data.ts';

const CLI = path.resolve(import.meta.dirname, '../../cli/bin/gatehouse.js');
const MiB = 1024 * 1024;
const TOTAL = 1024 * MiB;
const KILL_AFTER = 200 * MiB;
const OLD = 'old content: must survive the crash\n';

/** Fails (rather than hangs) when `promise` does not settle within `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface Proc {
  child: ChildProcess;
  url: string;
  info: any;
  /** stderr lines after the start line (diagnostics) */
  log: string[];
}

/** `gatehouse --format json serve` prints one JSON line with its URL on stderr once listening; stderr keeps being drained. */
function serve(dataDir: string, databaseUrl: string | undefined): Promise<Proc> {
  const env = { ...process.env, GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_LOG_LEVEL: 'warn' } as NodeJS.ProcessEnv;
  if (databaseUrl) env.GATEHOUSE_DATABASE_URL = databaseUrl;
  else delete env.GATEHOUSE_DATABASE_URL;
  const child = spawn(process.execPath, [CLI, '--format', 'json', 'serve', '--port', '0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  const log: string[] = [];
  const started = new Promise<Proc>((resolve, reject) => {
    const lines = createInterface({ input: child.stderr! });
    let done = false;
    lines.on('line', (line) => {
      if (!done && line.startsWith('{') && line.includes('"url"')) {
        done = true;
        const info = JSON.parse(line);
        resolve({ child, url: info.url, info, log });
      } else log.push(line);
    });
    child.on('exit', (code, signal) => {
      if (!done) reject(new Error(`server exited before listening (${code ?? signal}): ${log.slice(-20).join('\n')}`));
    });
  });
  return within(started, 60_000, 'server start');
}

async function stopProc(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const family = child.pid ? descendants(child.pid) : [];
  child.kill('SIGTERM');
  try {
    await within(exited, 15_000, 'graceful stop');
  } catch {
    child.kill('SIGKILL');
    await within(exited, 5_000, 'forced stop').catch(() => {});
  }
  for (const pid of family) killHard(pid);
}

const children: ChildProcess[] = [];

/** What a test-harness TestServer needs for the world helpers, pointed at a child process. */
function remoteServer(proc: Proc, store: Store): TestServer {
  const ca = fs.readFileSync(proc.info.ca_certificate, 'utf8');
  const { fetch, dispatcher } = trustingFetch(ca);
  return { url: proc.url, ca, endpointId: proc.info.endpoint_id, store, fetch, dispatcher } as unknown as TestServer;
}

const uploadTemps = (dir: string) => fs.readdirSync(dir).filter((n) => n.startsWith('.gatehouse-upload-'));

describe(`kill -9 of the whole service during a 1 GiB upload (${storeName})`, { skip: isRoot ? false : 'needs root (useradd, per-account workers)' }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataDir: string;
  let store: Store | undefined;
  const servers: TestServer[] = [];
  let first: Proc;
  let world: DataWorld | undefined;

  before(async () => {
    database = await createTestDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-crash-'));
    first = await serve(dataDir, database?.url);
    store = await openStore({ dataDir, databaseUrl: database?.url });
    servers.push(remoteServer(first, store));
    world = await within(makeWorld(servers[0], { tree: (root, { alice }) => plant(root, 'alice/big.bin', OLD, alice) }), 120_000, 'world set-up');
  });

  after(async () => {
    for (const child of children) await stopProc(child);
    for (const s of servers) await s.dispatcher.close().catch(() => {});
    await store?.close();
    await database?.drop();
    world?.cleanup();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('the target keeps its old content, and the restarted server leaves no temp file behind', { timeout: 240_000 }, async () => {
    const w = world!;
    const server = servers[0];
    const token = await dataToken(server, w.alice, w.mappedId, true);
    const dir = path.join(w.root, 'alice');
    const target = path.join(dir, 'big.bin');
    const expected = fs.readdirSync(dir).sort();
    assert.deepEqual(expected, ['big.bin']);

    // The body: 1 MiB chunks made on demand; the whole service is killed once ~200 MiB are out.
    const serverPid = first.child.pid!;
    let sent = 0;
    let killed: number[] | undefined;
    const chunk = Buffer.alloc(MiB, 0x61);
    async function* body() {
      while (sent < TOTAL) {
        if (sent >= KILL_AFTER && !killed) {
          // Workers first found, then everything dies at once: nobody gets to clean up.
          const family = descendants(serverPid);
          killHard(serverPid);
          for (const pid of family) killHard(pid);
          killed = family;
          return;
        }
        sent += chunk.length;
        yield chunk;
      }
    }

    const url = new URL(`${server.url}/data/${w.mappedId}/alice/big.bin`);
    const outcome = await within(
      new Promise<{ status?: number; error?: Error }>((resolve) => {
        const req = https.request(
          {
            host: url.hostname,
            port: url.port,
            method: 'PUT',
            path: url.pathname,
            ca: server.ca,
            agent: false,
            headers: { authorization: `Bearer ${token}`, 'content-length': String(TOTAL), 'content-type': 'application/octet-stream' },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode }));
            res.on('error', (error) => resolve({ status: res.statusCode, error }));
          },
        );
        req.on('error', (error) => resolve({ error }));
        const source = Readable.from(body());
        source.on('error', (error) => req.destroy(error));
        source.pipe(req);
      }),
      180_000,
      'the interrupted upload',
    );
    assert.ok(killed, `the upload finished before the kill (status ${outcome.status}, ${sent} bytes sent): nothing was tested`);
    assert.ok(outcome.error || (outcome.status ?? 0) >= 400, `the upload must not succeed after the kill (status ${outcome.status})`);
    await within(
      new Promise<void>((resolve) =>
        first.child.exitCode !== null || first.child.signalCode !== null ? resolve() : first.child.once('exit', () => resolve()),
      ),
      10_000,
      'the killed server to exit',
    );
    assert.equal(first.child.signalCode, 'SIGKILL');
    assert.ok(killed.length > 0, 'the server had worker processes to kill');
    // A killed worker is gone once it has no /proc entry or is a zombie awaiting its (new) parent's reaping.
    const dead = (pid: number) => {
      try {
        return /^State:\s+[ZX]/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      } catch {
        return true;
      }
    };
    const workers = killed;
    await eventually(() => workers.every(dead), `workers ${workers.join(', ')} are gone`, { timeoutMs: 5000 });

    // Right after the crash: the old content is untouched; the partial upload sits in a temp file.
    assert.equal(fs.readFileSync(target, 'utf8'), OLD);
    const left = uploadTemps(dir);
    assert.equal(left.length, 1, `the crash left one temp file (found ${JSON.stringify(fs.readdirSync(dir))})`);
    assert.ok(fs.statSync(path.join(dir, left[0])).size > 0, 'the temp file holds part of the upload');

    // Restart on the same data dir and database: the start-up sweep removes the orphan.
    const second = await serve(dataDir, database?.url);
    servers.push(remoteServer(second, store!));
    const restarted = servers[1];
    assert.deepEqual(fs.readdirSync(dir).sort(), expected, 'no temp or partial file remains after start');
    assert.equal(fs.readFileSync(target, 'utf8'), OLD);
    const res = await within(
      restarted.fetch(`${restarted.url}/data/${w.mappedId}/alice/big.bin`, { headers: { authorization: `Bearer ${token}` } }),
      30_000,
      'GET after restart',
    );
    assert.equal(res.status, 200);
    assert.equal(await within(res.text(), 30_000, 'GET body'), OLD);
    assert.equal(fs.readdirSync(path.join(dataDir, 'data-state', 'uploads-in-flight')).length, 0, 'the upload journal is empty');
  });
});
