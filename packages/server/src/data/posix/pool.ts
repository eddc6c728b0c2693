// Worker processes per local account (root mode): spawn with the account's credentials, reuse while busy, reap when idle; the worker-backed connector.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { Account } from './accounts.ts';
import type { TempPlace, UploadJournal } from './journal.ts';
import { newTempName, UploadSink } from './ops.ts';
import { INLINE_READ, type FromWorker, type OpenReply, type ToWorker, type WireError } from './protocol.ts';
import { consumeBody, inMemoryResult, readFd, sizeMismatch } from './local.ts';
import {
  ConnectorError,
  type AccessMode,
  type ByteRange,
  type FileEntry,
  type ListOptions,
  type ListResult,
  type Location,
  type PosixConnector,
  type ReadResult,
  type RealPaths,
  type WriteBody,
  type WriteOptions,
  type WriteResult,
} from './types.ts';

const READY_TIMEOUT_MS = 15_000;
const CALL_TIMEOUT_MS = 120_000;
/** A cancelled socket read must drain within this long, or its worker is replaced. */
const DRAIN_TIMEOUT_MS = 30_000;
/** A worker takes a second metadata request rather than a new process being spawned, up to this many at once. */
const META_PER_WORKER = 16;

function toError(e: WireError): ConnectorError {
  return new ConnectorError(e.code, e.message, e.size !== undefined ? { size: e.size } : {});
}

interface Pending {
  resolve: (value: any) => void;
  reject: (error: Error) => void;
}

export class Worker {
  readonly account: Account;
  readonly child: ChildProcess;
  readonly data: Socket;
  readonly exited: Promise<void>;
  dead = false;
  inflight = 0;
  streamBusy = false;
  /** the current stream's consumer of bytes arriving on the data socket */
  sink: ((chunk: Buffer) => void) | null = null;
  readonly readEnds = new Map<number, (sent: number, error?: WireError) => void>();
  readonly writeFailures = new Map<number, (error: WireError) => void>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | null = null;
  private deathHandlers: Array<() => void> = [];

