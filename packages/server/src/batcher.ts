// Calls coalesced into batches: whatever arrives while a batch is being worked goes into the next one, so under load a batch holds many calls and when idle a call waits only for the next turn of the event loop.

export interface BatcherOptions {
  /** calls per batch at most */
  max?: number;
  /** batches being worked at once */
  concurrency?: number;
}

interface Queued<T, R> {
  item: T;
  resolve(value: R): void;
  reject(error: unknown): void;
}

/**
 * `work` gets the queued items in order and returns one result per item; a throw rejects every call of that
 * batch. With `concurrency` 1 (the default) one batch is worked at a time: the cost of a batch (a transaction,
 * an fsync, a round trip to a worker) is paid once for all that queued behind it.
 */
export class Batcher<T, R> {
  private readonly work: (items: T[]) => Promise<R[]>;
  private readonly max: number;
  private readonly concurrency: number;
  private queued: Array<Queued<T, R>> = [];
  private scheduled = false;
  private running = 0;

  constructor(work: (items: T[]) => Promise<R[]>, options: BatcherOptions = {}) {
    this.work = work;
    this.max = Math.max(1, options.max ?? 128);
    this.concurrency = Math.max(1, options.concurrency ?? 1);
  }

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queued.push({ item, resolve, reject });
      if (!this.scheduled && this.running < this.concurrency) {
        this.scheduled = true;
        setImmediate(() => this.drain());
      }
    });
  }

  private drain(): void {
    this.scheduled = false;
    while (this.running < this.concurrency && this.queued.length > 0) {
      const batch = this.queued.splice(0, this.max);
      this.running++;
      void this.run(batch).finally(() => {
        this.running--;
        this.drain();
      });
    }
  }

  private async run(batch: Array<Queued<T, R>>): Promise<void> {
    try {
      const results = await this.work(batch.map((q) => q.item));
      batch.forEach((q, i) => q.resolve(results[i]));
    } catch (error) {
      for (const q of batch) q.reject(error);
    }
  }
}
