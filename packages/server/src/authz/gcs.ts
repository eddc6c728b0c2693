// GCS authorization as pure functions: role rules, storage-gateway identity policies, sharing rules, guest checks.
import { principalUrns, type Principals } from './principals.ts';
import { domainOfUsername, identityConsidered, mapIdentity, type MappableIdentity, type MappingGateway } from './mapping.ts';
import { atLeast, intersectAccess, pathAccess, type AccessLevel, type PathRestrictions } from './paths.ts';

export const ENDPOINT_ROLES = ['owner', 'administrator', 'activity_manager', 'activity_monitor'] as const;
export const COLLECTION_ROLES = ['administrator', 'access_manager', 'activity_manager', 'activity_monitor', 'access_monitor'] as const;
export const ALL_ROLES = ['owner', 'administrator', 'access_manager', 'activity_manager', 'activity_monitor', 'access_monitor'] as const;

export interface RoleAssignment {
  id: string;
  collection_id: string | null;
  principal: string;
  role: string;
  protected?: boolean;
}

/** What a role check needs to know about a collection. */
export interface CollectionRef {
  id: string;
  collection_type: 'mapped' | 'guest' | string;
  mapped_collection_id: string | null;
  storage_gateway_id: string;
  public: boolean;
  identity_id?: string;
}

export interface MissingRole {
  role: string;
  collection?: string;
}

/** Either allowed, or denied with every role that would have sufficed (the missing_required_role detail). */
export type Decision = { allowed: true } | { allowed: false; missing: MissingRole[] };

const ALLOW: Decision = { allowed: true };
const deny = (missing: MissingRole[]): Decision => ({ allowed: false, missing });

/** The role assignments held by a caller: directly by one of its identities or through a group. */
export function rolesHeld(assignments: RoleAssignment[], principals: Principals): RoleAssignment[] {
  const urns = new Set(principalUrns(principals));
  return assignments.filter((a) => urns.has(a.principal));
}

export function hasEndpointRole(held: RoleAssignment[], roles: readonly string[]): boolean {
  return held.some((a) => a.collection_id === null && roles.includes(a.role));
}

export function hasCollectionRole(held: RoleAssignment[], collectionId: string, roles: readonly string[]): boolean {
  return held.some((a) => a.collection_id === collectionId && roles.includes(a.role));
}

export function hasAnyRole(held: RoleAssignment[]): boolean {
  return held.length > 0;
}

function endpointRoleDecision(held: RoleAssignment[], roles: readonly string[]): Decision {
  return hasEndpointRole(held, roles) ? ALLOW : deny(roles.map((role) => ({ role })));
}

/** PUT/PATCH endpoint, owner; nodes and storage gateways writes; mapped collection create. */
export function canManageEndpoint(held: RoleAssignment[]): Decision {
  return endpointRoleDecision(held, ['owner', 'administrator']);
}

/** Endpoint owner_string / domain routes and endpoint role management: administrator only. */
export function canAdministerEndpoint(held: RoleAssignment[]): Decision {
  return endpointRoleDecision(held, ['administrator']);
}

/** User credentials: endpoint owners and administrators see every credential (include=all) and manage those on admin-managed gateways. */
export function isCredentialAdmin(held: RoleAssignment[]): boolean {
  return hasEndpointRole(held, ['owner', 'administrator']);
}

/**
 * Whether a caller may act on a user credential that belongs to `credentialIdentity`: their own, or, where
 * `adminMay` (reads, deletes, registering accounts on an admin-managed gateway), as an endpoint owner or administrator.
 */
export function mayActOnCredential(input: { identitySet: readonly string[]; held: RoleAssignment[]; credentialIdentity: string; adminMay: boolean }): boolean {
  return input.identitySet.includes(input.credentialIdentity) || (input.adminMay && isCredentialAdmin(input.held));
}

/** The endpoint: public, or any role, an identity some storage gateway accepts, or an ACL holder on one of its guests. */
export function canViewEndpoint(input: { held: RoleAssignment[]; endpointPublic: boolean; gatewayAllowed: boolean; aclHolder: boolean }): Decision {
  if (input.endpointPublic || hasAnyRole(input.held) || input.gatewayAllowed || input.aclHolder) return ALLOW;
  return deny([...ENDPOINT_ROLES.map((role) => ({ role }))]);
}

