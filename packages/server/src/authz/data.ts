// Data access (HTTPS data plane and Transfer file operations) as pure functions: tokens, identity mapping, restrictions, guest re-checks, ACLs.
import type { AuthContext } from '../auth/tokens.ts';
import type { ScopeNode } from '../auth/scopes.ts';
import type { Principals } from './principals.ts';
import type { MappableIdentity } from './mapping.ts';
import { accessFor, type AccessRule, type RuleAccess } from './access-rules.ts';
import {
  collectionProblem,
  gatewayAccounts,
  gatewayIdentityDenial,
  identitiesInAllowedDomains,
  sharingAccess,
  HTTPS_METHODS,
  type AccountGroups,
  type CollectionProblem,
  type CollectionRef,
  type CredentialState,
  type GatewayPolicy,
  type MappedSharing,
  type SharingPolicyDoc,
} from './gcs.ts';
import { evaluatePolicy, type AuthPolicyRules } from './policies.ts';
import { atLeast, interpolatePath, intersectAccess, joinUnderRoot, pathAccess, type AccessLevel } from './paths.ts';

export const TRANSFER_ALL = 'urn:globus:auth:scope:transfer.api.globus.org:all';

export function httpsScope(collectionId: string): string {
  return `https://auth.globus.org/scopes/${collectionId}/https`;
}

export function dataAccessScope(collectionId: string): string {
  return `https://auth.globus.org/scopes/${collectionId}/data_access`;
}

/** Non-HA mapped collections need the data_access consent (spec transfer-and-data.md §4.3); guests and HA collections do not. */
export function needsDataAccess(collectionType: string, highAssurance: boolean): boolean {
  return collectionType === 'mapped' && !highAssurance;
}

/** What an HTTPS token for the collection must carry: exactly what the 401 advertises in `required_scopes`. */
export function httpsRequiredScopes(collectionId: string, collectionType: string, highAssurance: boolean): string[] {
  const scopes = [httpsScope(collectionId)];
  if (needsDataAccess(collectionType, highAssurance)) scopes.push(dataAccessScope(collectionId));
  return scopes;
}

/** Null when an HTTPS token fits the collection, else why not: the resource server is the collection, with every required scope. */
export function httpsTokenProblem(auth: Pick<AuthContext, 'resourceServer' | 'scopes'>, collectionId: string, required: string[]): string | null {
  if (auth.resourceServer !== collectionId) return `Token is for ${auth.resourceServer}, not for collection ${collectionId}`;
  const missing = required.filter((s) => !auth.scopes.includes(s));
  return missing.length ? `Token lacks ${missing.join(' and ')}` : null;
}

/** Whether `scope` was granted as a dependency (at any depth) under one of a token's root scopes. */
export function hasDependency(tree: readonly ScopeNode[], scope: string): boolean {
  const walk = (nodes: ScopeNode[]): boolean => nodes.some((n) => n.scope === scope || walk(n.dependencies));
  return tree.some((root) => walk(root.dependencies));
}

/**
 * Transfer file operations: a transfer token, and for a non-HA mapped collection the data_access consent
 * as a dependency of transfer:all (what globus-cli requests). Returns the scope string to consent to, or null.
 */
export function transferConsentMissing(
  auth: Pick<AuthContext, 'scopeTree'>,
  collectionId: string,
  collectionType: string,
  highAssurance: boolean,
): string | null {
  if (!needsDataAccess(collectionType, highAssurance)) return null;
  const scope = dataAccessScope(collectionId);
  return hasDependency(auth.scopeTree, scope) ? null : `${TRANSFER_ALL}[*${scope}]`;
}

// ---------------------------------------------------------------------------------------------

export type DataNeed = 'read' | 'write';

