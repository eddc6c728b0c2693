// Guest-collection creation (spec semantics.md §7) as one pure decision: the facts a loader gathered in, the first failed precondition (or the guest's settings) out.
import type { MappableIdentity } from './mapping.ts';
import { normalizePath, joinUnderRoot } from './paths.ts';
import {
  endpointSubscribed,
  gatewayAccounts,
  gatewayIdentityDenial,
  guestBasePathShareable,
  guestInheritanceErrors,
  guestLimitExceeded,
  sharingUserAllowed,
  usableUsername,
  type Account,
  type CredentialState,
  type GatewayIdentityDenial,
  type GatewayPolicy,
  type MappedSharing,
  type SharingPolicyDoc,
} from './gcs.ts';

/** The mapped collection as guest creation sees it: its settings with defaults and its absolute root. */
export interface GuestCreationMapped {
  collection_type: string;
  storage_gateway_id: string;
  settings: MappedSharing & { enable_https?: boolean; https_methods?: string[] | null };
  /** absolute root before `~` expansion */
  root: string;
}

export interface GuestCreationInput {
  mappedId: string;
  /** undefined when no collection has that id */
  mapped?: GuestCreationMapped;
  endpointSubscriptionId: string | null | undefined;
  /** the mapped collection's storage gateway; undefined when it is gone */
  gateway?: GatewayPolicy;
  /** the caller's token carries the mapped collection's data_access as a dependency of manage_collections */
  dataAccessConsent: boolean;
  /** the identity the guest is created for (body identity_id, else the caller's effective identity) */
  identityId: string;
  identitySet: string[];
  /** the identity document of `identityId`, when it is one of the caller's */
  identity?: MappableIdentity;
  auth: { authenticatedAt: number; issuedAt: number };
  /** the identity's user credentials on the gateway */
  credentials: CredentialState[];
  /** body user_credential_id, as given */
  requestedCredentialId?: string;
  /** POSIX groups of the chosen credential's account, when the gateway or sharing filters on groups */
  accountGroups?: string[];
  /** body collection_base_path, as given */
  basePath: string;
  sharingPolicies: SharingPolicyDoc[];
  /** where the base path leads once links are followed (null: nowhere yet); absent when it could not be resolved */
  realBase?: { ok: false } | { ok: true; base: string | null };
  /** the guest document the body makes was refused (its own error answers, in this place of the order) */
  documentInvalid: boolean;
  requested: { enable_https?: boolean; https_methods?: string[] };
  counts: { ownedByIdentity: number; onMappedCollection: number };
  now: number;
}

export type GuestCreationDenial =
  | { allowed: false; reason: 'mapped_collection_not_found'; collection_id: string }
  | { allowed: false; reason: 'subscription_required' }
  | { allowed: false; reason: 'guests_not_allowed' }
  | { allowed: false; reason: 'storage_gateway_not_found'; storage_gateway_id: string }
  | { allowed: false; reason: 'missing_data_access'; data_access_scope: string }
  | { allowed: false; reason: 'id_not_in_identity_set'; id: string }
  | { allowed: false; reason: 'gateway_identity'; denial: GatewayIdentityDenial }
  | { allowed: false; reason: 'invalid_credential'; user_credential_id: string }
  | { allowed: false; reason: 'credential_not_found'; storage_gateway_id: string; accounts: Account[] }
  | { allowed: false; reason: 'ambiguous_credential' }
  | { allowed: false; reason: 'invalid_user'; usernames: string[] }
  | { allowed: false; reason: 'sharing_not_allowed'; usernames: string[] }
  | { allowed: false; reason: 'invalid_base_path'; message: string }
  | { allowed: false; reason: 'base_path_escapes' }
  | { allowed: false; reason: 'not_shareable'; path: string }
  | { allowed: false; reason: 'invalid_document' }
  | { allowed: false; reason: 'inheritance'; errors: string[] }
  | { allowed: false; reason: 'limit_exceeded' };

export interface GuestCreationGrant {
  allowed: true;
  credential: CredentialState;
  username: string;
  /** the base path relative to the mapped collection's root, normalised */
  relative: string;
}

export type GuestCreationDecision = GuestCreationGrant | GuestCreationDenial;

/** A guest's collection_base_path made absolute below the mapped root and normalised; null when it leaves it. */
export function guestRelativeBasePath(path: string): string | null {
  return normalizePath(path.startsWith('/') ? path : `/${path}`);
}

