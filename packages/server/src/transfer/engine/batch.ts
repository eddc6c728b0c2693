// Entry writes of many files in one statement or transaction: files starting together are marked active at once, and finished files are recorded together with one counter update.
import { sql } from 'kysely';
import type { Store } from '../../store/db.ts';
import { Batcher } from '../../batcher.ts';
import { bumpCounters, mergeDeltas, TaskClosed, transitionDeltas, type Deltas, type EntryRef, type EntrySet } from './counters.ts';
import type { EntryKind, EntryState } from '../task-tables.ts';

/** Pending `file` entries about to be copied: one more attempt each, and a temp file that may exist from now on. */
export class ActiveMarker {
  private readonly batcher: Batcher<number, boolean>;

  constructor(store: Store) {
    this.batcher = new Batcher(async (seqs) => {
      const marked = await store.db
        .updateTable('transfer_task_entries')
        .set({ state: 'active', attempts: sql`attempts + 1`, checkpoint_offset: sql`coalesce(checkpoint_offset, 0)` })
        .where('seq', 'in', seqs)
        .where('state', '=', 'pending')
        .returning('seq')
        .execute();
      const done = new Set(marked.map((m) => Number(m.seq)));
      return seqs.map((seq) => done.has(seq));
    });
  }

  /** Resolves true once marked, false when the entry was no longer pending (the task ended). */
  mark(seq: number): Promise<boolean> {
    return this.batcher.add(seq);
  }
}

export interface Completion {
  entry: EntryRef;
  to: { kind?: EntryKind; state: EntryState; set?: EntrySet };
  deltas: Deltas;
}

/** Finished entries of one task, recorded in one transaction per batch: each entry's move, then the summed counters. */
export class CompletionBatch {
  private readonly batcher: Batcher<Completion, boolean>;

  constructor(store: Store, taskId: string) {
    this.batcher = new Batcher(async (batch) => {
      const moved: boolean[] = [];
      try {
        await store.tx(async (trx) => {
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
          if (!(await bumpCounters(trx, taskId, deltas))) throw new TaskClosed();
        });
        return moved;
      } catch (error) {
        if (error instanceof TaskClosed) return batch.map(() => false);
        throw error;
      }
    });
  }

  /** Resolves true once recorded, false when the entry had moved meanwhile or the task is no longer open. */
  record(c: Completion): Promise<boolean> {
    return this.batcher.add(c);
  }
}
