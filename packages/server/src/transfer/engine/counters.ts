// A task's counters (spec §15.9) moved with its entries: every state change of an entry adjusts them by atomic increments, in the same transaction, only while the task is open.
import { sql } from 'kysely';
import type { Db } from '../../store/db.ts';
import type { EntryKind, EntryState, TaskCounterColumns, TransferTaskEntryTable } from '../task-tables.ts';

export type Counter = keyof TaskCounterColumns;
export type Deltas = Partial<Record<Counter, number>>;

const SUBTASK_OF: Record<EntryState, Counter> = {
  pending: 'subtasks_pending',
  active: 'subtasks_pending',
  retrying: 'subtasks_retrying',
  succeeded: 'subtasks_succeeded',
  skipped: 'subtasks_succeeded',
  skipped_error: 'subtasks_skipped_errors',
  failed: 'subtasks_failed',
  canceled: 'subtasks_canceled',
  expired: 'subtasks_expired',
};

/**
 * Whether an entry is one of the task's subtasks yet. A submitted transfer item is not until it has been
 * looked at (the task's one set-up subtask stands for all of them): it becomes one when it turns out to
 * be a file or a directory, or when an error keeps it retrying or skipped.
 */
export function counted(kind: EntryKind, state: EntryState): boolean {
  return !(kind === 'item' && state === 'pending');
}

/** The counter changes of an entry going from one (kind, state) to another. */
export function transitionDeltas(from: { kind: EntryKind; state: EntryState }, to: { kind: EntryKind; state: EntryState }): Deltas {
  const d: Deltas = {};
  const add = (c: Counter, n: number) => (d[c] = (d[c] ?? 0) + n);
  if (counted(from.kind, from.state)) add(SUBTASK_OF[from.state], -1);
  else if (counted(to.kind, to.state)) add('subtasks_total', 1);
  if (counted(to.kind, to.state)) add(SUBTASK_OF[to.state], 1);
  else if (counted(from.kind, from.state)) add('subtasks_total', -1);
  return d;
}

export function mergeDeltas(...all: Deltas[]): Deltas {
  const out: Deltas = {};
  for (const d of all) for (const [k, v] of Object.entries(d) as Array<[Counter, number]>) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** Adds the deltas to the task's counters (and sets `extra` columns) if it is still open; false when it is not. */
export async function bumpCounters(db: Db, taskId: string, deltas: Deltas, extra: Record<string, unknown> = {}): Promise<boolean> {
  const set: Record<string, unknown> = { ...extra };
  for (const [k, v] of Object.entries(deltas) as Array<[Counter, number]>) if (v !== 0) set[k] = sql`${sql.ref(k)} + ${v}`;
  if (Object.keys(set).length === 0) return true;
  const result = await db
    .updateTable('transfer_tasks')
    .set(set as never)
    .where('task_id', '=', taskId)
    .where('status', 'in', ['ACTIVE', 'INACTIVE'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Columns an entry move may set besides kind and state. */
export type EntrySet = { [K in Exclude<keyof TransferTaskEntryTable, 'seq' | 'task_id' | 'kind' | 'state' | 'attempts'>]?: TransferTaskEntryTable[K] } & {
  attempts?: number;
};

export interface EntryRef {
  seq: number;
  kind: EntryKind;
  state: EntryState;
}

/**
 * Moves an entry to a new state (and kind) with the matching counter changes, inside the caller's
 * transaction. Nothing happens, and false comes back, when the entry is no longer in the state it was
 * read in (the task ended meanwhile: failTask moved it) or the task is no longer open.
 */
export async function moveEntry(
  db: Db,
  taskId: string,
  entry: EntryRef,
  to: { kind?: EntryKind; state: EntryState; set?: EntrySet },
  deltas: Deltas = {},
  taskColumns: Record<string, unknown> = {},
): Promise<boolean> {
  const kind = to.kind ?? entry.kind;
  const moved = await db
    .updateTable('transfer_task_entries')
    .set({ ...(to.set ?? {}), kind, state: to.state } as never)
    .where('seq', '=', entry.seq)
    .where('state', '=', entry.state)
    .where('kind', '=', entry.kind)
    .executeTakeFirst();
  if (Number(moved.numUpdatedRows) === 0) return false;
  const ok = await bumpCounters(db, taskId, mergeDeltas(transitionDeltas(entry, { kind, state: to.state }), deltas), taskColumns);
  if (!ok) throw new TaskClosed();
  return true;
}

/** Thrown inside a transaction to undo it when the task turned out to be no longer open. */
export class TaskClosed extends Error {
  constructor() {
    super('the task is no longer open');
    this.name = 'TaskClosed';
  }
}
