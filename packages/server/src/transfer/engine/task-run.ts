// One leased task worked by this process: its entries pulled in seq order and worked several at a time, faults recorded, progress reported, and the task completed when nothing is left.
import { sql } from 'kysely';
import type { ServiceContext } from '../../context.ts';
import { fromJson } from '../../store/db.ts';
import { appendEvent, isOpen, lockTask, succeedTask } from '../task-lifecycle.ts';
import type { ItemSpec, TaskAuthority, TaskOptions, TransferTaskEntryRow, TransferTaskRow } from '../task-tables.ts';
import { bumpCounters, moveEntry, TaskClosed } from './counters.ts';
import { deleteEntry } from './deletes.ts';
import { expandDir, expandItem } from './expand.ts';
import { faultOf, isAbort, type Side } from './faults.ts';
import { copyEntry } from './files.ts';
import { SMALL_COPY } from './copy.ts';
import { entryFault, detailsOf, failFatal, recordFault, type StepContext } from './step.ts';
import { deleteExtras } from './extras.ts';
import { ActiveMarker, CompletionBatch } from './batch.ts';
import { TaskDecisions } from './access.ts';

export type StopReason = 'ended' | 'paused' | 'lost' | 'closing' | 'inactive';

export interface RunSettings {
  ctx: ServiceContext;
  /** files (entries) of one task in flight at once */
  filesInFlight: number;
  server: string;
  log: { warn(obj: unknown, msg: string): void };
}

const BATCH = 200;
const OPEN_STATES = ['pending', 'retrying', 'active'] as const;
/** PROGRESS events, and the deadline pushed out while progress is made, at most this often. */
const PROGRESS_MS = 60_000;
const EXTENDED_DEADLINE_MS = 72 * 3_600_000;

/**
 * Small files in flight take a fraction of a slot each: their cost is round trips and fsyncs, which the
 * connectors share between the files that wait together (one batched write, one journal commit), so more
 * of them at once is what makes a tree of small files fast; a large file's buffers take a whole slot.
 */
const SMALL_FILES_PER_SLOT = 32;

function weightOf(entry: TransferTaskEntryRow): number {
  const small = entry.kind === 'file' && entry.spec === null && entry.size !== null && Number(entry.size) <= SMALL_COPY;
  return small ? 1 / SMALL_FILES_PER_SLOT : 1;
}

export class TaskRun {
  readonly taskId: string;
  readonly task: TransferTaskRow;
  stopped: StopReason | null = null;
  revision: number;
  private readonly abort = new AbortController();
  private readonly inFlight = new Map<number, Promise<void>>();
  /** the in-flight entries' weights (weightOf), at most filesInFlight */
  private load = 0;
  /** taken from the buffer but not launched: it did not fit */
  private held: TransferTaskEntryRow | undefined;
  private buffer: TransferTaskEntryRow[] = [];
  private cursor = 0;
  private fetching = false;
  private readonly finishedDuringFetch = new Set<number>();
  private poke: (() => void) | null = null;
  /** a wake with nobody waiting: the next wait returns at once (an entry that finished between two waits is not missed) */
  private poked = false;
  private lastProgress = Date.now();
  private progressed = false;
  private extrasDone = false;
  readonly step: StepContext;
  private readonly settings: RunSettings;

  constructor(settings: RunSettings, task: TransferTaskRow) {
    this.settings = settings;
    this.task = task;
    this.taskId = task.task_id;
    this.revision = task.revision;
    this.step = {
      ctx: settings.ctx,
      task,
      options: fromJson<TaskOptions>(task.options, {}),
      authority: fromJson<TaskAuthority>(task.authority, { identityId: task.owner_id, identitySet: [task.owner_id] }),
      signal: this.abort.signal,
      server: settings.server,
      marker: new ActiveMarker(settings.ctx.store),
      completions: new CompletionBatch(settings.ctx.store, task.task_id),
      decisions: new TaskDecisions(),
    };
  }

  /** The task's authority is now that grant (reactivate.ts adoptGrant wrote it). */
  adoptGrant(grantId: string): void {
    this.step.authority = { ...this.step.authority, grantId };
  }

  /** Stops the task's work: in-flight copies are aborted and the run returns once they have settled. */
  stop(reason: StopReason): void {
    if (this.stopped) return;
    this.stopped = reason;
    this.abort.abort();
    this.wake();
  }

  wake(): void {
    const poke = this.poke;
    this.poke = null;
    if (poke) poke();
    else this.poked = true;
  }

