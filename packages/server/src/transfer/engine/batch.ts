// Entry writes of many files in one statement or transaction: files starting together are marked active at once, and finished files are recorded together with one counter update.
import { sql, type Transaction } from 'kysely';
import type { Database } from '../../store/schema.ts';
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

/**
 * The SQL type of each entry column a completion sets: a CASE of bound values needs one on PostgreSQL
 * (an untyped parameter is text there), and bigint columns are given whole numbers.
 */
const SET_TYPES: Record<string, 'bigint' | 'text'> = {
  size: 'bigint',
  mtime_ms: 'bigint',
  next_attempt_at: 'bigint',
  checkpoint_offset: 'bigint',
  checkpoint_digest: 'text',
  checksum: 'text',
  checksum_algorithm: 'text',
  error_code: 'text',
  error_details: 'text',
  error_at: 'bigint',
  completed_at: 'bigint',
  listed: 'bigint',
  spec: 'text',
  destination_path: 'text',
};

function typed(column: string, value: unknown) {
  const type = SET_TYPES[column];
  if (!type) throw new Error(`completion sets unknown column ${column}`);
  const v = type === 'bigint' && typeof value === 'number' ? Math.round(value) : (value ?? null);
  return sql`cast(${v} as ${sql.raw(type)})`;
}

/** Completions that move entries the same way and set the same columns: one UPDATE for all of them. */
function shapeOf(c: Completion): string {
  return [c.entry.kind, c.entry.state, c.to.kind ?? c.entry.kind, c.to.state, ...Object.keys(c.to.set ?? {}).sort()].join(' ');
}

/** One UPDATE per shape: each entry its own values (a CASE on seq), moved only from the state it was in; the seqs that moved. */
async function moveAll(trx: Transaction<Database>, group: Completion[]): Promise<Set<number>> {
  const [first] = group;
  const set: Record<string, unknown> = { kind: first.to.kind ?? first.entry.kind, state: first.to.state };
  for (const column of Object.keys(first.to.set ?? {})) {
    const values = group.map((c) => (c.to.set as Record<string, unknown>)[column]);
    set[column] = values.every((v) => v === values[0])
      ? typed(column, values[0])
      : sql`case seq ${sql.join(
          group.map((c, i) => sql`when ${c.entry.seq} then ${typed(column, values[i])}`),
          sql` `,
        )} end`;
  }
  const moved = await trx
    .updateTable('transfer_task_entries')
    .set(set as never)
    .where(
      'seq',
      'in',
      group.map((c) => c.entry.seq),
    )
    .where('state', '=', first.entry.state)
    .where('kind', '=', first.entry.kind)
    .returning('seq')
    .execute();
  return new Set(moved.map((m) => Number(m.seq)));
}

/** Finished entries of one task, recorded in one transaction per batch: one UPDATE per kind of move, then the summed counters. */
export class CompletionBatch {
  private readonly batcher: Batcher<Completion, boolean>;

  constructor(store: Store, taskId: string) {
    this.batcher = new Batcher(async (batch) => {
      try {
        return await store.tx(async (trx) => {
          const groups = new Map<string, Completion[]>();
          for (const c of batch) groups.set(shapeOf(c), [...(groups.get(shapeOf(c)) ?? []), c]);
          const moved = new Set<number>();
          for (const group of groups.values()) for (const seq of await moveAll(trx, group)) moved.add(seq);
          let deltas: Deltas = {};
          for (const c of batch) {
            if (moved.has(c.entry.seq))
              deltas = mergeDeltas(deltas, transitionDeltas(c.entry, { kind: c.to.kind ?? c.entry.kind, state: c.to.state }), c.deltas);
          }
          if (!(await bumpCounters(trx, taskId, deltas))) throw new TaskClosed();
          return batch.map((c) => moved.has(c.entry.seq));
        });
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
