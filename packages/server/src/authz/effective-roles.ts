// The caller's effective Transfer roles on the GCS endpoint or one of its collections, derived from the GCS roles it holds (spec transfer-tasks.md §13.1).
import type { CollectionRef, RoleAssignment } from './gcs.ts';

/** Transfer's role names, strongest first: the order `my_effective_roles` lists them in. */
export const TRANSFER_ROLES = ['administrator', 'access_manager', 'activity_manager', 'activity_monitor'] as const;
export type TransferRole = (typeof TRANSFER_ROLES)[number];

/** What each GCS role grants in Transfer terms: administrator ⊇ every role, activity_manager ⊇ activity_monitor. */
const IMPLIES: Record<string, readonly TransferRole[]> = {
  owner: TRANSFER_ROLES,
  administrator: TRANSFER_ROLES,
  access_manager: ['access_manager'],
  activity_manager: ['activity_manager', 'activity_monitor'],
  activity_monitor: ['activity_monitor'],
};

function granted(roles: Iterable<string>): TransferRole[] {
  const out = new Set<TransferRole>();
  for (const role of roles) for (const r of IMPLIES[role] ?? []) out.add(r);
  return TRANSFER_ROLES.filter((r) => out.has(r));
}

/**
 * Effective roles on a collection (`null`: the endpoint itself). Endpoint roles count on every
 * collection; a collection role counts on that collection and, held on a mapped collection, on its guests.
 */
export function effectiveRoles(held: readonly RoleAssignment[], collection: Pick<CollectionRef, 'id' | 'mapped_collection_id'> | null): TransferRole[] {
  const roles: string[] = held.filter((a) => a.collection_id === null).map((a) => a.role);
  if (collection) {
    const scopes = [collection.id, collection.mapped_collection_id].filter((id): id is string => id !== null);
    roles.push(...held.filter((a) => a.collection_id !== null && scopes.includes(a.collection_id)).map((a) => a.role));
  }
  return granted(roles);
}

/** Whether the caller holds at least `role` (by implication) there. */
export function hasEffectiveRole(
  held: readonly RoleAssignment[],
  collection: Pick<CollectionRef, 'id' | 'mapped_collection_id'> | null,
  role: TransferRole,
): boolean {
  return effectiveRoles(held, collection).includes(role);
}
