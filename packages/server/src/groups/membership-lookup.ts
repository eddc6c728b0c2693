// Group principals: the groups in which any of an identity set is an active member.
import type { Db } from '../store/db.ts';

/** Used by every authorization decision that accepts group principals (GCS roles, access rules, policies). */
export async function activeGroupIds(_db: Db, _identityIds: string[]): Promise<string[]> {
  return [];
}
