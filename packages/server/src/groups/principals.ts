// Loads a caller's principals for authz/: the token's identity set and the groups any of them is an active member of.
import type { Db } from '../store/db.ts';
import type { AuthContext } from '../auth/tokens.ts';
import { ANONYMOUS, type Principals } from '../authz/principals.ts';
import { activeGroupIds } from './membership-lookup.ts';

export async function loadPrincipals(db: Db, auth: AuthContext | undefined): Promise<Principals> {
  if (!auth) return ANONYMOUS;
  return { identities: auth.identitySet, groups: await activeGroupIds(db, auth.identitySet) };
}