/** One storage gateway's public document: the endpoint view rule narrowed to identities that gateway accepts. */
export function canViewStorageGateway(input: {
  held: RoleAssignment[];
  endpointPublic: boolean;
  allowedByThisGateway: boolean;
  aclHolderOnThisGateway: boolean;
}): Decision {
  return canViewEndpoint({
    held: input.held,
    endpointPublic: input.endpointPublic,
    gatewayAllowed: input.allowedByThisGateway,
    aclHolder: input.aclHolderOnThisGateway,
  });
}

/** Private storage-gateway policies need an administrative endpoint role. */
export function canSeePrivateGatewayPolicies(held: RoleAssignment[]): boolean {
  return hasEndpointRole(held, ['owner', 'administrator']);
}

/** Administrator of a collection: ep owner/administrator or coll:administrator on it. */
export function canAdministerCollection(held: RoleAssignment[], collection: CollectionRef): Decision {
  if (hasEndpointRole(held, ['owner', 'administrator']) || hasCollectionRole(held, collection.id, ['administrator'])) return ALLOW;
  return deny([{ role: 'owner' }, { role: 'administrator' }, { role: 'administrator', collection: collection.id }]);
}

/**
 * Visibility of a collection document. `gatewayAllowed`: the caller has an identity the collection's
 * gateway accepts (counts for mapped collections only); `aclHolder`: a Transfer ACL on the guest.
 */
export function canViewCollection(input: {
  held: RoleAssignment[];
  collection: CollectionRef;
  endpointPublic: boolean;
  gatewayAllowed: boolean;
  aclHolder: boolean;
}): Decision {
  const { held, collection } = input;
  if (input.endpointPublic) return ALLOW;
  if (hasEndpointRole(held, ENDPOINT_ROLES)) return ALLOW;
  if (hasCollectionRole(held, collection.id, COLLECTION_ROLES)) return ALLOW;
  if (collection.mapped_collection_id && hasCollectionRole(held, collection.mapped_collection_id, ['administrator'])) return ALLOW;
  if (collection.collection_type === 'mapped' && input.gatewayAllowed) return ALLOW;
  if (collection.collection_type === 'guest' && input.aclHolder) return ALLOW;
  return deny([...ENDPOINT_ROLES.map((role) => ({ role })), ...COLLECTION_ROLES.map((role) => ({ role, collection: collection.id }))]);
}

/** `root_path` of a guest is shown only to administrators of both the guest and its mapped collection. */
export function canSeeGuestRootPath(held: RoleAssignment[], guest: CollectionRef): boolean {
  if (hasEndpointRole(held, ['owner', 'administrator'])) return true;
  return (
    hasCollectionRole(held, guest.id, ['administrator']) &&
    guest.mapped_collection_id !== null &&
    hasCollectionRole(held, guest.mapped_collection_id, ['administrator'])
  );
}

/** POST /api/roles: endpoint roles need ep:administrator; mapped ⇒ ep admin or its admin; guest ⇒ its admin. */
export function canCreateRole(held: RoleAssignment[], collection: CollectionRef | null): Decision {
  if (!collection) return canAdministerEndpoint(held);
  if (collection.collection_type === 'guest') {
    return hasCollectionRole(held, collection.id, ['administrator']) ? ALLOW : deny([{ role: 'administrator', collection: collection.id }]);
  }
  if (hasEndpointRole(held, ['administrator']) || hasCollectionRole(held, collection.id, ['administrator'])) return ALLOW;
  return deny([{ role: 'administrator' }, { role: 'administrator', collection: collection.id }]);
}

/** DELETE /api/roles/{id}: as create, and a mapped collection's administrators may also prune its guests' roles. */
export function canDeleteRole(held: RoleAssignment[], collection: CollectionRef | null): Decision {
  if (!collection) return canAdministerEndpoint(held);
  if (hasEndpointRole(held, ['administrator']) || hasCollectionRole(held, collection.id, ['administrator'])) return ALLOW;
  if (collection.mapped_collection_id && hasCollectionRole(held, collection.mapped_collection_id, ['administrator'])) return ALLOW;
  const missing: MissingRole[] = [{ role: 'administrator' }, { role: 'administrator', collection: collection.id }];
  if (collection.mapped_collection_id) missing.push({ role: 'administrator', collection: collection.mapped_collection_id });
  return deny(missing);
}

/** `include=all_roles`: administrator on the endpoint, on that collection, or on its mapped collection. */
export function canListAllRoles(held: RoleAssignment[], collection: CollectionRef | null): Decision {
  return canDeleteRole(held, collection);
}

