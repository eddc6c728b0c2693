// Group principals: the groups in which any of an identity set is an active member.
import type { Db } from '../store/db.ts';
import { cached, type CacheSpec } from '../store/cache.ts';

// groups too: deleting a group removes its memberships by cascade, which no statement names.
const ACTIVE_GROUPS_CACHE: CacheSpec = { name: 'active-groups', tables: ['group_memberships', 'groups'], max: 10_000 };

/**
 * Used by every authorization decision that accepts group principals (GCS roles, access rules, policies).
 * Only explicit `active` memberships count, of any role: as in Globus Groups, being a member of a
 * subgroup does not make one a member of its parent (semantics.md §1).
 */
export async function activeGroupIds(db: Db, identityIds: string[]): Promise<string[]> {
  if (identityIds.length === 0) return [];
  return cached(db, ACTIVE_GROUPS_CACHE, identityIds.join(' '), () => loadActiveGroupIds(db, identityIds));
}

async function loadActiveGroupIds(db: Db, identityIds: string[]): Promise<string[]> {
  const rows = await db
    .selectFrom('group_memberships')
    .select('group_id')
    .distinct()
    .where('identity_id', 'in', identityIds)
    .where('status', '=', 'active')
    .orderBy('group_id')
    .execute();
  return rows.map((r) => r.group_id);
}
