// The role#1.0.0 document.
import type { RoleAssignment } from '../../authz/gcs.ts';
import { DT } from '../constants.ts';

export function roleDocument(role: RoleAssignment) {
  return { DATA_TYPE: DT.role, id: role.id, collection: role.collection_id, principal: role.principal, role: role.role };
}