  /** Resolves at the next wake (or at once when one came since the last wait), or after `ms`. */
  private waitForPoke(ms: number): Promise<void> {
    if (this.poked) {
      this.poked = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.poke = null;
        resolve();
      }, ms);
      this.poke = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async run(): Promise<void> {
    try {
      await this.started();
      while (!this.stopped) {
        while (this.load < this.settings.filesInFlight && !this.stopped) {
          const entry = this.held ?? (await this.next());
          this.held = undefined;
          if (!entry) break;
          if (this.inFlight.size > 0 && this.load + weightOf(entry) > this.settings.filesInFlight) {
            this.held = entry;
            break;
          }
          this.launch(entry);
        }
        if (this.stopped) break;
        await this.maybeReportProgress();
        if (this.inFlight.size === 0) {
          const wait = await this.completeOrWait();
          if (wait === null) break;
          await this.waitForPoke(wait);
        } else {
          // Every entry that finishes wakes the run (launch).
          await this.waitForPoke(1000);
        }
      }
    } catch (error) {
      if (!(error instanceof TaskClosed)) this.settings.log.warn({ err: error, task: this.taskId }, 'task run failed; the task is left for a later lease');
    } finally {
      this.abort.abort();
      await Promise.allSettled([...this.inFlight.values()]);
    }
  }

  /** STARTED once per task, whoever leases it first. */
  private async started(): Promise<void> {
    const db = this.settings.ctx.store.db;
    const seen = await db
      .selectFrom('transfer_task_events')
      .select('seq')
      .where('task_id', '=', this.taskId)
      .where('code', '=', 'STARTED')
      .limit(1)
      .executeTakeFirst();
    if (seen) return;
    const details =
      this.task.type === 'TRANSFER'
        ? { type: 'Gatehouse Transfer', concurrency: this.settings.filesInFlight, parallelism: 1, pipelining: 1 }
        : { type: 'Gatehouse Delete', concurrency: this.settings.filesInFlight };
    await this.settings.ctx.store.tx(async (trx) => {
      const task = await lockTask(trx, this.taskId);
      if (task && isOpen(task.status))
        await appendEvent(
          trx,
          this.taskId,
          { code: 'STARTED', description: 'started', details: JSON.stringify(details, null, 2), is_error: false },
          Date.now(),
        );
    });
  }