/** A role is visible without `all_roles` only to its holders; with it, to those allowed by canListAllRoles. */
export function roleVisible(role: RoleAssignment, principals: Principals, held: RoleAssignment[], collection: CollectionRef | null): boolean {
  if (principalUrns(principals).includes(role.principal)) return true;
  return canListAllRoles(held, collection).allowed;
}

/** Role names allowed per scope: endpoint roles vs collection roles. */
export function roleValidFor(role: string, collectionScoped: boolean): boolean {
  return collectionScoped ? (COLLECTION_ROLES as readonly string[]).includes(role) : (ENDPOINT_ROLES as readonly string[]).includes(role);
}

/** Sharing policies of a mapped collection: ep owner/administrator or its coll:administrator. */
export function canManageSharingPolicies(held: RoleAssignment[], mapped: CollectionRef): Decision {
  return canAdministerCollection(held, mapped);
}

// ---------------------------------------------------------------------------------------------
// Storage gateway identity policies

export interface GatewayPolicy extends MappingGateway {
  users_allow?: string[] | null;
  users_deny?: string[] | null;
  policies?: { groups_allow?: string[] | null; groups_deny?: string[] | null; [k: string]: unknown } | null;
  authentication_timeout_mins?: number | null;
  high_assurance?: boolean;
  require_mfa?: boolean;
  restrict_paths?: PathRestrictions | null;
}

export interface Account {
  identity_id: string;
  username: string;
}

/** Allow/deny list pair: deny wins; an empty or absent allow list allows everyone. */
export function listAllows(value: string, allow: string[] | null | undefined, deny: string[] | null | undefined): boolean {
  if ((deny ?? []).includes(value)) return false;
  return !allow || allow.length === 0 || allow.includes(value);
}

/**
 * The gateway's username filters. POSIX group filters need the account's groups from the host user
 * database; `accountGroups` undefined means unknown, which passes only when no group filter is set.
 */
export function usernamePassesGateway(gateway: GatewayPolicy, username: string, accountGroups?: string[]): boolean {
  if (!listAllows(username, gateway.users_allow, gateway.users_deny)) return false;
  return groupsPass(gateway.policies?.groups_allow, gateway.policies?.groups_deny, accountGroups);
}

function groupsPass(allow: string[] | null | undefined, denyList: string[] | null | undefined, groups: string[] | undefined): boolean {
  const hasAllow = (allow ?? []).length > 0;
  const hasDeny = (denyList ?? []).length > 0;
  if (!hasAllow && !hasDeny) return true;
  if (groups === undefined) return !hasAllow && !hasDeny;
  if (groups.some((g) => (denyList ?? []).includes(g))) return false;
  return !hasAllow || groups.some((g) => (allow ?? []).includes(g));
}

/** Identities of the set in an allowed domain (and usable status). */
export function identitiesInAllowedDomains(gateway: GatewayPolicy, identities: MappableIdentity[]): MappableIdentity[] {
  return identities.filter((i) => identityConsidered(gateway, i));
}

/**
 * POSIX groups of local accounts, by username, as the host's user database reports them. A username
 * that is absent is unknown (no such account, or not looked up), which group filters treat as failing.
 */
export type AccountGroups = ReadonlyMap<string, string[]>;

/** Whether the gateway's decisions depend on account groups, so callers look them up only when needed. */
export function gatewayUsesGroups(gateway: GatewayPolicy): boolean {
  return (gateway.policies?.groups_allow ?? []).length > 0 || (gateway.policies?.groups_deny ?? []).length > 0;
}

/** Whether the mapped collection's sharing decisions depend on account groups. */
export function sharingUsesGroups(mapped: MappedSharing): boolean {
  return (mapped.policies?.sharing_groups_allow ?? []).length > 0 || (mapped.policies?.sharing_groups_deny ?? []).length > 0;
}

/** The local usernames an identity set maps to (before filters): the accounts whose groups may matter. */
export function mappedUsernames(gateway: GatewayPolicy, identities: MappableIdentity[]): string[] {
  return [...new Set(identities.map((i) => mapIdentity(gateway, i)).filter((u): u is string => u !== null))];
}

/** Every (identity, username) pair the identity set maps to and that passes the username and group filters. */
export function gatewayAccounts(gateway: GatewayPolicy, identities: MappableIdentity[], groups: AccountGroups = new Map()): Account[] {
  const accounts: Account[] = [];
  for (const identity of identities) {
    const username = mapIdentity(gateway, identity);
    if (username !== null && usernamePassesGateway(gateway, username, groups.get(username))) accounts.push({ identity_id: identity.id, username });
  }
  return accounts;
}