/** The credential the guest would use: the one asked for, else the identity's only one (undefined: none fits). */
export function chosenCredential(credentials: CredentialState[], requestedId: string | undefined): CredentialState | undefined {
  return requestedId !== undefined ? credentials.find((c) => c.id === requestedId.toLowerCase()) : credentials[0];
}

type DenialFacts = GuestCreationDenial extends infer D ? (D extends unknown ? Omit<D, 'allowed'> : never) : never;
const deny = (d: DenialFacts): GuestCreationDenial => ({ allowed: false, ...d }) as GuestCreationDenial;

/** The checks of semantics.md §7 in order; the first failure answers. */
export function decideGuestCreation(input: GuestCreationInput): GuestCreationDecision {
  const { mapped, mappedId } = input;
  if (!mapped || mapped.collection_type !== 'mapped') return deny({ reason: 'mapped_collection_not_found', collection_id: mappedId });
  if (!endpointSubscribed(input.endpointSubscriptionId)) return deny({ reason: 'subscription_required' });
  const m = mapped.settings;
  if (m.allow_guest_collections !== true) return deny({ reason: 'guests_not_allowed' });
  const gateway = input.gateway;
  if (!gateway) return deny({ reason: 'storage_gateway_not_found', storage_gateway_id: mapped.storage_gateway_id });
  if (gateway.high_assurance !== true && !input.dataAccessConsent)
    return deny({ reason: 'missing_data_access', data_access_scope: `https://auth.globus.org/scopes/${mappedId}/data_access` });
  const identity = input.identitySet.includes(input.identityId) ? input.identity : undefined;
  if (!identity) return deny({ reason: 'id_not_in_identity_set', id: input.identityId });
  // A client identity "authenticates" when its token is issued.
  const authenticatedAt = identity.identity_type === 'client' ? input.auth.issuedAt : input.auth.authenticatedAt;
  const denial = gatewayIdentityDenial({ gateway, identity, authenticatedAt, now: input.now });
  if (denial) return deny({ reason: 'gateway_identity', denial });
  const credentials = input.credentials;
  let credential = credentials[0];
  if (input.requestedCredentialId !== undefined) {
    credential = chosenCredential(credentials, input.requestedCredentialId)!;
    if (!credential || credential.invalid) return deny({ reason: 'invalid_credential', user_credential_id: input.requestedCredentialId });
  } else if (credentials.length === 0) {
    return deny({ reason: 'credential_not_found', storage_gateway_id: mapped.storage_gateway_id, accounts: gatewayAccounts(gateway, [identity]) });
  } else if (credentials.length > 1) return deny({ reason: 'ambiguous_credential' });
  const username = usableUsername(gateway, identity, credential.username, input.accountGroups);
  if (username === null) return deny({ reason: 'invalid_user', usernames: [credential.username] });
  if (!sharingUserAllowed(m, username, input.accountGroups)) return deny({ reason: 'sharing_not_allowed', usernames: [username] });
  const relative = guestRelativeBasePath(input.basePath);
  if (relative === null) return deny({ reason: 'invalid_base_path', message: 'collection_base_path must stay inside the mapped collection' });
  const absolute = joinUnderRoot(mapped.root, relative);
  if (absolute === null) return deny({ reason: 'base_path_escapes' });
  const shareable = (rel: string, abs: string) =>
    guestBasePathShareable({ gateway, mapped: m, policies: input.sharingPolicies, username, relative: rel, absolute: abs });
  if (!shareable(relative, absolute)) return deny({ reason: 'not_shareable', path: relative });
  // A base path that is (or runs through) a link is judged again where it leads, as every access will be.
  const real = input.realBase;
  if (!real || !real.ok) return deny({ reason: 'not_shareable', path: relative });
  if (real.base !== null && real.base !== relative && !shareable(real.base, joinUnderRoot(mapped.root, real.base)!))
    return deny({ reason: 'not_shareable', path: relative });
  if (input.documentInvalid) return deny({ reason: 'invalid_document' });
  const inheritance = guestInheritanceErrors(m, input.requested);
  if (inheritance.length) return deny({ reason: 'inheritance', errors: inheritance });
  if (guestLimitExceeded(input.counts)) return deny({ reason: 'limit_exceeded' });
  return { allowed: true, credential, username, relative };
}
