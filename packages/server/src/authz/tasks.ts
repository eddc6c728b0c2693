// Who may see and manage which Transfer task, as pure functions: the owner on the task routes; GCS roles on the task's collections on the endpoint-manager routes (spec transfer-tasks.md §4.4, §13.1).
import type { AuthContext } from '../auth/tokens.ts';
import type { RoleAssignment } from './gcs.ts';
import { hasEffectiveRole, type TransferRole } from './effective-roles.ts';

/** The task routes show a task only to the identity that owns it, as the caller's primary identity (§0.1, §15.12). */
export function mayOwnTask(auth: Pick<AuthContext, 'identityId'>, task: { owner_id: string }): boolean {
  return task.owner_id === auth.identityId;
}

/** A task's collection as the role decision sees it. */
export interface TaskCollection {
  id: string;
  /** a guest's mapped collection: roles on it cover the guest */
  mapped_collection_id: string | null;
}

export type TaskNeed = 'monitor' | 'manage';
const NEEDED: Record<TaskNeed, TransferRole> = { monitor: 'activity_monitor', manage: 'activity_manager' };

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
  // A collection that no longer exists is covered by the endpoint's roles only.
  const enough = (c: TaskCollection | undefined | null) => c !== null && hasEffectiveRole(held, c ?? null, NEEDED[need]);
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
  if (hasEffectiveRole(held, null, NEEDED[need])) return { all: true };
  return { all: false, ids: collections.filter((c) => hasEffectiveRole(held, c, NEEDED[need])).map((c) => c.id) };
}

/** An admin cancel's status is shown only to the identity that made it (§13.1). */
export function mayReadAdminCancel(auth: Pick<AuthContext, 'identitySet'>, cancel: { created_by: string }): boolean {
  return auth.identitySet.includes(cancel.created_by);
}
