// The worker processes of each local account (root mode): spawned on demand, shared by metadata requests, held by streams, reaped when idle.
import type { Account } from './accounts.ts';
import { Worker } from './worker-process.ts';

/** A worker takes a second metadata request rather than a new process being spawned, up to this many at once. */
const META_PER_WORKER = 16;

export interface PoolOptions {
  /** the worker's entry (worker-script.ts) */
  workerScript: string;
  idleTimeoutMs: number;
  maxWorkersPerAccount: number;
  /** `auto`: descriptor handoff through /proc when the host allows it, else the data socket */
  readTransport: 'auto' | 'socket';
}

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
