// Entry writes of many files in one statement or transaction: files starting together are marked active at once, and finished files are recorded together with one counter update.
import { sql } from 'kysely';
import type { Store } from '../../store/db.ts';
import { bumpCounters, mergeDeltas, TaskClosed, transitionDeltas, type Deltas, type EntryRef, type EntrySet } from './counters.ts';
import type { EntryKind, EntryState } from '../task-tables.ts';

const MAX_BATCH = 128;

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/**
 * Items queued and written in batches, one batch in flight at a time: what arrives while a batch is being
 * written waits for it and goes in the next, so under load a batch holds whatever finished meanwhile (many
 * files per transaction) and when idle an item waits only for the next turn of the event loop.
 */
abstract class Batcher<T> {
  protected queued: T[] = [];
  private scheduled = false;
  private writing = false;

  protected enqueue(item: T): void {
    this.queued.push(item);
    if (!this.scheduled && !this.writing) {
      this.scheduled = true;
      setImmediate(() => void this.drain());
    }
  }

  private async drain(): Promise<void> {
    this.scheduled = false;
    this.writing = true;
    try {
      while (this.queued.length > 0) await this.write(this.queued.splice(0, MAX_BATCH));
    } finally {
      this.writing = false;
    }
  }

  /** Writes one batch and settles each item's promise; never throws. */
  protected abstract write(batch: T[]): Promise<void>;
}

/** Pending `file` entries about to be copied: one more attempt each, and a temp file that may exist from now on. */
export class ActiveMarker extends Batcher<{ seq: number } & Waiter<boolean>> {
  private readonly store: Store;

  constructor(store: Store) {
    super();
    this.store = store;
  }

  /** Resolves true once marked, false when the entry was no longer pending (the task ended). */
  mark(seq: number): Promise<boolean> {
    return new Promise((resolve, reject) => this.enqueue({ seq, resolve, reject }));
  }

  protected async write(batch: Array<{ seq: number } & Waiter<boolean>>): Promise<void> {
    try {
      const marked = await this.store.db
        .updateTable('transfer_task_entries')
        .set({ state: 'active', attempts: sql`attempts + 1`, checkpoint_offset: sql`coalesce(checkpoint_offset, 0)` })
        .where(
          'seq',
          'in',
          batch.map((b) => b.seq),
        )
        .where('state', '=', 'pending')
        .returning('seq')
        .execute();
      const done = new Set(marked.map((m) => Number(m.seq)));
      for (const b of batch) b.resolve(done.has(b.seq));
    } catch (error) {
      for (const b of batch) b.reject(error);
    }
  }
}

export interface Completion {
  entry: EntryRef;
  to: { kind?: EntryKind; state: EntryState; set?: EntrySet };
  deltas: Deltas;
}

/** Finished entries of one task, recorded in one transaction per batch: each entry's move, then the summed counters. */
export class CompletionBatch extends Batcher<Completion & Waiter<boolean>> {
  private readonly store: Store;
  private readonly taskId: string;

  constructor(store: Store, taskId: string) {
    super();
    this.store = store;
    this.taskId = taskId;
  }

  /** Resolves true once recorded, false when the entry had moved meanwhile or the task is no longer open. */
  record(c: Completion): Promise<boolean> {
    return new Promise((resolve, reject) => this.enqueue({ ...c, resolve, reject }));
  }

  protected async write(batch: Array<Completion & Waiter<boolean>>): Promise<void> {
    const moved: boolean[] = [];
    try {
      await this.store.tx(async (trx) => {
        moved.length = 0;
        let deltas: Deltas = {};
        for (const c of batch) {
          const kind = c.to.kind ?? c.entry.kind;
          const r = await trx
            .updateTable('transfer_task_entries')
            .set({ ...(c.to.set ?? {}), kind, state: c.to.state } as never)
            .where('seq', '=', c.entry.seq)
            .where('state', '=', c.entry.state)
            .where('kind', '=', c.entry.kind)
            .executeTakeFirst();
          const ok = Number(r.numUpdatedRows) > 0;
          moved.push(ok);
          if (ok) deltas = mergeDeltas(deltas, transitionDeltas(c.entry, { kind, state: c.to.state }), c.deltas);
        }
        if (!(await bumpCounters(trx, this.taskId, deltas))) throw new TaskClosed();
      });
      batch.forEach((b, i) => b.resolve(moved[i]));
    } catch (error) {
      if (error instanceof TaskClosed) batch.forEach((b) => b.resolve(false));
      else batch.forEach((b) => b.reject(error));
    }
  }
}
