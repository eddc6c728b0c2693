// Who is calling the Manager API: token check for the endpoint, principals, held roles, and identity documents for mapping.
import type { FastifyRequest } from 'fastify';
import type { Db } from '../store/db.ts';
import { bearerToken, verifyAccessToken, type AuthContext } from '../auth/tokens.ts';
import { findByIds } from '../auth/identities.ts';
import { ANONYMOUS, loadPrincipals, principalUrns, type Principals } from '../authz/principals.ts';
import { gatewayAllowsAny, rolesHeld, type Decision, type RoleAssignment } from '../authz/gcs.ts';
import type { MappableIdentity } from '../authz/mapping.ts';
import { gcsError, missingRole } from './envelope.ts';
import { allRoleAssignments, loadEndpoint, toGateway, type Endpoint } from './model.ts';

export interface Caller {
  auth?: AuthContext;
  principals: Principals;
  /** roles held directly or through a group */
  held: RoleAssignment[];
  endpoint: Endpoint;
  /** identity documents of the identity set, as mapping input */
  identities(): Promise<MappableIdentity[]>;
}

export function manageScope(endpointId: string): string {
  return `urn:globus:auth:scope:${endpointId}:manage_collections`;
}

async function authenticateManager(db: Db, request: FastifyRequest, endpointId: string, optional: boolean): Promise<AuthContext | undefined> {
  const token = bearerToken(request);
  if (token === undefined) {
    if (optional && !request.headers.authorization) return undefined;
    throw gcsError(401, 'Missing or malformed bearer token');
  }
  const auth = await verifyAccessToken(db, token);
  if (!auth) throw gcsError(401, 'Token is invalid, expired or revoked');
  const scope = manageScope(endpointId);
  if (auth.resourceServer !== endpointId || !auth.scopes.includes(scope)) {
    throw gcsError(401, 'Token lacks the required scope', { DATA_TYPE: 'missing_required_scopes#1.0.0', required_scopes: [scope] });
  }
  return auth;
}

/** Authenticates (anonymous allowed when `optional`) and loads what authorization needs. */
export async function loadCaller(db: Db, request: FastifyRequest, options: { optional?: boolean } = {}): Promise<Caller> {
  const endpoint = await loadEndpoint(db);
  return callerFor(db, endpoint, await authenticateManager(db, request, endpoint.id, options.optional === true));
}

/** The caller behind an already verified token (any resource server: Transfer reuses GCS visibility). */
export async function callerFor(db: Db, endpoint: Endpoint, auth: AuthContext | undefined): Promise<Caller> {
  const principals = auth ? await loadPrincipals(db, auth) : ANONYMOUS;
  const urns = principalUrns(principals);
  const held = urns.length ? rolesHeld(await allRoleAssignments(db, endpoint, { principals: urns }), principals) : [];
  let identities: MappableIdentity[] | undefined;
  return {
    auth,
    principals,
    held,
    endpoint,
    async identities() {
      identities ??= auth ? (await findByIds(db, auth.identitySet)).map((row) => ({ ...row, password_hash: undefined })) : [];
      return identities;
    },
  };
}

/** Throws the missing_required_role error of a denied decision. */
export function enforce(decision: Decision): void {
  if (!decision.allowed) throw missingRole(decision.missing);
}

/** Whether some storage gateway on the endpoint accepts one of the caller's identities (the StorageGatewayAuthorizer). */
export async function anyGatewayAllows(db: Db, caller: Caller): Promise<boolean> {
  if (!caller.auth) return false;
  const identities = await caller.identities();
  const rows = await db.selectFrom('storage_gateways').selectAll().execute();
  return rows.some((row) => gatewayAllowsAny(toGateway(row).policy, identities));
}