/** The collection as the decision sees it: its settings document (with defaults) and absolute root. */
export interface DataCollection extends CollectionRef {
  user_credential_id?: string | null;
  /** absolute storage root before `~` expansion: mapped base path, or mapped root + guest base */
  root_path: string;
  /** guest only: the base path relative to the mapped collection's root */
  base_path?: string;
  enable_https?: boolean;
  https_methods?: string[] | null;
  restrict_transfers_to_high_assurance?: string | null;
}

export interface MappedSettings extends MappedSharing {
  root_path: string;
  enable_https?: boolean;
  https_methods?: string[] | null;
  restrict_transfers_to_high_assurance?: string | null;
}

export interface DataAccessInput {
  collection: DataCollection;
  gateway: GatewayPolicy | undefined;
  /** guest: the mapped collection (undefined when it is gone) */
  mapped?: MappedSettings;
  /** guest: the creator's credential and identity as they are now */
  credential?: CredentialState;
  owner?: MappableIdentity;
  sharingPolicies?: SharingPolicyDoc[];
  /** guest: every rule that counts now (implicit role entries included) */
  rules?: AccessRule[];
  /** guest: the Auth policy its mapped collection's guest_auth_policy_id names, when there is one */
  guestAuthPolicy?: AuthPolicyRules;
  /** guest with a policy: each caller identity's active groups (absent: none count) */
  identityGroups?: ReadonlyMap<string, readonly string[]>;
  auth: Pick<AuthContext, 'identityId' | 'authenticatedAt' | 'issuedAt'> | undefined;
  principals: Principals;
  /** identity documents of the caller's identity set, effective identity first */
  identities: MappableIdentity[];
  /** the caller's credentials on the collection's gateway: a valid one names the preferred account */
  callerCredentials?: Array<Pick<CredentialState, 'identity_id' | 'username' | 'invalid'>>;
  accountGroups: AccountGroups;
  /** home directories of local accounts (for `~`, `$HOME`); absent ⇒ `/` */
  homes: ReadonlyMap<string, string>;
  /** collection-relative client path, already normalised; may start with `/~` (Transfer's home shorthand) */
  path: string;
  /** the path is a real one (a second look after links): a `~` in it is a name, not the home shorthand */
  literalPath?: boolean;
  need: DataNeed;
  /** set for HTTPS requests: the method, checked against enable_https and https_methods */
  httpsMethod?: string;
  now: number;
}

export type DataDenial =
  /** no usable token: the caller must (re-)authenticate */
  | { allowed: false; status: 401; reason: 'authentication_required'; message: string }
  | {
      allowed: false;
      status: 403;
      reason: 'https_disabled' | 'permission_denied' | 'outside_restrictions' | 'no_mapping' | 'path_outside_root';
      message: string;
    }
  | { allowed: false; status: 403; reason: 'not_from_allowed_domain'; message: string; allowed_domains: string[] }
  | { allowed: false; status: 403; reason: 'authentication_timeout'; message: string; identities: string[]; high_assurance: boolean; require_mfa: boolean }
  | { allowed: false; status: 403; reason: 'broken_guest'; message: string; problem: CollectionProblem }
  | {
      allowed: false;
      status: 403;
      reason: 'auth_policy_not_satisfied';
      message: string;
      policy_id: string;
      required_single_domain: string[];
      required_identities: string[];
      require_mfa: boolean;
    }
  | { allowed: false; status: 405; reason: 'method_not_allowed'; message: string; allow: string[] };

export interface DataGrant {
  allowed: true;
  /** the local account the I/O runs as */
  account: string;
  /** connector location: the mapped root (after `~`) and, for a guest, its base under it */
  root: string;
  base?: string;
  /** the client path after `~` expansion, collection-relative */
  relative: string;
  /** the absolute storage path (lexical) */
  absolute: string;
  /** the best the caller may do here */
  level: AccessLevel;
}

export type DataDecision = DataGrant | DataDenial;

const ACL_TO_LEVEL: Record<RuleAccess, AccessLevel> = { none: 'none', r: 'read', rw: 'read_write' };
const NEEDED: Record<DataNeed, AccessLevel> = { read: 'read', write: 'read_write' };

