// The authority a Transfer task's files are decided with: the submitter's TaskAuthority as the AuthContext the data-access decisions take.
import type { AuthContext } from '../auth/tokens.ts';
import type { TaskAuthority } from '../transfer/task-tables.ts';

const TRANSFER_RESOURCE_SERVER = 'transfer.api.globus.org';

/**
 * The AuthContext a task's file decisions are made with (read on the source, write on the destination),
 * `now` in seconds since the epoch. Authentication timeouts and session policies were checked when the
 * task was submitted, and a task may run for days: the session is taken as current (authenticated and
 * issued now), so every other rule — mapping, access rules, sharing and path restrictions — is what
 * decides, as it is at the moment each file is processed. No scopes: the data_access consent was checked
 * at submission, and the data plane's HTTPS scope checks do not apply to task I/O.
 */
export function taskAuthContext(authority: TaskAuthority, now: number): AuthContext {
  const identitySet = authority.identitySet.length ? authority.identitySet : [authority.identityId];
  return {
    identityId: authority.identityId ?? identitySet[0],
    identitySet,
    clientId: authority.clientId ?? '',
    resourceServer: TRANSFER_RESOURCE_SERVER,
    scopes: [],
    scopeTree: [],
    authenticatedAt: now,
    grantId: authority.grantId ?? '',
    issuedAt: now,
    expiresAt: now + 3600,
  };
}