  private constructor(account: Account, child: ChildProcess) {
    this.account = account;
    this.child = child;
    this.data = child.stdio[4] as Socket;
    this.data.pause();
    this.data.on('data', (chunk: Buffer) => {
      if (this.sink) this.sink(chunk);
      else this.kill(); // bytes nobody asked for: the channel is out of step, start over
    });
    this.data.on('error', () => this.kill());
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.on('message', (msg: FromWorker) => this.onMessage(msg));
    void this.exited.then(() => this.onDeath());
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Spawns as root; the bootstrap drops to the account (setgroups → setgid → setuid) and reports its identity. */
  static async spawn(account: Account, script: string): Promise<Worker> {
    // A small young generation: a worker's garbage is short-lived I/O buffers, and each account may have several workers.
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', '--max-semi-space-size=2', script], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc', 'pipe'],
      cwd: '/',
      // A minimal environment: nothing of the server's (secrets, NODE_OPTIONS) reaches a process running as a user.
      env: {
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        LANG: 'C.UTF-8',
        GATEHOUSE_WORKER_ACCOUNT: JSON.stringify({ uid: account.uid, gid: account.gid, groups: account.groups, home: account.home }),
      },
    });
    const worker = new Worker(account, child);
    const ready = await new Promise<FromWorker & { t: 'ready' }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ConnectorError('worker_failed', `Worker for '${account.username}' did not start`)), READY_TIMEOUT_MS);
      child.once('message', (msg: FromWorker) => {
        clearTimeout(timer);
        if (msg.t === 'ready') resolve(msg);
        else reject(new ConnectorError('worker_failed', 'Worker spoke before it was ready'));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new ConnectorError('worker_failed', `Worker for '${account.username}' exited during start (code ${code})`));
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new ConnectorError('worker_failed', `Worker for '${account.username}' could not start: ${error.message}`));
      });
    }).catch((error) => {
      worker.kill();
      throw error;
    });
    const sameGroups = [...new Set(account.groups)].sort().join() === [...new Set(ready.groups)].sort().join();
    if (ready.uid !== account.uid || ready.gid !== account.gid || !sameGroups) {
      worker.kill();
      throw new ConnectorError('worker_failed', `Worker for '${account.username}' reports uid ${ready.uid} gid ${ready.gid}; expected ${account.uid}/${account.gid}`);
    }
    return worker;
  }

  private onMessage(msg: FromWorker): void {
    if (msg.t === 'res') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(toError(msg.error));
    } else if (msg.t === 'read-end') {
      this.readEnds.get(msg.id)?.(msg.sent, msg.error);
    } else if (msg.t === 'write-failed') {
      this.writeFailures.get(msg.id)?.(msg.error);
    }
  }

  private onDeath(): void {
    this.dead = true;
    const error = new ConnectorError('worker_failed', `The worker for local account '${this.account.username}' exited`);
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    for (const h of this.deathHandlers) h();
    this.deathHandlers = [];
    if (this.idleTimer) clearTimeout(this.idleTimer);
  }

  onDeathOnce(handler: () => void): () => void {
    if (this.dead) {
      handler();
      return () => {};
    }
    this.deathHandlers.push(handler);
    return () => {
      this.deathHandlers = this.deathHandlers.filter((h) => h !== handler);
    };
  }

  newId(): number {
    return this.nextId++;
  }

  /**
   * One request, one reply. A worker that has not answered within `timeoutMs` is presumed wedged (a hung
   * NFS mount, a bug) and killed: every request it holds fails with worker_failed and the pool starts afresh.
   */
  call<T>(msg: ToWorker & { id: number }, timeoutMs = CALL_TIMEOUT_MS): Promise<T> {
    if (this.dead) return Promise.reject(new ConnectorError('worker_failed', `The worker for local account '${this.account.username}' exited`));
    return new Promise<T>((resolve, reject) => {
      const timer = timeoutMs > 0 ? setTimeout(() => this.pending.has(msg.id) && this.kill(), timeoutMs) : null;
      timer?.unref();
      const done = () => timer && clearTimeout(timer);
      this.pending.set(msg.id, {
        resolve: (v) => {
          done();
          resolve(v);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
      this.child.send(msg, (error) => {
        if (error && this.pending.delete(msg.id)) {
          done();
          reject(new ConnectorError('worker_failed', error.message));
        }
      });
    });
  }

  /** Writes upload bytes to the data socket; resolves once the kernel has them, rejects if the worker dies first. */
  send(buf: Buffer, length: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const off = this.onDeathOnce(() => reject(new ConnectorError('worker_failed', `The worker for local account '${this.account.username}' exited during an upload`)));
      this.data.write(buf.subarray(0, length), (error) => {
        off();
        if (error) reject(error);
        else resolve();
      });
    });
  }

  post(msg: ToWorker): void {
    if (!this.dead) this.child.send(msg, () => {});
  }

  /** Holds the server's event loop only while the worker has work; idle workers never keep a process alive. */
  busy(): void {
    this.inflight++;
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    this.child.ref();
    (this.child as any).channel?.ref?.();
    this.data.ref();
  }

  idle(idleTimeoutMs: number, onReap: () => void): void {
    this.inflight--;
    if (this.inflight > 0 || this.dead) return;
    this.child.unref();
    (this.child as any).channel?.unref?.();
    this.data.unref();
    this.idleTimer = setTimeout(() => {
      if (this.inflight === 0) {
        onReap();
        this.stop();
      }
    }, idleTimeoutMs);
    this.idleTimer.unref();
  }

  stop(): void {
    if (this.dead) return;
    this.post({ t: 'exit' });
    const t = setTimeout(() => this.kill(), 2000);
    t.unref();
  }

  kill(): void {
    if (!this.dead) this.child.kill('SIGKILL');
  }
}

export interface PoolOptions {
  /** the worker's entry (worker-script.ts) */
  workerScript: string;
  idleTimeoutMs: number;
  maxWorkersPerAccount: number;
  /** `auto`: descriptor handoff through /proc when the host allows it, else the data socket */
  readTransport: 'auto' | 'socket';
}

/**
 * Whether the server can reopen a worker's descriptor through /proc/<pid>/fd (needs ptrace-read access to the
 * worker, which some hardened containers deny). Learned on first use; null until then.
 */
