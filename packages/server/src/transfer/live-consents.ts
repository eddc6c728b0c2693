// A Transfer caller's consents as they stand now: the token's own tree plus what identity × client has consented to since (see auth/consents.ts consentedTrees).
import type { Db } from '../store/db.ts';
import type { AuthContext } from '../auth/tokens.ts';
import { consentedTrees } from '../auth/consents.ts';

/** `auth` with its scope tree widened by the consents recorded for its identity and client under its root scopes. */
export async function withLiveConsents(db: Db, auth: AuthContext): Promise<AuthContext> {
  const consented = await consentedTrees(db, auth.identityId, auth.clientId, auth.scopes);
  return consented.length ? { ...auth, scopeTree: [...auth.scopeTree, ...consented] } : auth;
}
