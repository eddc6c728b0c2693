// One worker process of a local account: spawned with the account's uid, gid and groups, spoken to over its control and data sockets.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Account } from './accounts.ts';
import { type FromWorker, type ToWorker, type WireError } from './protocol.ts';
import { ConnectorError } from './types.ts';

const READY_TIMEOUT_MS = 15_000;
const CALL_TIMEOUT_MS = 120_000;

export function toError(e: WireError): ConnectorError {
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
      // Structured clone, not JSON: file bytes in messages travel as bytes, not base64 text to encode and parse.
      serialization: 'advanced',
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
      throw new ConnectorError(
        'worker_failed',
        `Worker for '${account.username}' reports uid ${ready.uid} gid ${ready.gid}; expected ${account.uid}/${account.gid}`,
      );
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
      const off = this.onDeathOnce(() =>
        reject(new ConnectorError('worker_failed', `The worker for local account '${this.account.username}' exited during an upload`)),
      );
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