function deny403(reason: 'https_disabled' | 'permission_denied' | 'outside_restrictions' | 'no_mapping', message: string): DataDenial {
  return { allowed: false, status: 403, reason, message };
}

/** Methods HTTPS may use on the collection: its own list, narrowed by the mapped collection's for a guest. */
export function enabledHttpsMethods(collection: Pick<DataCollection, 'https_methods'>, mapped?: Pick<MappedSettings, 'https_methods'>): string[] {
  const own = collection.https_methods ?? [...HTTPS_METHODS];
  const allowed = mapped ? (mapped.https_methods ?? [...HTTPS_METHODS]) : [...HTTPS_METHODS];
  return own.filter((m) => allowed.includes(m));
}

function httpsDenial(input: DataAccessInput): DataDenial | null {
  const method = input.httpsMethod;
  if (method === undefined) return null;
  const { collection, mapped } = input;
  if (collection.enable_https === false || mapped?.enable_https === false) return deny403('https_disabled', 'HTTPS access is disabled on this collection');
  const restricted =
    (collection.collection_type === 'guest' ? mapped?.restrict_transfers_to_high_assurance : collection.restrict_transfers_to_high_assurance) ?? null;
  if (restricted) return deny403('https_disabled', 'Transfers on this collection are restricted to high assurance collections');
  const enabled = enabledHttpsMethods(collection, collection.collection_type === 'guest' ? mapped : undefined);
  // HEAD is the body-less GET.
  const asked = method === 'HEAD' ? 'GET' : method;
  if (!enabled.includes(asked))
    return {
      allowed: false,
      status: 405,
      reason: 'method_not_allowed',
      message: `${method} is not enabled on this collection`,
      allow: enabled.includes('GET') ? [...enabled, 'HEAD'] : enabled,
    };
  return null;
}

/** `/~` and `/~/…` mean the account's home: made collection-relative, or null when the home is outside the collection root. */
function expandHome(path: string, home: string, root: string): string | null {
  if (path !== '/~' && !path.startsWith('/~/')) return path;
  const rest = path.slice(2);
  const rootNorm = root === '/' ? '' : root.replace(/\/+$/, '');
  if (home !== rootNorm && !home.startsWith(`${rootNorm}/`)) return null;
  const inside = home.slice(rootNorm.length) || '/';
  return joinUnderRoot(inside, rest || '/');
}

function authenticationAge(auth: NonNullable<DataAccessInput['auth']>, identity: MappableIdentity): number {
  // A client identity "authenticates" when its token is issued.
  return identity.identity_type === 'client' ? auth.issuedAt : auth.authenticatedAt;
}

/**
 * Whether the caller may read or write `path` of the collection, and as which local account. Every
 * input is loaded fresh per request, so revoked rules, removed memberships, deleted policies and
 * deleted credentials take effect on the next request. Order: HTTPS settings (§4.2), the guest
 * re-checks (semantics §8 items 1–5), authentication, identity mapping and its timeout (mapped),
 * the guest_auth_policy_id filter and ACLs (guest), then the path restrictions — the intersection of
 * semantics §5.6.
 */
export function decideDataAccess(input: DataAccessInput): DataDecision {
  const { collection, gateway } = input;
  const https = httpsDenial(input);
  if (https) return https;
  if (!gateway)
    return {
      allowed: false,
      status: 403,
      reason: 'broken_guest',
      message: 'The storage gateway of this collection no longer exists',
      problem: { kind: 'storage_gateway_not_found', storage_gateway_id: collection.storage_gateway_id },
    };
  return collection.collection_type === 'guest' ? decideGuest(input, gateway) : decideMapped(input, gateway);
}

