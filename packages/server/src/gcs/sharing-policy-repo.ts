// Sharing policies: rows as domain objects, and a mapped collection's policies.
import type { Db } from '../store/db.ts';
import { fromJson } from '../store/db.ts';
import type { PathRestrictions } from '../authz/paths.ts';
import type { SharingPolicyRow } from './tables.ts';

export interface SharingPolicy {
  row: SharingPolicyRow;
  users: string[] | null;
  sharing_restrict_paths: PathRestrictions | null;
}

export function toSharingPolicy(row: SharingPolicyRow): SharingPolicy {
  const doc = fromJson<{ users?: string[] | null; sharing_restrict_paths?: PathRestrictions | null }>(row.document, {});
  return { row, users: doc.users ?? null, sharing_restrict_paths: doc.sharing_restrict_paths ?? null };
}

export async function sharingPoliciesOf(db: Db, collectionId: string): Promise<SharingPolicy[]> {
  return (await db.selectFrom('sharing_policies').selectAll().where('collection_id', '=', collectionId).orderBy('id').execute()).map(toSharingPolicy);
}
