// Password hashing threads: scrypt on dedicated worker threads with a bounded queue, off libuv's pool that file I/O needs.
import { Worker } from 'node:worker_threads';
import type { ScryptJob } from './password-worker.ts';

/** Thrown when every thread is busy and the queue is full: the caller answers "busy, try again". */
export class PasswordPoolBusy extends Error {
  constructor() {
    super('Too many sign-ins are being checked right now');
  }
}

interface Pending {
  job: ScryptJob;
  resolve(key: Buffer): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  current?: Pending;
}

export interface PoolStats {
  threads: number;
  busy: number;
  queued: number;
  /** scrypt runs finished since the pool started */
  completed: number;
  /** thread ids of the pool's workers: none is the main thread */
  threadIds: number[];
}

export class PasswordPool {
  readonly threads: number;
  readonly maxQueue: number;
  #slots: Slot[] = [];
  #queue: Pending[] = [];
  #nextId = 1;
  #completed = 0;
  #closed = false;

  constructor(threads: number, maxQueue = threads * 32) {
    this.threads = Math.max(1, threads);
    this.maxQueue = maxQueue;
    for (let i = 0; i < this.threads; i++) this.#slots.push(this.#spawn());
  }

  #spawn(): Slot {
    const slot: Slot = { worker: new Worker(new URL('./password-worker.ts', import.meta.url)) };
    slot.worker.on('message', (msg: { id: number; key?: Uint8Array; error?: string }) => {
      const done = slot.current;
      slot.current = undefined;
      slot.worker.unref();
      this.#completed++;
      if (done && msg.error) done.reject(new Error(msg.error));
      else if (done) done.resolve(Buffer.from(msg.key!));
      this.#dispatch();
    });
    slot.worker.on('error', (error) => {
      slot.current?.reject(error);
      slot.current = undefined;
      if (this.#closed) return;
      // A dead thread is replaced, so the pool keeps its size.
      const i = this.#slots.indexOf(slot);
      if (i >= 0) this.#slots[i] = this.#spawn();
      this.#dispatch();
    });
    // An idle pool must not keep a process (a CLI command) alive; a running job does. (After the
    // listeners: adding a 'message' listener refs the worker again.)
    slot.worker.unref();
    return slot;
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (slot.current || this.#queue.length === 0) continue;
      slot.current = this.#queue.shift()!;
      slot.worker.ref();
      slot.worker.postMessage(slot.current.job);
    }
  }

  /** scrypt(password, salt) on a pool thread; PasswordPoolBusy when the queue is full. */
  scrypt(password: string, salt: Uint8Array, keylen: number, options: { N: number; r: number; p: number }): Promise<Buffer> {
    if (this.#closed) return Promise.reject(new Error('password pool closed'));
    const busy = this.#slots.filter((s) => s.current).length;
    if (busy === this.#slots.length && this.#queue.length >= this.maxQueue) return Promise.reject(new PasswordPoolBusy());
    return new Promise((resolve, reject) => {
      this.#queue.push({ job: { id: this.#nextId++, password, salt, keylen, ...options }, resolve, reject });
      this.#dispatch();
    });
  }

  stats(): PoolStats {
    return {
      threads: this.#slots.length,
      busy: this.#slots.filter((s) => s.current).length,
      queued: this.#queue.length,
      completed: this.#completed,
      threadIds: this.#slots.map((s) => s.worker.threadId),
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const p of this.#queue.splice(0)) p.reject(new Error('password pool closed'));
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }
}

let shared: PasswordPool | undefined;
let sharedThreads = 2;

/** Sets the shared pool's size (GATEHOUSE_PASSWORD_THREADS) before its first use; a running pool is resized. */
export function configurePasswordPool(threads: number): void {
  sharedThreads = Math.max(1, threads);
  if (shared && shared.threads !== sharedThreads) {
    const old = shared;
    shared = undefined;
    void old.close();
  }
}

/** The process's password pool, started on first use. */
export function passwordPool(): PasswordPool {
  return (shared ??= new PasswordPool(sharedThreads));
}
