// The sharing_policy#1.0.0 document.
import type { SharingPolicy } from '../sharing-policy-repo.ts';
import { DT } from '../constants.ts';

export function sharingPolicyDocument(p: SharingPolicy) {
  return {
    DATA_TYPE: DT.sharingPolicy,
    id: p.row.id,
    collection_id: p.row.collection_id,
    users: p.users,
    sharing_restrict_paths: { DATA_TYPE: 'path_restrictions#1.0.0', ...(p.sharing_restrict_paths ?? {}) },
  };
}
