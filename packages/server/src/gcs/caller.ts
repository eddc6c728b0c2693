// Who is calling the Manager API: token check for the endpoint, principals, held roles, and identity documents for mapping.
import type { FastifyRequest } from 'fastify';
import type { Db } from '../store/db.ts';
import type { AuthContext } from '../auth/tokens.ts';
import type { CallerPolicy } from '../auth/request-caller.ts';
import { findByIds } from '../auth/identities.ts';
import { ANONYMOUS, principalUrns, type Principals } from '../authz/principals.ts';
import { loadPrincipals } from '../groups/principals.ts';
import {
  canViewEndpoint,
  gatewayAccounts,
  gatewayAllowsAny,
  gatewayUsesGroups,
  mappedUsernames,
  rolesHeld,
  type Account,
  type AccountGroups,
  type Decision,
  type GatewayPolicy,
  type RoleAssignment,
} from '../authz/gcs.ts';
import type { MappableIdentity } from '../authz/mapping.ts';
import { gcsError, missingRole } from './envelope.ts';
import { rolesOfPrincipals } from './role-repo.ts';
import { loadEndpoint, type Endpoint } from './endpoint-repo.ts';
import { toGateway, type Gateway } from './gateway-repo.ts';
import { accountGroupsCache } from './posix-accounts.ts';
import { holdsAccessRuleOnEndpoint } from './access-rules-lookup.ts';

export interface Caller {
  auth?: AuthContext;
  principals: Principals;
  /** roles held directly or through a group */
  held: RoleAssignment[];
  endpoint: Endpoint;
  /** identity documents of the identity set, as mapping input */
  identities(): Promise<MappableIdentity[]>;
  /** POSIX groups of local accounts, looked up once per request */
  accountGroups(usernames: string[]): Promise<AccountGroups>;
}

export function manageScope(endpointId: string): string {
  return `urn:globus:auth:scope:${endpointId}:manage_collections`;
}

/**
 * Callers of the Manager API: a token for this endpoint (its id is the resource server) with the
 * manage_collections scope, identified before the body is read (auth/request-caller.ts).
 */
export const GCS_CALLER: CallerPolicy = {
  required: true,
  resourceServers: async (db) => [(await loadEndpoint(db)).id],
  check: (auth) => {
    const scope = manageScope(auth.resourceServer);
    return auth.scopes.includes(scope)
      ? undefined
      : gcsError(401, 'Token lacks the required scope', { DATA_TYPE: 'missing_required_scopes#1.0.0', required_scopes: [scope] });
  },
};

/** The routes that show public documents to anonymous callers too (a present token must still be good). */
export const GCS_VIEWER: CallerPolicy = { ...GCS_CALLER, required: false };

/**
 * Loads what authorization needs about the request's caller (identified by the GCS_CALLER policy, or
 * GCS_VIEWER where anonymous callers are served). `lockEndpoint`: the endpoint record is read for
 * update, for routes that write it back (store/locking.ts).
 */
export async function loadCaller(db: Db, request: FastifyRequest, options: { lockEndpoint?: boolean } = {}): Promise<Caller> {
  const endpoint = await loadEndpoint(db, { forUpdate: options.lockEndpoint === true });
  return callerFor(db, endpoint, request.caller.auth);
}

/** The caller behind an already verified token (any resource server: Transfer reuses GCS visibility). */
export async function callerFor(db: Db, endpoint: Endpoint, auth: AuthContext | undefined): Promise<Caller> {
  const principals = auth ? await loadPrincipals(db, auth) : ANONYMOUS;
  const urns = principalUrns(principals);
  const held = urns.length ? rolesHeld(await rolesOfPrincipals(db, endpoint, urns), principals) : [];
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
    accountGroups: accountGroupsCache(),
  };
}

/** Groups of the accounts the caller maps to on a gateway, looked up only when its policies name groups. */
async function callerAccountGroups(caller: Caller, gateway: GatewayPolicy): Promise<AccountGroups> {
  if (!gatewayUsesGroups(gateway)) return new Map();
  return caller.accountGroups(mappedUsernames(gateway, await caller.identities()));
}

/** The caller's usable accounts on a gateway (after username and POSIX group filters). */
export async function callerAccounts(caller: Caller, gateway: Gateway): Promise<Account[]> {
  if (!caller.auth) return [];
  return gatewayAccounts(gateway.policy, await caller.identities(), await callerAccountGroups(caller, gateway.policy));
}

/** The StorageGatewayAuthorizer for one gateway. */
export async function gatewayAdmits(caller: Caller, gateway: Gateway): Promise<boolean> {
  if (!caller.auth) return false;
  return gatewayAllowsAny(gateway.policy, await caller.identities(), await callerAccountGroups(caller, gateway.policy));
}

/** Throws the missing_required_role error of a denied decision. */
export function enforce(decision: Decision): void {
  if (!decision.allowed) throw missingRole(decision.missing);
}

/** Whether some storage gateway on the endpoint accepts one of the caller's identities (the StorageGatewayAuthorizer). */
async function anyGatewayAllows(db: Db, caller: Caller): Promise<boolean> {
  if (!caller.auth) return false;
  for (const row of await db.selectFrom('storage_gateways').selectAll().execute()) if (await gatewayAdmits(caller, toGateway(row))) return true;
  return false;
}

/** Who may see the endpoint (and its nodes): the cheap facts first, the gateway policies and ACLs only when needed. */
export async function endpointVisibility(db: Db, caller: Caller): Promise<Decision> {
  const quick = canViewEndpoint({ held: caller.held, endpointPublic: caller.endpoint.public, gatewayAllowed: false, aclHolder: false });
  if (quick.allowed) return quick;
  const gatewayAllowed = await anyGatewayAllows(db, caller);
  return canViewEndpoint({
    held: caller.held,
    endpointPublic: false,
    gatewayAllowed,
    aclHolder: !gatewayAllowed && (await holdsAccessRuleOnEndpoint(db, caller.principals)),
  });
}

/** One of the caller's own identities, by id, or the GCS refusal that says it is not theirs (owner strings name one). */
export async function callerIdentity(caller: Caller, identityId: string): Promise<MappableIdentity> {
  const id = identityId.toLowerCase();
  const identity = (await caller.identities()).find((i) => i.id === id);
  if (!identity) throw gcsError(403, 'identity_id is not one of the caller identities', { DATA_TYPE: 'id_not_in_identity_set#1.0.0', id });
  return identity;
}
