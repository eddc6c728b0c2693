// Who may see and manage which Transfer task, as pure functions: the owner on the task routes; GCS roles on the task's collections on the endpoint-manager routes (spec transfer-tasks.md §4.4, §13.1).
import type { AuthContext } from '../auth/tokens.ts';
import type { RoleAssignment } from './gcs.ts';

/** The task routes show a task only to the identity that owns it, as the caller's primary identity (§0.1, §15.12). */
export function mayOwnTask(auth: Pick<AuthContext, 'identityId'>, task: { owner_id: string }): boolean {
  return task.owner_id === auth.identityId;
}

/** Transfer's effective roles on a collection, each including the ones below it. */
export type TaskRole = 'none' | 'activity_monitor' | 'activity_manager' | 'administrator';
const RANK: Record<TaskRole, number> = { none: 0, activity_monitor: 1, activity_manager: 2, administrator: 3 };

/** What a role assignment is worth on the endpoint-manager routes; other roles (access_manager, …) give none. */
const ROLE_OF: Record<string, TaskRole> = {
  owner: 'administrator',
  administrator: 'administrator',
  activity_manager: 'activity_manager',
  activity_monitor: 'activity_monitor',
};

/** A task's collection as the role decision sees it. */
export interface TaskCollection {
  id: string;
  /** a guest's mapped collection: roles on it cover the guest */
  mapped_collection_id: string | null;
}

/**
 * The caller's effective role on a collection (§13.1): an endpoint-wide role covers every collection of the
 * endpoint (administrator and owner ⇒ administrator); a collection role covers that collection, and a role
 * on a mapped collection covers its guest collections too. `held` are the caller's assignments, group
 * principals included.
 */
export function effectiveTaskRole(held: readonly RoleAssignment[], collection: TaskCollection | undefined): TaskRole {
  let best: TaskRole = 'none';
  for (const a of held) {
    const role = ROLE_OF[a.role];
    if (!role) continue;
    const covers =
      a.collection_id === null || (collection !== undefined && (a.collection_id === collection.id || a.collection_id === collection.mapped_collection_id));
    if (covers && RANK[role] > RANK[best]) best = role;
  }
  return best;
}

export type TaskNeed = 'monitor' | 'manage';
const NEEDED: Record<TaskNeed, TaskRole> = { monitor: 'activity_monitor', manage: 'activity_manager' };

export interface TaskSides {
  source: TaskCollection | undefined;
  /** null for a DELETE task */
  destination: TaskCollection | undefined | null;
}

/** On which side(s) of a task the caller holds at least the role `need` asks for. */
export interface ManagerDecision {
  allowed: boolean;
  source: boolean;
  destination: boolean;
}

/**
 * Whether the caller may see (`monitor`: activity_monitor) or act on (`manage`: activity_manager) a task on
 * the endpoint-manager routes: the role on its source or its destination collection. Owning the task counts
 * for nothing here (§13.1: 403 also for the task's own submitter).
 */
export function decideTaskManager(held: readonly RoleAssignment[], task: TaskSides, need: TaskNeed): ManagerDecision {
  const enough = (c: TaskCollection | undefined | null) => c !== null && RANK[effectiveTaskRole(held, c ?? undefined)] >= RANK[NEEDED[need]];
  const source = enough(task.source);
  const destination = enough(task.destination);
  return { allowed: source || destination, source, destination };
}

/** The `canceled_by_admin` of an admin cancel: the side(s) whose role authorised it (§13.6). */
export function canceledBySide(decision: ManagerDecision): 'SOURCE' | 'DESTINATION' | 'BOTH' {
  if (decision.source && decision.destination) return 'BOTH';
  return decision.source ? 'SOURCE' : 'DESTINATION';
}

/**
 * The collections on which the caller has at least `need`, for listing (endpoint_manager/task_list):
 * `all` when an endpoint-wide role covers every collection, else the ids of `collections` it covers.
 */
export function managedCollections(
  held: readonly RoleAssignment[],
  collections: readonly TaskCollection[],
  need: TaskNeed,
): { all: true } | { all: false; ids: string[] } {
  const endpointWide = held.some((a) => a.collection_id === null && RANK[ROLE_OF[a.role] ?? 'none'] >= RANK[NEEDED[need]]);
  if (endpointWide) return { all: true };
  return { all: false, ids: collections.filter((c) => RANK[effectiveTaskRole(held, c)] >= RANK[NEEDED[need]]).map((c) => c.id) };
}

/** An admin cancel's status is shown only to the identity that made it (§13.1). */
export function mayReadAdminCancel(auth: Pick<AuthContext, 'identitySet'>, cancel: { created_by: string }): boolean {
  return auth.identitySet.includes(cancel.created_by);
}