/** The StorageGatewayAuthorizer: some identity of the set maps to a usable account. */
export function gatewayAllowsAny(gateway: GatewayPolicy, identities: MappableIdentity[], groups: AccountGroups = new Map()): boolean {
  return gatewayAccounts(gateway, identities, groups).length > 0;
}

export type GatewayIdentityDenial =
  | { kind: 'not_from_allowed_domain'; allowed_domains: string[] }
  | { kind: 'authentication_timeout'; identities: string[]; high_assurance: boolean; require_mfa: boolean }
  | { kind: 'invalid_user'; usernames: string[] };

/**
 * Check 8 of guest creation (and user-credential creation) for one identity: it is in an allowed domain
 * and authenticated recently enough. Null when admitted.
 */
export function gatewayIdentityDenial(input: {
  gateway: GatewayPolicy;
  identity: MappableIdentity;
  /** when the identity last authenticated (client identities: token issue time), epoch seconds */
  authenticatedAt: number;
  now: number;
}): GatewayIdentityDenial | null {
  const { gateway, identity } = input;
  const domains = gateway.allowed_domains ?? [];
  if (domains.length > 0 && !domains.map((d) => d.toLowerCase()).includes(domainOfUsername(identity.username))) {
    return { kind: 'not_from_allowed_domain', allowed_domains: domains };
  }
  const timeout = gateway.authentication_timeout_mins ?? 15840;
  if (input.now - input.authenticatedAt > timeout * 60) {
    return {
      kind: 'authentication_timeout',
      identities: [identity.id],
      high_assurance: gateway.high_assurance === true,
      require_mfa: gateway.require_mfa === true,
    };
  }
  return null;
}

/**
 * Check 10: `username` (default: the mapping result) is what the gateway maps this identity to and it
 * passes the username filters. Returns the username, or null when it is not a usable account.
 */
export function usableUsername(gateway: GatewayPolicy, identity: MappableIdentity, username?: string | null, accountGroups?: string[]): string | null {
  const mapped = mapIdentity(gateway, identity);
  const wanted = username ?? mapped;
  if (wanted === null || mapped !== wanted || !usernamePassesGateway(gateway, wanted, accountGroups)) return null;
  return wanted;
}

// ---------------------------------------------------------------------------------------------
// Sharing (mapped collection → guest collections)

export interface MappedSharing {
  allow_guest_collections?: boolean;
  sharing_users_allow?: string[] | null;
  sharing_users_deny?: string[] | null;
  sharing_restrict_paths?: PathRestrictions | null;
  policies?: { sharing_groups_allow?: string[] | null; sharing_groups_deny?: string[] | null; [k: string]: unknown } | null;
}

export interface SharingPolicyDoc {
  users?: string[] | null;
  sharing_restrict_paths?: PathRestrictions | null;
}

/** Check 11: the creator's account passes sharing_users_allow/deny and the POSIX sharing group filters. */
export function sharingUserAllowed(mapped: MappedSharing, username: string, accountGroups?: string[]): boolean {
  if (!listAllows(username, mapped.sharing_users_allow, mapped.sharing_users_deny)) return false;
  return groupsPass(mapped.policies?.sharing_groups_allow, mapped.policies?.sharing_groups_deny, accountGroups);
}

/** Policies with no user constraint, or naming the guest creator's username. */
export function applicableSharingPolicies<T extends SharingPolicyDoc>(policies: T[], username: string): T[] {
  return policies.filter((p) => !p.users || p.users.includes(username));
}

/**
 * What the sharing side (mapped `sharing_restrict_paths` ∩ applicable policies ∩ gateway
 * `restrict_paths`) grants on a path. `relative` is mapped-root-relative; `absolute` the storage path.
 */
export function sharingAccess(input: {
  gateway: GatewayPolicy;
  mapped: MappedSharing;
  policies: SharingPolicyDoc[];
  username: string;
  relative: string;
  absolute: string;
  home?: string;
}): AccessLevel {
  const vars = { user: input.username, home: input.home };
  const levels: AccessLevel[] = [
    pathAccess(input.gateway.restrict_paths, input.absolute, vars),
    pathAccess(input.mapped.sharing_restrict_paths, input.relative, vars),
  ];
  for (const p of applicableSharingPolicies(input.policies, input.username)) levels.push(pathAccess(p.sharing_restrict_paths, input.relative, vars));
  return intersectAccess(...levels);
}

