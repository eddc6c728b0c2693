// A Transfer caller's consents as they stand now: the token's own tree plus what identity × client has consented to since (see auth/consents.ts consentedTrees), and which data_access consents a task's collections still lack.
import type { Db } from '../store/db.ts';
import type { AuthContext } from '../auth/tokens.ts';
import { consentedTrees } from '../auth/consents.ts';
import { dataAccessScope, hasDependency, needsDataAccess } from '../authz/data.ts';
import type { DataTarget } from '../data/access.ts';

/** `auth` with its scope tree widened by the consents recorded for its identity and client under its root scopes. */
export async function withLiveConsents(db: Db, auth: AuthContext): Promise<AuthContext> {
  const consented = await consentedTrees(db, auth.identityId, auth.clientId, auth.scopes);
  return consented.length ? { ...auth, scopeTree: [...auth.scopeTree, ...consented] } : auth;
}

/**
 * Null when `auth` holds the data_access consent of every collection that needs one (each non-high-assurance
 * mapped collection), counting consents recorded since its token was issued (globus-cli's consent retry
 * resends the same token); else the scopes a ConsentRequired must name: all of them, even one already
 * consented, so that consenting once yields a token for both sides.
 */
export async function dataAccessToConsent(db: Db, auth: AuthContext, targets: DataTarget[]): Promise<string[] | null> {
  const needed = [...new Set(targets.filter((t) => needsDataAccess(t.collection.row.collection_type, t.highAssurance)).map((t) => t.collection.row.id))];
  const scopes = needed.map(dataAccessScope);
  if (scopes.every((s) => hasDependency(auth.scopeTree, s))) return null;
  const live = await withLiveConsents(db, auth);
  return scopes.every((s) => hasDependency(live.scopeTree, s)) ? null : scopes;
}