function decideMapped(input: DataAccessInput, gateway: GatewayPolicy): DataDecision {
  const { auth } = input;
  if (!auth) return { allowed: false, status: 401, reason: 'authentication_required', message: 'This collection requires authentication' };
  const considered = identitiesInAllowedDomains(gateway, input.identities);
  const domains = gateway.allowed_domains ?? [];
  if (considered.length === 0 && domains.length > 0) {
    return {
      allowed: false,
      status: 403,
      reason: 'not_from_allowed_domain',
      message: `Access needs an identity from ${domains.join(', ')}`,
      allowed_domains: domains,
    };
  }
  const accounts = gatewayAccounts(gateway, input.identities, input.accountGroups);
  if (accounts.length === 0) return deny403('no_mapping', 'None of your identities maps to a local account on this storage gateway');
  // A valid user credential names the account the caller chose; otherwise the first identity that maps (semantics §2.7).
  const chosen =
    accounts.find((a) => (input.callerCredentials ?? []).some((c) => !c.invalid && c.identity_id === a.identity_id && c.username === a.username)) ??
    accounts[0];
  const identity = input.identities.find((i) => i.id === chosen.identity_id)!;
  const timeout = gatewayIdentityDenial({ gateway, identity, authenticatedAt: authenticationAge(auth, identity), now: input.now });
  if (timeout?.kind === 'authentication_timeout') {
    return {
      allowed: false,
      status: 403,
      reason: 'authentication_timeout',
      message: 'Your authentication is too old for this collection',
      identities: timeout.identities,
      high_assurance: timeout.high_assurance,
      require_mfa: timeout.require_mfa,
    };
  }
  const home = input.homes.get(chosen.username) ?? '/';
  const vars = { user: chosen.username, home };
  const root = interpolatePath(input.collection.root_path, vars);
  const relative = input.literalPath ? input.path : expandHome(input.path, home, root);
  if (relative === null) return deny403('outside_restrictions', 'Your home directory is outside this collection');
  const absolute = joinUnderRoot(root, relative);
  if (absolute === null) return deny403('outside_restrictions', 'Path leaves the collection root');
  const level = pathAccess(gateway.restrict_paths, absolute, vars);
  if (!atLeast(level, NEEDED[input.need])) return deny403('outside_restrictions', `The storage gateway does not allow ${input.need} access to '${relative}'`);
  return { allowed: true, account: chosen.username, root, relative, absolute, level };
}