/** Check 12: the guest base path must be at least readable through every sharing restriction. */
export function guestBasePathShareable(input: Parameters<typeof sharingAccess>[0]): boolean {
  return atLeast(sharingAccess(input), 'read');
}

export const HTTPS_METHODS = ['GET', 'PUT', 'DELETE'] as const;

/** Check 13: a guest may not enable HTTPS beyond its mapped collection nor add methods. */
export function guestInheritanceErrors(
  mapped: { enable_https?: boolean; https_methods?: string[] | null },
  guest: { enable_https?: boolean; https_methods?: string[] | null },
): string[] {
  const errors: string[] = [];
  if (guest.enable_https === true && mapped.enable_https === false) errors.push('enable_https cannot be true when the mapped collection has it disabled');
  const allowed = mapped.https_methods ?? [...HTTPS_METHODS];
  for (const m of guest.https_methods ?? []) if (!allowed.includes(m)) errors.push(`https_method ${m} is not enabled on the mapped collection`);
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Subscriptions: premium features (guest collections, collection roles) need a managed endpoint.

/** "Subscribed" means the endpoint record names a subscription. */
export function endpointSubscribed(subscriptionId: string | null | undefined): boolean {
  return typeof subscriptionId === 'string' && subscriptionId !== '';
}

export type SubscriptionChange = { allowed: true; subscriptionId: string | null } | { allowed: false; reason: string };

/**
 * PUT /api/endpoint/subscription_id (spec gcs-manager-api.md §3.2). `managed`: subscriptions whose
 * group the caller administers. A role holder who manages nothing relevant may only remove; a manager
 * may set one of theirs on an unmanaged endpoint or remove one of theirs; both may replace another.
 * `DEFAULT` stands for the caller's only subscription.
 */
export function subscriptionChange(input: { held: RoleAssignment[]; managed: string[]; current: string | null; requested: string | null }): SubscriptionChange {
  const roleHolder = hasEndpointRole(input.held, ['owner', 'administrator']);
  const current = endpointSubscribed(input.current) ? input.current : null;
  let requested = input.requested === null ? null : input.requested.toLowerCase();
  if (input.requested === 'DEFAULT') {
    if (input.managed.length !== 1)
      return { allowed: false, reason: `DEFAULT needs exactly one subscription managed by the caller; the caller manages ${input.managed.length}` };
    requested = input.managed[0];
  }
  if (requested === current)
    return roleHolder || (current !== null && input.managed.includes(current))
      ? { allowed: true, subscriptionId: requested }
      : { allowed: false, reason: 'Caller has no role on this endpoint and does not manage its subscription' };
  if (requested === null) {
    if (roleHolder || (current !== null && input.managed.includes(current))) return { allowed: true, subscriptionId: null };
    return { allowed: false, reason: 'Only an endpoint administrator or a manager of its subscription may remove it' };
  }
  if (!input.managed.includes(requested)) return { allowed: false, reason: `Caller does not manage subscription ${requested}` };
  if (current === null || roleHolder || input.managed.includes(current)) return { allowed: true, subscriptionId: requested };
  return { allowed: false, reason: 'The endpoint is managed by another subscription; replacing it also needs an endpoint administrator role' };
}

/** PUT /api/collections/{id}/subscription_admin_verified: only a manager of the endpoint's subscription. */
export function canVerifyForSubscription(input: {
  endpointSubscription: string | null | undefined;
  managed: string[];
}): 'allowed' | 'unsubscribed' | 'not_manager' {
  if (!endpointSubscribed(input.endpointSubscription)) return 'unsubscribed';
  return input.managed.includes(String(input.endpointSubscription).toLowerCase()) ? 'allowed' : 'not_manager';
}

// ---------------------------------------------------------------------------------------------
// Collection administration routes

/** GET /api/collections/check and {id}/check: administrators of the endpoint or of some collection. */
export function canCheckCollections(held: RoleAssignment[]): Decision {
  if (hasEndpointRole(held, ['owner', 'administrator']) || held.some((a) => a.collection_id !== null && a.role === 'administrator')) return ALLOW;
  return deny([{ role: 'owner' }, { role: 'administrator' }]);
}

/** PUT /api/collections/{id}/owner: endpoint owner or administrator. */
export function canSetCollectionOwner(held: RoleAssignment[]): Decision {
  return canManageEndpoint(held);
}

/** PUT /api/collections/{id}/owner_string: the caller advertises itself, so it must administer that collection itself. */
export function canSetCollectionOwnerString(held: RoleAssignment[], collection: CollectionRef): Decision {
  return hasCollectionRole(held, collection.id, ['administrator']) ? ALLOW : deny([{ role: 'administrator', collection: collection.id }]);
}

/** DELETE /api/collections/{id}/owner_string: any administrator of the collection. */
export function canResetCollectionOwnerString(held: RoleAssignment[], collection: CollectionRef): Decision {
  return canAdministerCollection(held, collection);
}

/** Endpoint and collection domains: endpoint administrator only (spec §3.9). */
export function canManageDomains(held: RoleAssignment[]): Decision {
  return canAdministerEndpoint(held);
}

// ---------------------------------------------------------------------------------------------
// Health of a collection (collection check, and the guest re-checks of semantics.md §8 items 1–5)

export type CollectionProblem =
  | { kind: 'storage_gateway_not_found'; storage_gateway_id: string }
  | { kind: 'collection_not_found'; collection_id: string }
  | { kind: 'guest_collections_disabled'; collection_id: string }
  | { kind: 'credential_not_found'; user_credential_id: string | null }
  | { kind: 'invalid_credential'; user_credential_id: string }
  | { kind: 'not_from_allowed_domain'; allowed_domains: string[] }
  | { kind: 'invalid_user'; usernames: string[] }
  | { kind: 'sharing_not_allowed'; usernames: string[] };

export interface CredentialState {
  id: string;
  identity_id: string;
  storage_gateway_id: string;
  username: string;
  invalid: boolean;
}

/**
 * The first broken condition of a collection, or null when it is usable. For a guest: its gateway and
 * mapped collection exist, the mapped collection still allows guests, the credential exists, is valid
 * and belongs to the owner, the owner still maps to that account under the gateway's current policies,
 * and the account may still share. The owner's authentication age is not re-checked.
 */
export function collectionProblem(input: {
  collection: CollectionRef & { user_credential_id?: string | null };
  gateway: GatewayPolicy | undefined;
  /** the guest's mapped collection settings; undefined when it no longer exists */
  mapped?: MappedSharing;
  credential?: CredentialState;
  /** the owner's identity document; undefined when the identity no longer exists */
  owner?: MappableIdentity;
  /** POSIX groups of the credential's account, when known */
  accountGroups?: string[];
}): CollectionProblem | null {
  const { collection, gateway } = input;
  if (!gateway) return { kind: 'storage_gateway_not_found', storage_gateway_id: collection.storage_gateway_id };
  if (collection.collection_type !== 'guest') return null;
  if (!input.mapped) return { kind: 'collection_not_found', collection_id: collection.mapped_collection_id ?? '' };
  if (input.mapped.allow_guest_collections !== true) return { kind: 'guest_collections_disabled', collection_id: collection.mapped_collection_id ?? '' };
  const credential = input.credential;
  if (!credential) return { kind: 'credential_not_found', user_credential_id: collection.user_credential_id ?? null };
  if (credential.invalid || credential.identity_id !== collection.identity_id || credential.storage_gateway_id !== collection.storage_gateway_id) {
    return { kind: 'invalid_credential', user_credential_id: credential.id };
  }
  const domains = gateway.allowed_domains ?? [];
  if (!input.owner || (domains.length > 0 && !identitiesInAllowedDomains(gateway, [input.owner]).length))
    return { kind: 'not_from_allowed_domain', allowed_domains: domains };
  if (usableUsername(gateway, input.owner, credential.username, input.accountGroups) === null)
    return { kind: 'invalid_user', usernames: [credential.username] };
  if (!sharingUserAllowed(input.mapped, credential.username, input.accountGroups)) return { kind: 'sharing_not_allowed', usernames: [credential.username] };
  return null;
}

// ---------------------------------------------------------------------------------------------
// Guest limits (check 14)

/**
 * Gatehouse's count limits on guest collections [I: the spec names the check, not the numbers]: they
 * bound what one identity, or one mapped collection, can make the server track.
 */
export const GUEST_LIMITS = { perOwner: 1000, perMappedCollection: 10000 } as const;

/** Check 14: whether creating one more guest would exceed a limit. */
export function guestLimitExceeded(
  counts: { ownedByIdentity: number; onMappedCollection: number },
  limits: { perOwner: number; perMappedCollection: number } = GUEST_LIMITS,
): boolean {
  return counts.ownedByIdentity >= limits.perOwner || counts.onMappedCollection >= limits.perMappedCollection;
}
