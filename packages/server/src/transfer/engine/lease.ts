// Leases on tasks: which process works which task. A lease is taken in one transaction (PostgreSQL: FOR UPDATE SKIP LOCKED under an advisory lock that makes the per-owner limit exact; SQLite: the immediate transaction), renewed by heartbeat, and taken over once it lapses.
import { sql } from 'kysely';
import type { Store } from '../../store/db.ts';
import type { TaskStatus, TaskType, TransferTaskRow } from '../task-tables.ts';

/** Tasks of one owner worked at a time, per type (spec §15.2); the rest wait as Queued. */
export const PER_OWNER_LIMIT = 3;
const CANDIDATES = 100;

export interface LeaseRequest {
  owner: string;
  now: number;
  leaseMs: number;
  /** how many more tasks this process may take */
  slots: number;
  perOwner?: number;
  /** tasks this process already works (never leased twice) */
  held?: string[];
}

/**
 * Leases up to `slots` runnable tasks (ACTIVE, not paused, lease absent or lapsed), oldest first, so that
 * no owner has more than three tasks of a type under a live lease across all processes.
 */
export async function leaseTasks(store: Store, request: LeaseRequest): Promise<TransferTaskRow[]> {
  if (request.slots <= 0) return [];
  const limit = request.perOwner ?? PER_OWNER_LIMIT;
  return store.tx(async (trx) => {
    await store.lockInTransaction(trx, 'transfer-task-lease');
    let query = trx
      .selectFrom('transfer_tasks')
      .selectAll()
      .where('status', '=', 'ACTIVE')
      .where('is_paused', '=', 0)
      .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', request.now)]))
      .orderBy('requested_at')
      .orderBy('task_id')
      .limit(CANDIDATES);
    if (request.held?.length) query = query.where('task_id', 'not in', request.held);
    if (store.dialect === 'postgres') query = query.forUpdate().skipLocked();
    const candidates = await query.execute();
    if (candidates.length === 0) return [];
    const owners = [...new Set(candidates.map((c) => c.owner_id))];
    const live = await trx
      .selectFrom('transfer_tasks')
      .select(['owner_id', 'type', sql<number>`count(*)`.as('n')])
      .where('status', '=', 'ACTIVE')
      .where('lease_expires_at', '>=', request.now)
      .where('owner_id', 'in', owners)
      .groupBy(['owner_id', 'type'])
      .execute();
    const running = new Map<string, number>(live.map((r) => [`${r.owner_id} ${r.type}`, Number(r.n)]));
    const chosen: TransferTaskRow[] = [];
    for (const task of candidates) {
      if (chosen.length >= request.slots) break;
      const key = `${task.owner_id} ${task.type}`;
      const n = running.get(key) ?? 0;
      if (n >= limit) continue;
      running.set(key, n + 1);
      chosen.push(task);
    }
    if (chosen.length === 0) return [];
    const expires = request.now + request.leaseMs;
    await trx
      .updateTable('transfer_tasks')
      .set({ lease_owner: request.owner, lease_expires_at: expires })
      .where(
        'task_id',
        'in',
        chosen.map((t) => t.task_id),
      )
      .execute();
    return chosen.map((t) => ({ ...t, lease_owner: request.owner, lease_expires_at: expires }));
  });
}

export interface HeldState {
  task_id: string;
  status: TaskStatus;
  type: TaskType;
  revision: number;
  is_paused: number;
  deadline_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
}

/** What the engine watches of the tasks it holds (every 500 ms), optionally renewing their leases first. */
export async function watchHeld(store: Store, owner: string, taskIds: string[], renew: { now: number; leaseMs: number } | null): Promise<HeldState[]> {
  if (taskIds.length === 0) return [];
  if (renew) {
    await store.db
      .updateTable('transfer_tasks')
      .set({ lease_expires_at: renew.now + renew.leaseMs })
      .where('task_id', 'in', taskIds)
      .where('lease_owner', '=', owner)
      .where('status', 'in', ['ACTIVE', 'INACTIVE'])
      .execute();
  }
  return store.db
    .selectFrom('transfer_tasks')
    .select(['task_id', 'status', 'type', 'revision', 'is_paused', 'deadline_at', 'lease_owner', 'lease_expires_at'])
    .where('task_id', 'in', taskIds)
    .execute();
}

/** Gives a task back (pause, shutdown, inactive): another process, or this one, may lease it at once. */
export async function releaseLease(store: Store, owner: string, taskId: string): Promise<void> {
  await store.db
    .updateTable('transfer_tasks')
    .set({ lease_owner: null, lease_expires_at: null })
    .where('task_id', '=', taskId)
    .where('lease_owner', '=', owner)
    .execute();
}
