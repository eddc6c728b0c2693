// The server's administrators as Auth's policy routes see them: holders of the endpoint owner or administrator role (directly or through a group).
import type { Db } from '../store/db.ts';
import type { AuthContext } from '../auth/tokens.ts';
import { principalUrns } from '../authz/principals.ts';
import { canManageEndpoint, rolesHeld } from '../authz/gcs.ts';
import { loadPrincipals } from '../groups/principals.ts';
import { allRoleAssignments } from './role-repo.ts';
import { loadEndpoint } from './endpoint-repo.ts';

export async function isServerAdmin(db: Db, auth: AuthContext): Promise<boolean> {
  if (!(await db.selectFrom('endpoints').select('id').executeTakeFirst())) return false;
  const endpoint = await loadEndpoint(db);
  const principals = await loadPrincipals(db, auth);
  const held = rolesHeld(await allRoleAssignments(db, endpoint, { principals: principalUrns(principals), collectionId: null }), principals);
  return canManageEndpoint(held).allowed;
}