function decideGuest(input: DataAccessInput, gateway: GatewayPolicy): DataDecision {
  const { collection, mapped, credential } = input;
  const problem = collectionProblem({
    collection,
    gateway,
    mapped,
    credential,
    owner: input.owner,
    accountGroups: credential ? input.accountGroups.get(credential.username) : undefined,
  });
  if (problem) return { allowed: false, status: 403, reason: 'broken_guest', message: `This guest collection is not usable: ${problem.kind}`, problem };
  const username = credential!.username;
  const { auth } = input;
  if (auth && gateway.high_assurance === true) {
    const identity = input.identities.find((i) => i.id === auth.identityId);
    const timeout =
      identity &&
      gatewayIdentityDenial({ gateway: { ...gateway, allowed_domains: [] }, identity, authenticatedAt: authenticationAge(auth, identity), now: input.now });
    if (timeout?.kind === 'authentication_timeout') {
      return {
        allowed: false,
        status: 403,
        reason: 'authentication_timeout',
        message: 'Your authentication is too old for this high assurance collection',
        identities: timeout.identities,
        high_assurance: true,
        require_mfa: timeout.require_mfa,
      };
    }
  }
  let principals = input.principals;
  if (input.guestAuthPolicy) {
    // The policy is satisfied before permissions are considered, and filters them: only rules held
    // through satisfying identities (and their groups) count, implicit role entries included.
    if (!auth) return { allowed: false, status: 401, reason: 'authentication_required', message: 'This collection requires authentication' };
    const outcome = evaluatePolicy(
      input.guestAuthPolicy,
      input.identities.map((i) => ({ id: i.id, username: i.username, authenticatedAt: i.id === auth.identityId ? authenticationAge(auth, i) : undefined })),
      input.now,
    );
    if (!outcome.satisfied) {
      return {
        allowed: false,
        status: 403,
        reason: 'auth_policy_not_satisfied',
        message: outcome.message,
        policy_id: input.guestAuthPolicy.id,
        required_single_domain: outcome.requiredSingleDomain,
        required_identities: outcome.requiredIdentities,
        require_mfa: outcome.requiredMfa,
      };
    }
    principals = { identities: outcome.identities, groups: [...new Set(outcome.identities.flatMap((id) => input.identityGroups?.get(id) ?? []))] };
  }
  const home = input.homes.get(username) ?? '/';
  const vars = { user: username, home };
  const mappedRoot = interpolatePath(mapped!.root_path, vars);
  const base = collection.base_path ?? '/';
  const guestRoot = joinUnderRoot(mappedRoot, base);
  // Transfer's `~` is meaningless inside a guest: its root is the only home it has.
  const relative = !input.literalPath && (input.path === '/~' || input.path.startsWith('/~/')) ? joinUnderRoot('/', input.path.slice(2) || '/') : input.path;
  if (guestRoot === null || relative === null) return deny403('outside_restrictions', 'Path leaves the collection root');
  const absolute = joinUnderRoot(guestRoot, relative)!;
  const mappedRelative = joinUnderRoot(base, relative)!;
  const acl = ACL_TO_LEVEL[accessFor(input.rules ?? [], principals, relative, auth !== undefined, input.now)];
  if (acl === 'none' || !atLeast(acl, NEEDED[input.need])) {
    if (!auth) return { allowed: false, status: 401, reason: 'authentication_required', message: 'This path requires authentication' };
    return deny403('permission_denied', `No ${input.need === 'read' ? 'read' : 'write'} permission on '${relative}'`);
  }
  const sharing = sharingAccess({ gateway, mapped: mapped!, policies: input.sharingPolicies ?? [], username, relative: mappedRelative, absolute, home });
  const level = intersectAccess(acl, sharing);
  if (!atLeast(level, NEEDED[input.need])) return deny403('outside_restrictions', `Sharing restrictions do not allow ${input.need} access to '${relative}'`);
  return { allowed: true, account: username, root: mappedRoot, base, relative, absolute, level };
}

/**
 * The second look after symlinks: the connector confines a path to the collection tree, but a link may
 * still lead to a restricted part of it, so the resolved path must pass the same decision — for a guest
 * with its base as it really is below the mapped collection's root (a base that is a link is judged where
 * it leads: sharing restrictions and the gateway's path restrictions apply to the real place).
 */
export function decideResolved(input: DataAccessInput, resolvedRelative: string, resolvedBase?: string): DataDecision {
  const collection = resolvedBase === undefined ? input.collection : { ...input.collection, base_path: resolvedBase };
  return decideDataAccess({ ...input, collection, path: resolvedRelative, literalPath: true, httpsMethod: undefined });
}

/** GARE fields for a 403 the caller can fix by logging in again (spec transfer-and-data.md §4.6). */
export function authorizationParameters(denial: DataDenial): Record<string, unknown> | undefined {
  switch (denial.reason) {
    case 'not_from_allowed_domain':
      return { session_message: denial.message, session_required_single_domain: denial.allowed_domains };
    case 'authentication_timeout':
      return { session_message: denial.message, session_required_identities: denial.identities, session_required_mfa: denial.require_mfa };
    case 'auth_policy_not_satisfied':
      return {
        session_message: denial.message,
        session_required_policies: [denial.policy_id],
        ...(denial.required_single_domain.length ? { session_required_single_domain: denial.required_single_domain } : {}),
        ...(denial.required_identities.length ? { session_required_identities: denial.required_identities } : {}),
        session_required_mfa: denial.require_mfa,
      };
    default:
      return undefined;
  }
}
