// The Transfer task engine of one server process: leases runnable tasks, works several at once, watches the ones it holds (cancel, pause, deadline, lease, revoked consent) and sweeps what ended tasks leave.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { ServiceContext } from '../../context.ts';
import { appendEvent, failTask, isOpen, lockTask } from '../task-lifecycle.ts';
import { leaseTasks, releaseLease, watchHeld, type HeldState } from './lease.ts';
import { TaskRun, type StopReason } from './task-run.ts';
import { sweepTemps } from './temps.ts';
import { registerEngine, unregisterEngine } from './wake.ts';
import { adoptGrant, liveGrant, reactivateTasks } from './reactivate.ts';

export interface EngineSettings {
  /** tasks this process works at once */
  tasksPerProcess: number;
  /** entries (files) of one task in flight at once */
  filesPerTask: number;
  /** how long a lease holds without a heartbeat: a killed process's tasks are taken over after it */
  leaseMs: number;
}

/** How often other processes' submissions are looked for; in-process submissions wake the engine at once. */
const POLL_MS = 1000;
/** Held tasks are re-read this often, so a cancel or pause stops their work well within 2 s. */
const WATCH_MS = 250;
const SWEEP_MS = 5000;
/** A revoked consent behind a held task is noticed within this time. */
const GRANT_CHECK_MS = 2000;
const QUEUED_EXTENSION_MS = 24 * 3_600_000;

type Log = { warn(obj: unknown, msg: string): void; error(obj: unknown, msg: string): void };

export class TaskEngine {
  /** this process's lease owner id */
  readonly id = `${process.pid}-${randomUUID()}`;
  private readonly runs = new Map<string, { run: TaskRun; done: Promise<void> }>();
  private pollTimer: NodeJS.Timeout | undefined;
  private watchTimer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private again = false;
  private watching: Promise<void> | undefined;
  private lastRenew = 0;
  private lastGrantCheck = 0;
  private lastReactivation = 0;
  private lastSweep = 0;
  private lastExtension = 0;
  private closed = false;
  private readonly ctx: ServiceContext;
  private readonly settings: EngineSettings;
  private readonly log: Log;

  constructor(ctx: ServiceContext, settings: EngineSettings, log: Log) {
    this.ctx = ctx;
    this.settings = settings;
    this.log = log;
  }

  start(): void {
    registerEngine(this.ctx.store, () => this.wake());
    this.pollTimer = setInterval(() => this.wake(), POLL_MS);
    this.pollTimer.unref();
    this.watchTimer = setInterval(() => this.watch(), WATCH_MS);
    this.watchTimer.unref();
    this.wake();
  }

  /** Stops leasing, aborts the work in flight and gives every held task back, so another process takes it at once. */
  async stop(): Promise<void> {
    this.closed = true;
    unregisterEngine(this.ctx.store);
    clearInterval(this.pollTimer);
    clearInterval(this.watchTimer);
    for (const { run } of this.runs.values()) run.stop('closing');
    await Promise.allSettled([this.ticking, this.watching, ...[...this.runs.values()].map((r) => r.done)]);
  }

  /** Looks for work now (a submission in this process, a finished run, the poll). */
  wake(): void {
    if (this.closed) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = this.tick()
      .catch((err) => this.log.error({ err }, 'task engine pass failed'))
      .finally(() => {
        this.ticking = undefined;
        if (this.again && !this.closed) {
          this.again = false;
          this.wake();
        }
      });
  }

  private server(): string {
    try {
      return new URL(this.ctx.config.publicUrl).host;
    } catch {
      return this.ctx.config.publicUrl;
    }
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    await this.expireDue(now);
    if (now - this.lastExtension > 60_000) {
      this.lastExtension = now;
      await this.extendQueued(now);
    }
    if (now - this.lastReactivation >= GRANT_CHECK_MS) {
      this.lastReactivation = now;
      // A resumed task is ACTIVE with no lease: leased below like any other.
      await reactivateTasks(this.ctx.store).catch((err) => this.log.warn({ err }, 'resuming INACTIVE tasks failed'));
    }
    if (now - this.lastSweep > SWEEP_MS) {
      this.lastSweep = now;
      await sweepTemps(this.ctx).catch((err) => this.log.warn({ err }, 'temp file sweep failed'));
    }
    const slots = this.settings.tasksPerProcess - this.runs.size;
    if (slots <= 0 || this.closed) return;
    const leased = await leaseTasks(this.ctx.store, { owner: this.id, now, leaseMs: this.settings.leaseMs, slots, held: [...this.runs.keys()] });
    for (const task of leased) {
      if (this.closed) {
        await releaseLease(this.ctx.store, this.id, task.task_id);
        continue;
      }
      const run = new TaskRun({ ctx: this.ctx, filesInFlight: this.settings.filesPerTask, server: this.server(), log: this.log }, task);
      const done = run.run().finally(() => this.finished(run));
      this.runs.set(task.task_id, { run, done });
    }
  }

  private async finished(run: TaskRun): Promise<void> {
    this.runs.delete(run.taskId);
    const reason: StopReason | null = run.stopped;
    try {
      if (reason === 'ended' || reason === null) await sweepTemps(this.ctx, run.taskId);
      if (reason !== 'lost' && reason !== 'ended') await releaseLease(this.ctx.store, this.id, run.taskId);
    } catch (err) {
      this.log.warn({ err, task: run.taskId }, 'could not clean up after a task');
    }
    this.wake();
  }

