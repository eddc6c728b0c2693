// A task's state transitions that routes and the task engine share: events, completion (succeeded, canceled, expired, failed), pause and resume.
import { sql } from 'kysely';
import type { Db } from '../store/db.ts';
import { toJson } from '../store/db.ts';
import { forUpdate } from '../store/locking.ts';
import type { TaskStatus, TransferTaskRow } from './task-tables.ts';

export interface TaskEvent {
  code: string;
  description: string;
  /** always a string; JSON text where the event carries structure (the CLI re-parses it) */
  details: string;
  is_error: boolean;
}

export interface FatalError {
  code: string;
  description: string;
}

/** Statuses a task can still leave. */
export const OPEN_STATUSES: readonly TaskStatus[] = ['ACTIVE', 'INACTIVE'];

export function isOpen(status: TaskStatus): boolean {
  return OPEN_STATUSES.includes(status);
}

export async function appendEvent(db: Db, taskId: string, event: TaskEvent, now: number): Promise<void> {
  await db
    .insertInto('transfer_task_events')
    .values({ task_id: taskId, time: now, code: event.code, description: event.description, details: event.details, is_error: event.is_error ? 1 : 0 })
    .execute();
}

/** The task row, locked for the rest of the transaction (PostgreSQL row lock; SQLite's write lock is already held). */
export async function lockTask(db: Db, taskId: string): Promise<TransferTaskRow | undefined> {
  return forUpdate(db, db.selectFrom('transfer_tasks').selectAll().where('task_id', '=', taskId)).executeTakeFirst();
}

/** How an open task ends when it does not succeed: what its unfinished work becomes, and the fatal event. */
export type Failure =
  | { kind: 'canceled'; by: 'owner' | 'admin'; message?: string; side?: 'SOURCE' | 'DESTINATION' | 'BOTH' }
  | { kind: 'expired' }
  | { kind: 'failed'; fatal: FatalError; event: TaskEvent };

function failureFacts(failure: Failure): { fatal: FatalError; event: TaskEvent; entryState: 'canceled' | 'expired' | 'failed' } {
  switch (failure.kind) {
    case 'canceled':
      return {
        fatal: { code: 'CANCELED', description: 'canceled' },
        event: {
          code: 'CANCELED',
          description: 'canceled',
          details: failure.by === 'owner' ? 'Canceled by the task owner' : (failure.message ?? 'Canceled by an administrator'),
          is_error: true,
        },
        entryState: 'canceled',
      };
    case 'expired':
      return {
        fatal: { code: 'EXPIRED', description: 'expired' },
        event: { code: 'EXPIRED', description: 'expired', details: 'Task failed to complete before deadline', is_error: true },
        entryState: 'expired',
      };
    case 'failed':
      return { fatal: failure.fatal, event: failure.event, entryState: 'failed' };
  }
}

/** What every completion sets: the final status and time; no status line, pause or lease any more; a revision for the engine to notice. */
function completion(status: 'SUCCEEDED' | 'FAILED', now: number) {
  return {
    status,
    completed_at: now,
    nice_status: null,
    nice_status_at: null,
    is_paused: 0,
    lease_owner: null,
    lease_expires_at: null,
    revision: sql<number>`revision + 1`,
  } as const;
}

const COUNTER_FOR = { canceled: 'subtasks_canceled', expired: 'subtasks_expired', failed: 'subtasks_failed' } as const;

/**
 * Ends an open task as FAILED, inside the caller's transaction: its unfinished entries (pending, active,
 * retrying) and the matching counters move to canceled, expired or failed, the lease is dropped and
 * `revision` bumped so that an engine working it stops (and removes its temp files). Returns false when
 * the task had already completed: nothing is changed then.
 */
export async function failTask(db: Db, taskId: string, failure: Failure, now: number): Promise<boolean> {
  const task = await lockTask(db, taskId);
  if (!task || !isOpen(task.status)) return false;
  const { fatal, event, entryState } = failureFacts(failure);
  const counter = COUNTER_FOR[entryState];
  await db
    .updateTable('transfer_task_entries')
    .set({ state: entryState, completed_at: now })
    .where('task_id', '=', taskId)
    .where('state', 'in', ['pending', 'active', 'retrying'])
    .execute();
  await db
    .updateTable('transfer_tasks')
    .set({
      ...completion('FAILED', now),
      fatal_error: toJson(fatal),
      [counter]: sql`${sql.ref(counter)} + subtasks_pending + subtasks_retrying`,
      subtasks_pending: 0,
      subtasks_retrying: 0,
      ...(failure.kind === 'canceled' && failure.by === 'admin'
        ? { canceled_by_admin: failure.side ?? 'BOTH', canceled_by_admin_message: failure.message ?? null }
        : {}),
    })
    .where('task_id', '=', taskId)
    .execute();
  await appendEvent(db, taskId, event, now);
  return true;
}

/** Ends an open task as SUCCEEDED (the engine, once no entry is left to work). False when it was no longer open. */
export async function succeedTask(db: Db, taskId: string, now: number, details = ''): Promise<boolean> {
  const task = await lockTask(db, taskId);
  if (!task || !isOpen(task.status)) return false;
  await db.updateTable('transfer_tasks').set(completion('SUCCEEDED', now)).where('task_id', '=', taskId).execute();
  await appendEvent(db, taskId, { code: 'SUCCEEDED', description: 'succeeded', details, is_error: false }, now);
  return true;
}

/**
 * Pauses or resumes an open task (endpoint-manager admin_pause / admin_resume): `is_paused` changes at once,
 * the deadline moves as task_behavior §3 says (pause + 90 days; resume + 24 h unless the submitter set it),
 * and the engine notices by `revision`. False when the task is complete or already in that state.
 */
export async function setPaused(db: Db, taskId: string, paused: boolean, message: string | null, now: number): Promise<boolean> {
  const task = await lockTask(db, taskId);
  if (!task || !isOpen(task.status) || (task.is_paused === 1) === paused) return false;
  const deadline = task.deadline_fixed === 1 ? task.deadline_at : now + (paused ? 90 * 86_400_000 : 86_400_000);
  await db
    .updateTable('transfer_tasks')
    .set({ is_paused: paused ? 1 : 0, pause_message: paused ? message : null, deadline_at: deadline, revision: sql`revision + 1` })
    .where('task_id', '=', taskId)
    .execute();
  await appendEvent(
    db,
    taskId,
    paused
      ? { code: 'PAUSED', description: 'paused', details: message ?? 'Paused by an administrator', is_error: false }
      : { code: 'UNPAUSED', description: 'unpaused', details: 'Resumed by an administrator', is_error: false },
    now,
  );
  return true;
}
