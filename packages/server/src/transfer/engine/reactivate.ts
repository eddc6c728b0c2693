// What holds a task's authority (spec §15.1): a live Transfer grant of its owner and client whose consents cover its collections; a task without one is INACTIVE, and back to ACTIVE once there is one again.
import { sql } from 'kysely';
import type { Db, Store } from '../../store/db.ts';
import { fromJson, nowSeconds, toJson } from '../../store/db.ts';
import { TRANSFER_RS, type ScopeNode } from '../../auth/scopes.ts';
import { loadTarget, type DataTarget } from '../../data/access.ts';
import { appendEvent, isOpen, lockTask } from '../task-lifecycle.ts';
import { dataAccessToConsent } from '../live-consents.ts';
import type { TaskAuthority, TransferTaskRow } from '../task-tables.ts';

/** INACTIVE tasks looked at per pass. */
const PER_PASS = 50;
/** An owner's live grants of one client tried, newest first. */
const GRANTS_LOOKED_AT = 20;

/**
 * The newest live Transfer grant of the task's owner and client whose consents (with those recorded for
 * identity × client) cover the task's collections, or null: what a task's authority is held by. A task
 * whose grant is revoked continues with another such grant (the owner signed in elsewhere too, or again),
 * and is INACTIVE while there is none.
 */
export async function liveGrant(
  db: Db,
  authority: TaskAuthority,
  collections: { source_collection_id: string; destination_collection_id: string | null },
): Promise<string | null> {
  if (!authority.clientId) return null;
  const grants = await db
    .selectFrom('grants')
    .selectAll()
    .where('identity_id', '=', authority.identityId)
    .where('client_id', '=', authority.clientId)
    .where('resource_server', '=', TRANSFER_RS)
    .where('revoked_at', 'is', null)
    .orderBy('created_at', 'desc')
    .limit(GRANTS_LOOKED_AT)
    .execute();
  if (grants.length === 0) return null;
  const targets: DataTarget[] = [];
  for (const id of new Set([collections.source_collection_id, collections.destination_collection_id ?? collections.source_collection_id])) {
    const target = await loadTarget(db, id);
    if (target) targets.push(target);
  }
  const now = nowSeconds();
  for (const grant of grants) {
    const auth = {
      identityId: authority.identityId,
      identitySet: authority.identitySet,
      clientId: authority.clientId,
      resourceServer: TRANSFER_RS,
      scopes: fromJson<string[]>(grant.scopes, []),
      scopeTree: fromJson<ScopeNode[]>(grant.scope_tree, []),
      authenticatedAt: Number(grant.authenticated_at),
      grantId: grant.id,
      issuedAt: now,
      expiresAt: now,
    };
    if (!(await dataAccessToConsent(db, auth, targets))) return grant.id;
  }
  return null;
}

/**
 * Gives an open task another grant of its owner as its authority, under the task's row lock (several
 * processes may hold the same revoked grant in view); its status is the caller's to set. Returns the row
 * as locked, or undefined when the task is gone or no longer open.
 */
export async function adoptGrant(trx: Db, taskId: string, grantId: string): Promise<TransferTaskRow | undefined> {
  const task = await lockTask(trx, taskId);
  if (!task || !isOpen(task.status)) return undefined;
  const next: TaskAuthority = { ...fromJson<TaskAuthority>(task.authority, { identityId: '', identitySet: [] }), grantId };
  await trx
    .updateTable('transfer_tasks')
    .set({ authority: toJson(next) })
    .where('task_id', '=', taskId)
    .execute();
  return task;
}

class NotInactive extends Error {}

/**
 * Each INACTIVE task whose owner again holds a live grant that covers it (liveGrant: signed in again with
 * the same client and consented) takes that grant as its authority and becomes ACTIVE (event RESUMED); the
 * engine then leases it and works it where it stopped. Returns the ids of the tasks resumed.
 */
export async function reactivateTasks(store: Store): Promise<string[]> {
  const inactive = await store.db
    .selectFrom('transfer_tasks')
    .select(['task_id', 'authority', 'source_collection_id', 'destination_collection_id'])
    .where('status', '=', 'INACTIVE')
    .orderBy('requested_at')
    .limit(PER_PASS)
    .execute();
  const resumed: string[] = [];
  for (const task of inactive) {
    const authority = fromJson<TaskAuthority | null>(task.authority, null);
    const grant = authority && (await liveGrant(store.db, authority, task));
    if (!grant) continue;
    const done = await store
      .tx(async (trx) => {
        const locked = await adoptGrant(trx, task.task_id, grant);
        if (locked?.status !== 'INACTIVE') throw new NotInactive();
        await trx
          .updateTable('transfer_tasks')
          .set({ status: 'ACTIVE', revision: sql`revision + 1` })
          .where('task_id', '=', task.task_id)
          .execute();
        await appendEvent(
          trx,
          task.task_id,
          { code: 'RESUMED', description: 'resumed', details: 'The owner consented again: the task continues with the new consent', is_error: false },
          Date.now(),
        );
        return true;
      })
      // Resumed or ended meanwhile: the authority written above is rolled back with it.
      .catch((error: unknown) => {
        if (error instanceof NotInactive) return false;
        throw error;
      });
    if (done) resumed.push(task.task_id);
  }
  return resumed;
}