  /** Open tasks past their deadline that nobody else holds become FAILED (EXPIRED); held ones are expired by watch. */
  private async expireDue(now: number): Promise<void> {
    const due = await this.ctx.store.db
      .selectFrom('transfer_tasks')
      .select('task_id')
      .where('status', 'in', ['ACTIVE', 'INACTIVE'])
      .where('deadline_at', '<=', now)
      .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now), eb('lease_owner', '=', this.id)]))
      .limit(50)
      .execute();
    for (const { task_id } of due) await this.expire(task_id, now);
  }

  private async expire(taskId: string, now: number): Promise<void> {
    await this.ctx.store.tx((trx) => failTask(trx, taskId, { kind: 'expired' }, now));
    this.runs.get(taskId)?.run.stop('ended');
  }

  /** A queued transfer without a deadline of its own and without an error for 24 h has its deadline kept 24 h away (spec §15.3). */
  private async extendQueued(now: number): Promise<void> {
    await this.ctx.store.db
      .updateTable('transfer_tasks')
      .set({ deadline_at: now + QUEUED_EXTENSION_MS })
      .where('status', '=', 'ACTIVE')
      .where('type', '=', 'TRANSFER')
      .where('deadline_fixed', '=', 0)
      .where('is_paused', '=', 0)
      .where('lease_owner', 'is', null)
      .where('deadline_at', '<', now + QUEUED_EXTENSION_MS)
      .where((eb) => eb.or([eb('nice_status_at', 'is', null), eb('nice_status_at', '<', now - QUEUED_EXTENSION_MS)]))
      .execute();
  }

  private watch(): void {
    if (this.watching || this.runs.size === 0) return;
    this.watching = this.watchOnce()
      .catch((err) => this.log.warn({ err }, 'task watch failed'))
      .finally(() => {
        this.watching = undefined;
      });
  }

  private async watchOnce(): Promise<void> {
    const now = Date.now();
    const renew = now - this.lastRenew >= this.settings.leaseMs / 3;
    if (renew) this.lastRenew = now;
    const ids = [...this.runs.keys()];
    const states = await watchHeld(this.ctx.store, this.id, ids, renew ? { now, leaseMs: this.settings.leaseMs } : null);
    const byId = new Map(states.map((s) => [s.task_id, s]));
    for (const id of ids) {
      const held = this.runs.get(id);
      if (!held) continue;
      const state = byId.get(id);
      const reason = state ? stopReason(state, this.id, now) : 'ended';
      if (reason === 'expire') await this.expire(id, now);
      else if (reason) held.run.stop(reason);
    }
    if (now - this.lastGrantCheck >= GRANT_CHECK_MS) {
      this.lastGrantCheck = now;
      await this.checkGrants(states);
    }
  }

  /** A task whose Auth grant was revoked cannot act for its owner any more: INACTIVE (spec §15.1) until someone intervenes. */
  private async checkGrants(states: HeldState[]): Promise<void> {
    const grants = new Map<string, string[]>();
    for (const s of states) {
      const grantId = this.runs.get(s.task_id)?.run.step.authority.grantId;
      if (grantId) grants.set(grantId, [...(grants.get(grantId) ?? []), s.task_id]);
    }
    if (grants.size === 0) return;
    const revoked = await this.ctx.store.db
      .selectFrom('grants')
      .select('id')
      .where('id', 'in', [...grants.keys()])
      .where('revoked_at', 'is not', null)
      .execute();
    for (const { id } of revoked) {
      for (const taskId of grants.get(id) ?? []) {
        const run = this.runs.get(taskId)?.run;
        // Another live grant of the owner that covers the task holds its authority as well: it goes on with that.
        const replacement = run ? await liveGrant(this.ctx.store.db, run.step.authority, run.task) : null;
        if (replacement) {
          await this.ctx.store.tx((trx) => adoptGrant(trx, taskId, replacement));
          run!.adoptGrant(replacement);
          continue;
        }
        await this.ctx.store.tx(async (trx) => {
          const task = await lockTask(trx, taskId);
          if (!task || task.status !== 'ACTIVE') return;
          await trx
            .updateTable('transfer_tasks')
            .set({ status: 'INACTIVE', lease_owner: null, lease_expires_at: null, revision: sql`revision + 1` })
            .where('task_id', '=', taskId)
            .execute();
          await appendEvent(
            trx,
            taskId,
            { code: 'INACTIVE', description: 'inactive', details: 'The consent this task was submitted with has been revoked', is_error: true },
            Date.now(),
          );
        });
        this.runs.get(taskId)?.run.stop('inactive');
      }
    }
  }
}

function stopReason(state: HeldState, owner: string, now: number): StopReason | 'expire' | null {
  if (!isOpen(state.status)) return 'ended';
  if (state.deadline_at <= now) return 'expire';
  if (state.status === 'INACTIVE') return 'inactive';
  if (state.is_paused === 1) return 'paused';
  if (state.lease_owner !== owner) return 'lost';
  return null;
}