let handoffWorks: boolean | null = null;
export function readTransport(): 'fd-handoff' | 'socket' | 'unknown' {
  return handoffWorks === null ? 'unknown' : handoffWorks ? 'fd-handoff' : 'socket';
}

class HandoffUnavailable extends Error {}

/** The workers of one account. Streams (read/write) hold a worker's data socket exclusively; metadata requests share. */
export class AccountPool {
  readonly account: Account;
  private readonly options: PoolOptions;
  readonly workers = new Set<Worker>();
  private spawning = 0;
  private waiters: Array<() => void> = [];

  constructor(account: Account, options: PoolOptions) {
    this.account = account;
    this.options = options;
  }

  private async grow(): Promise<Worker> {
    this.spawning++;
    try {
      const w = await Worker.spawn(this.account, this.options.workerScript);
      this.workers.add(w);
      void w.exited.then(() => {
        this.workers.delete(w);
        this.wake();
      });
      return w;
    } finally {
      this.spawning--;
      this.wake();
    }
  }

  private live(): Worker[] {
    return [...this.workers].filter((w) => !w.dead);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  async acquire(stream: boolean): Promise<Worker> {
    for (;;) {
      const live = this.live();
      const room = live.length + this.spawning < this.options.maxWorkersPerAccount;
      let chosen: Worker | undefined;
      if (stream) chosen = live.find((w) => !w.streamBusy);
      else {
        const least = live.sort((a, b) => a.inflight - b.inflight)[0];
        // Metadata requests share a worker; a new one is spawned only when the least busy is saturated.
        if (least && (least.inflight < META_PER_WORKER || !room)) chosen = least;
      }
      // A cold pool spawns one worker for a burst of metadata requests, not one each.
      if (!chosen && room && (stream || this.spawning === 0)) {
        const grown = await this.grow();
        if (!(stream && grown.streamBusy)) chosen = grown;
      }
      if (chosen && !chosen.dead) {
        if (stream) chosen.streamBusy = true;
        chosen.busy();
        return chosen;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  release(worker: Worker, stream: boolean): void {
    if (stream) {
      worker.streamBusy = false;
      worker.sink = null;
      worker.data.pause();
    }
    worker.idle(this.options.idleTimeoutMs, () => this.workers.delete(worker));
    this.wake();
  }

  pids(): number[] {
    return this.live().map((w) => w.pid);
  }

  async close(): Promise<void> {
    const all = [...this.workers];
    for (const w of all) w.stop();
    await Promise.all(all.map((w) => w.exited));
  }
}

/** A connector whose every operation runs in a worker holding the account's uid, gid and groups: the kernel decides. */
export class WorkerConnector implements PosixConnector {
  readonly username: string;
  readonly kind = 'worker' as const;
  private readonly pool: AccountPool;
  private readonly journal: UploadJournal;
  private readonly transport: 'auto' | 'socket';

  constructor(pool: AccountPool, journal: UploadJournal, transport: 'auto' | 'socket' = 'auto') {
    this.transport = transport;
    this.pool = pool;
    this.username = pool.account.username;
    this.journal = journal;
  }

  private async meta<T>(make: (id: number) => ToWorker & { id: number }): Promise<T> {
    const w = await this.pool.acquire(false);
    try {
      return await w.call<T>(make(w.newId()));
    } finally {
      this.pool.release(w, false);
    }
  }

  stat(at: Location): Promise<FileEntry> {
    return this.meta((id) => ({ t: 'stat', id, at }));
  }
  list(at: Location, options?: ListOptions): Promise<ListResult> {
    return this.meta((id) => ({ t: 'list', id, at, options }));
  }
  mkdir(at: Location): Promise<FileEntry> {
    return this.meta((id) => ({ t: 'mkdir', id, at }));
  }
  async rename(from: Location, to: Location): Promise<void> {
    await this.meta((id) => ({ t: 'rename', id, from, to }));
  }
  async remove(at: Location, options: { recursive?: boolean } = {}): Promise<void> {
    await this.meta((id) => ({ t: 'remove', id, at, recursive: options.recursive ?? false }));
  }
  checkAccess(at: Location, mode: AccessMode): Promise<boolean> {
    return this.meta((id) => ({ t: 'access', id, at, mode }));
  }

  /**
   * Reads: the worker opens the file as the account (the kernel's check) and the server reopens that very
   * descriptor through /proc, then streams it itself — no copy through the worker. Where /proc reopening is
   * not allowed, the worker streams the bytes over its data socket instead.
   */
  async read(at: Location, range?: ByteRange): Promise<ReadResult> {
    if (this.transport === 'auto' && handoffWorks !== false) {
      try {
        const result = await this.readByHandoff(at, range);
        handoffWorks = true;
        return result;
      } catch (error) {
        if (!(error instanceof HandoffUnavailable)) throw error;
        handoffWorks = false;
      }
    }
    return this.readBySocket(at, range);
  }

  private async readByHandoff(at: Location, range?: ByteRange): Promise<ReadResult> {
    const w = await this.pool.acquire(false);
    let info: OpenReply;
    let fd: number;
    try {
      info = await w.call({ t: 'open', id: w.newId(), at, range, inline: INLINE_READ });
      if (info.data !== undefined) {
        const { entry, size, start, end, real } = info;
        return inMemoryResult({ entry, size, start, end, real }, Buffer.from(info.data, 'base64'));
      }
      try {
        fd = fs.openSync(`/proc/${w.pid}/fd/${info.fd}`, fs.constants.O_RDONLY | (fs.constants as any).O_CLOEXEC);
      } catch (error) {
        if (handoffWorks) throw new ConnectorError('worker_failed', `Could not take over the worker's descriptor: ${(error as Error).message}`);
        throw new HandoffUnavailable((error as Error).message);
      } finally {
        w.post({ t: 'close', fd: info.fd });
      }
    } finally {
      this.pool.release(w, false);
    }
    const st = fs.fstatSync(fd);
    // The same open file, not whatever a recycled pid's descriptor table holds.
    if (st.dev !== info.dev || st.ino !== info.ino) {
      fs.closeSync(fd);
      throw new ConnectorError('worker_failed', 'The worker descriptor changed during handoff');
    }
    const { entry, size, start, end, real } = info;
    return readFd(fd, { entry, size, start, end, real });
  }

  private async readBySocket(at: Location, range?: ByteRange): Promise<ReadResult> {
    const w = await this.pool.acquire(true);
    const id = w.newId();
    let sentTotal: number | null = null;
    let failure: WireError | undefined;
    let onEnd: (() => void) | null = null;
    // Registered before the request goes out: the reply, the bytes and read-end can arrive in one IPC read,
    // and read-end would be dispatched before the awaiting code below gets to run.
    w.readEnds.set(id, (sent, error) => {
      sentTotal = sent;
      failure = error;
      onEnd?.();
    });
    let info: { entry: FileEntry; size: number; start: number; end: number; real: RealPaths };
    try {
      info = await w.call({ t: 'read', id, at, range });
    } catch (error) {
      w.readEnds.delete(id);
      this.pool.release(w, true);
      throw error;
    }
    const expected = info.end - info.start + 1;
    let received = 0;
    let ended = false;
    let cancelled = false;
    let released = false;

    const release = () => {
      if (released) return;
      released = true;
      if (watchdog) clearTimeout(watchdog);
      w.readEnds.delete(id);
      offDeath();
      this.pool.release(w, true);
    };
    // Once the consumer has everything (or has gone), read-end must follow promptly; if it does not, the
    // worker's channel is out of step and the worker is replaced rather than left holding the pool.
    let watchdog: NodeJS.Timeout | null = null;
    const arm = () => {
      if (watchdog || released) return;
      watchdog = setTimeout(() => !released && w.kill(), DRAIN_TIMEOUT_MS);
      watchdog.unref();
    };
    const check = () => {
      if (!ended && !cancelled && received === expected) {
        ended = true;
        stream.push(null);
        arm();
      }
      if (sentTotal === null || received < sentTotal) return;
      release();
      if (!ended && !cancelled) {
        ended = true;
        stream.destroy(failure ? toError(failure) : new ConnectorError('EIO', `Read ended after ${received} of ${expected} bytes`));
      }
    };

    const stream = new Readable({
      // Deep enough to keep the socket busy while the consumer (TLS) encrypts the previous chunk.
      highWaterMark: 4 << 20,
      read: () => {
        if (!cancelled) w.data.resume();
      },
      destroy: (error, callback) => {
        if (!released && !ended) {
          cancelled = true;
          if (sentTotal === null) w.post({ t: 'read-cancel', id });
          // Drain what is already in flight so the socket is clean for the next stream.
          w.data.resume();
          check();
          arm();
        }
        callback(error);
      },
    });
    w.sink = (chunk) => {
      received += chunk.length;
      if (!cancelled && !ended && !stream.push(chunk)) w.data.pause();
      check();
    };
    onEnd = () => {
      if (cancelled) w.data.resume();
      check();
    };
    const offDeath = w.onDeathOnce(() => {
      if (!ended) {
        ended = true;
        stream.destroy(new ConnectorError('worker_failed', `The worker for local account '${this.username}' exited during a read`));
      }
      release();
    });
    if (expected === 0 || sentTotal !== null) check();
    return { ...info, stream };
  }

  async write(at: Location, body: WriteBody, options: WriteOptions = {}): Promise<WriteResult> {
    options.signal?.throwIfAborted();
    const tempName = newTempName();
    await this.journal.add(tempName, at, this.username);
    let w: Worker;
    try {
      w = await this.pool.acquire(true);
    } catch (error) {
      await this.journal.done(tempName);
      throw error;
    }
    const id = w.newId();
    let workerDied = false;
    const offDeath = w.onDeathOnce(() => {
      workerDied = true;
    });
    try {
      const place = await w.call<TempPlace>({ t: 'write-begin', id, at, tempName, mustNotExist: options.mustNotExist ?? false });
      await this.journal.setPath(tempName, { tempPath: place.tempPath, dirDev: place.dirDev, dirIno: place.dirIno });
      let early: WireError | null = null;
      w.writeFailures.set(id, (e) => {
        early = e;
      });
      let sent = 0;
      let failure: unknown = null;
      const out = new UploadSink((buf, length) => w.send(buf, length));
      try {
        const stop = new Error('worker ended the upload');
        await consumeBody(
          body,
          (chunk) => {
            if (early || workerDied) throw stop;
            if (options.expectedSize !== undefined && sent + chunk.byteLength > options.expectedSize) throw sizeMismatch(options.expectedSize, sent + chunk.byteLength);
            sent += chunk.byteLength;
            return out.push(chunk);
          },
          options.signal,
        ).catch((error) => {
          if (error !== stop) throw error;
        });
        if (options.signal?.aborted) throw new ConnectorError('aborted', 'Upload aborted');
        if (!early && options.expectedSize !== undefined && sent !== options.expectedSize) throw sizeMismatch(options.expectedSize, sent);
      } catch (error) {
        failure = error;
      } finally {
        // Whatever was counted in `sent` goes out: the worker consumes exactly that many bytes before it ends the upload.
        await out.flush().catch((error) => {
          failure ??= error;
        });
      }
      const commit = failure === null && early === null;
      // No timeout: the fsync of a large file on a slow disk may legitimately take minutes.
      const result = await w.call<{ created: boolean; entry: FileEntry } | { aborted: true }>({ t: 'write-end', id, commit, bytes: sent }, 0);
      if (failure) throw failure instanceof ConnectorError ? failure : new ConnectorError('aborted', `Upload aborted: ${(failure as Error)?.message ?? failure}`);
      if (early) throw toError(early);
      if ('aborted' in result) throw new ConnectorError('aborted', 'Upload aborted');
      return { created: result.created, bytes: sent, entry: result.entry };
    } catch (error) {
      // A dead worker cannot clean up after itself: remove its temp file from here. Its IPC channel may
      // close (failing the call) before its exit is noticed, so a worker_failed error counts as death too.
      const lost = workerDied || w.dead || (error instanceof ConnectorError && error.code === 'worker_failed');
      if (lost) await this.journal.clean(tempName);
      throw error;
    } finally {
      offDeath();
      w.writeFailures.delete(id);
      this.pool.release(w, true);
      await this.journal.done(tempName);
    }
  }
}
