// What every step of a task (item, directory, file, delete) works with, and how a step's fault ends: skipped, retried with back-off, or fatal for the task.
import type { Transaction } from 'kysely';
import type { ServiceContext } from '../../context.ts';
import type { Database } from '../../store/schema.ts';
import type { AuthContext } from '../../auth/tokens.ts';
import { nowSeconds } from '../../store/db.ts';
import { taskAuthContext } from '../../authz/task-authority.ts';
import { appendEvent, failTask, isOpen, lockTask, type FatalError, type TaskEvent } from '../task-lifecycle.ts';
import type { TaskAuthority, TaskOptions, TransferTaskEntryRow, TransferTaskRow } from '../task-tables.ts';
import { bumpCounters, moveEntry, TaskClosed } from './counters.ts';
import { backoffMs, faultDetails, faultEvent, skippable, type Fault } from './faults.ts';
import { endpointOf, type TaskDecisions } from './access.ts';
import { loadTarget } from '../../data/access.ts';
import type { ActiveMarker, CompletionBatch } from './batch.ts';

export interface StepContext {
  ctx: ServiceContext;
  task: TransferTaskRow;
  options: TaskOptions;
  authority: TaskAuthority;
  /** aborted when the task's work must stop (cancel, pause, lost lease, shutdown) */
  signal: AbortSignal;
  /** `host:port` of this server, for event details */
  server: string;
  /** batched writes of the task's entries */
  marker: ActiveMarker;
  completions: CompletionBatch;
  /** the facts its decisions are made on, reloaded every FACTS_MS */
  decisions: TaskDecisions;
}

export function taskAuth(step: StepContext): AuthContext {
  return taskAuthContext(step.authority, nowSeconds());
}

/** Runs fn in one transaction; a TaskClosed thrown inside undoes it and resolves false. */
export async function inTask(step: StepContext, fn: (db: Transaction<Database>) => Promise<unknown>): Promise<boolean> {
  try {
    await step.ctx.store.tx(async (trx) => {
      await fn(trx);
    });
    return true;
  } catch (error) {
    if (error instanceof TaskClosed) return false;
    throw error;
  }
}

/** An event of the task, unless it is no longer open. */
export async function event(step: StepContext, e: TaskEvent): Promise<void> {
  await step.ctx.store.tx(async (db) => {
    const task = await lockTask(db, step.task.task_id);
    if (task && isOpen(task.status)) await appendEvent(db, step.task.task_id, e, Date.now());
  });
}

/** Ends the task as FAILED with a fatal error (one error event, counted in faults). */
export async function failFatal(step: StepContext, fatal: FatalError, e: TaskEvent): Promise<void> {
  await step.ctx.store.tx(async (db) => {
    await bumpCounters(db, step.task.task_id, { faults: 1 });
    await failTask(db, step.task.task_id, { kind: 'failed', fatal, event: e }, Date.now());
  });
}

function collectionOf(step: StepContext, f: Fault): string {
  return f.side === 'source' ? step.task.source_collection_id : (step.task.destination_collection_id ?? step.task.source_collection_id);
}

/** The error event's details text, naming the collection by its display name as it is now. */
export async function detailsOf(step: StepContext, f: Fault, path: string): Promise<string> {
  const id = collectionOf(step, f);
  const target = await loadTarget(step.ctx.store.db, id).catch(() => undefined);
  return faultDetails(f, endpointOf(target, id), step.server, path);
}

/**
 * A fault of one entry, handled as spec §15.8 says: a source error `skip_source_errors` covers is recorded
 * on the entry and skipped (event SKIPPED_ERRORS); every other is an error event (faults + 1, nice_status
 * for 15 minutes; at most one per code per minute) and the entry is retried after a back-off, until it succeeds or the deadline passes.
 * Fatal errors are decided by the caller (failFatal).
 */
export async function entryFault(step: StepContext, entry: TransferTaskEntryRow, f: Fault, path: string): Promise<void> {
  // A copy that did not verify is sent again whole (spec §15.6): its kept prefix is not trusted.
  const restart = f.code === 'VERIFY_CHECKSUM' ? { checkpoint_digest: null } : {};
  const now = Date.now();
  const details = await detailsOf(step, f, path);
  if (skippable(f) && step.options.skip_source_errors === true) {
    await inTask(step, async (db) => {
      const moved = await moveEntry(db, step.task.task_id, entry, {
        state: 'skipped_error',
        set: { error_code: f.code, error_details: details, error_at: now, completed_at: now, next_attempt_at: null },
      });
      if (moved)
        await appendEvent(
          db,
          step.task.task_id,
          { code: 'SKIPPED_ERRORS', description: 'skipped errors', details: `${f.code}: ${path}\n${f.message}`, is_error: false },
          now,
        );
    });
    return;
  }
  const attempts = entry.attempts + (entry.kind === 'file' ? 0 : 1);
  await inTask(step, async (db) => {
    // One error event (and fault) per code per minute: a denial that hits every file of a large tree is one
    // event, not one per file and retry; each entry still records its own error.
    const task = await lockTask(db, step.task.task_id);
    if (!task || !isOpen(task.status)) throw new TaskClosed();
    const repeated = task.nice_status === f.code && task.nice_status_at !== null && now - task.nice_status_at < EVENT_REPEAT_MS;
    const moved = await moveEntry(
      db,
      step.task.task_id,
      entry,
      {
        state: 'retrying',
        set: { attempts, error_code: f.code, error_details: details, error_at: now, next_attempt_at: now + backoffMs(attempts), ...restart },
      },
      repeated ? {} : { faults: 1 },
      repeated ? {} : { nice_status: f.code, nice_status_at: now },
    );
    if (moved && !repeated) await appendEvent(db, step.task.task_id, faultEvent(f, details), now);
  });
}

/** An error event of the same code is not repeated within this time. */
const EVENT_REPEAT_MS = 60_000;

/** A fault of the task that belongs to no entry (the extras pass): an error event, counted, and shown as nice_status. */
export async function recordFault(step: StepContext, f: Fault, details: string): Promise<void> {
  const now = Date.now();
  await inTask(step, async (db) => {
    if (!(await bumpCounters(db, step.task.task_id, { faults: 1 }, { nice_status: f.code, nice_status_at: now }))) throw new TaskClosed();
    await appendEvent(db, step.task.task_id, faultEvent(f, details), now);
  });
}