  private async fetch(after: number): Promise<TransferTaskEntryRow[]> {
    const now = Date.now();
    return this.settings.ctx.store.db
      .selectFrom('transfer_task_entries')
      .selectAll()
      .where('task_id', '=', this.taskId)
      .where('state', 'in', [...OPEN_STATES])
      .where('seq', '>', after)
      .where((eb) => eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', now)]))
      .orderBy('seq')
      .limit(BATCH)
      .execute();
  }

  /** The next entry to work: forward in seq order (new children come last), then round again for retries that are due. */
  private async next(): Promise<TransferTaskEntryRow | undefined> {
    let wrapped = false;
    for (;;) {
      while (this.buffer.length) {
        const e = this.buffer.shift()!;
        if (!this.inFlight.has(e.seq)) return e;
      }
      // An entry that finishes while the query runs may be in its (older) snapshot: it is left out.
      this.finishedDuringFetch.clear();
      this.fetching = true;
      const rows = await this.fetch(this.cursor).finally(() => {
        this.fetching = false;
      });
      if (rows.length === 0) {
        if (this.cursor === 0 || wrapped) return undefined;
        this.cursor = 0;
        wrapped = true;
        continue;
      }
      this.cursor = rows[rows.length - 1].seq;
      this.buffer = rows.filter((r) => !this.inFlight.has(r.seq) && !this.finishedDuringFetch.has(r.seq));
    }
  }

  private launch(entry: TransferTaskEntryRow): void {
    const weight = weightOf(entry);
    this.load += weight;
    const work = this.work(entry)
      .catch((error) => this.settings.log.warn({ err: error, task: this.taskId, entry: entry.seq }, 'task entry failed unexpectedly'))
      .finally(() => {
        this.load -= weight;
        this.inFlight.delete(entry.seq);
        if (this.fetching) this.finishedDuringFetch.add(entry.seq);
        this.wake();
      });
    this.inFlight.set(entry.seq, work);
  }

  /** The entry about to be copied, marked active: one more attempt, and a temp file that may exist from now on. */
  private async markActive(entry: TransferTaskEntryRow): Promise<TransferTaskEntryRow> {
    const attempts = entry.attempts + 1;
    const checkpoint = entry.checkpoint_offset ?? 0;
    if (entry.state === 'retrying') {
      let ok = false;
      await this.settings.ctx.store.tx(async (trx) => {
        ok = await moveEntry(trx, this.taskId, entry, { state: 'active', set: { attempts, checkpoint_offset: checkpoint } });
      });
      if (!ok) throw new TaskClosed();
    } else if (entry.state === 'pending') {
      if (!(await this.step.marker.mark(entry.seq))) throw new TaskClosed();
    } else {
      // active: left by a process whose lease lapsed; one more attempt.
      await this.settings.ctx.store.db
        .updateTable('transfer_task_entries')
        .set({ attempts, checkpoint_offset: checkpoint })
        .where('seq', '=', entry.seq)
        .execute();
    }
    return { ...entry, state: 'active', attempts, checkpoint_offset: checkpoint };
  }

  private async work(entry: TransferTaskEntryRow): Promise<void> {
    const step = this.step;
    let current = entry;
    let side: Side = 'source';
    let path = entry.source_path;
    try {
      if (current.kind === 'delete') return await deleteEntry(step, current);
      const spec: ItemSpec = current.kind === 'item' || current.spec ? fromJson<ItemSpec>(current.spec, {}) : {};
      const topLevel = current.kind === 'item' || current.spec !== null;
      if (current.kind === 'item') {
        const expanded = await expandItem(step, current);
        if (!expanded) return;
        current = expanded;
      }
      if (current.kind === 'dir') return await expandDir(step, current);
      current = await this.markActive(current);
      side = 'destination';
      path = current.destination_path ?? current.source_path;
      await copyEntry(step, current, topLevel, spec.checksum_algorithm ? spec : { ...spec, checksum_algorithm: current.checksum_algorithm ?? undefined });
      this.progressed = true;
    } catch (error) {
      if (this.abort.signal.aborted || isAbort(error) || error instanceof TaskClosed) return;
      const f = faultOf(error, side, 'transfer');
      const where = f.side === 'source' ? current.source_path : (current.destination_path ?? path);
      if (f.code === 'QUOTA_EXCEEDED' && step.options.fail_on_quota_errors === true) {
        await failFatal(
          step,
          { code: f.code, description: f.description },
          { code: f.code, description: f.description, details: await detailsOf(step, f, where), is_error: true },
        );
        return;
      }
      await entryFault(step, current, f, where);
    }
  }

  private async maybeReportProgress(): Promise<void> {
    const now = Date.now();
    if (now - this.lastProgress < PROGRESS_MS) return;
    this.lastProgress = now;
    if (!this.progressed) return;
    this.progressed = false;
    await this.settings.ctx.store.tx(async (trx) => {
      const task = await lockTask(trx, this.taskId);
      if (!task || !isOpen(task.status)) return;
      const details = {
        files_transferred: task.files_transferred,
        bytes_transferred: task.bytes_transferred,
        files: task.files,
        directories: task.directories,
      };
      await appendEvent(trx, this.taskId, { code: 'PROGRESS', description: 'progress', details: JSON.stringify(details, null, 2), is_error: false }, now);
      // As the task is now: a deadline the owner set meanwhile is never extended.
      if (task.type === 'TRANSFER' && task.deadline_fixed !== 1 && task.deadline_at < now + EXTENDED_DEADLINE_MS)
        await trx
          .updateTable('transfer_tasks')
          .set({ deadline_at: now + EXTENDED_DEADLINE_MS })
          .where('task_id', '=', this.taskId)
          .execute();
    });
  }

  /**
   * With nothing runnable now: completes the task when no entry is open (the set-up subtask of a transfer
   * succeeds with it) and returns null, or returns how long to wait for the next retry that falls due.
   */
  private async completeOrWait(): Promise<number | null> {
    const db = this.settings.ctx.store.db;
    const open = await db
      .selectFrom('transfer_task_entries')
      .select([sql<number>`count(*)`.as('n'), sql<number | null>`min(next_attempt_at)`.as('due')])
      .where('task_id', '=', this.taskId)
      .where('state', 'in', [...OPEN_STATES])
      .executeTakeFirstOrThrow();
    if (Number(open.n) > 0) {
      this.cursor = 0;
      const due = open.due === null ? 0 : Number(open.due) - Date.now();
      return Math.max(20, Math.min(1000, due));
    }
    if (this.task.type === 'TRANSFER' && this.step.options.delete_destination_extra === true && !this.extrasDone) {
      try {
        await deleteExtras(this.step);
        this.extrasDone = true;
      } catch (error) {
        if (this.abort.signal.aborted || isAbort(error) || error instanceof TaskClosed) return 20;
        const f = faultOf(error, 'destination', 'delete');
        await recordFault(this.step, f, await detailsOf(this.step, f, f.message));
        return 5000;
      }
    }
    let ended = false;
    await this.settings.ctx.store.tx(async (trx) => {
      const task = await lockTask(trx, this.taskId);
      if (!task || !isOpen(task.status)) {
        ended = true;
        return;
      }
      const left = await trx
        .selectFrom('transfer_task_entries')
        .select(sql<number>`count(*)`.as('n'))
        .where('task_id', '=', this.taskId)
        .where('state', 'in', [...OPEN_STATES])
        .executeTakeFirstOrThrow();
      if (Number(left.n) > 0) return;
      if (task.type === 'TRANSFER') await bumpCounters(trx, this.taskId, { subtasks_pending: -1, subtasks_succeeded: 1 });
      const details = {
        files: task.files,
        directories: task.directories,
        files_transferred: task.files_transferred,
        bytes_transferred: task.bytes_transferred,
      };
      await succeedTask(trx, this.taskId, Date.now(), JSON.stringify(details, null, 2));
      ended = true;
    });
    return ended ? null : 20;
  }
}
