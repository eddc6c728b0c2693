// Endpoint search decisions (spec transfer-tasks.md §14.3): which visible records each filter_scope holds for the caller — pure.
import { ENDPOINT_SEARCH_SCOPES, type EndpointSearchScope } from '@gatehouse/sdk';
import type { TransferRole } from './effective-roles.ts';

export const SEARCH_SCOPES = ENDPOINT_SEARCH_SCOPES;
export type SearchScope = EndpointSearchScope;

/** What the scopes ask about one record the caller may see (its GCS visibility is decided before, by authz/gcs.ts). */
export interface SearchRecordFacts {
  kind: 'endpoint' | 'mapped' | 'guest';
  /** the record's own `public` flag: listed for everyone */
  public: boolean;
  /** the identity that owns it here: a collection's creator, the endpoint's owner */
  ownerIdentity: string | null;
  /** the caller's effective Transfer roles on it */
  roles: readonly TransferRole[];
  /** an access rule on this guest collection applies to the caller */
  aclHolder: boolean;
  /** a storage gateway accepts one of the caller's identities (mapped collections) */
  gatewayAllowed: boolean;
  /** the caller's tasks used it / its ACTIVE or INACTIVE tasks use it */
  recentlyUsed: boolean;
  inUse: boolean;
}

/** Whether the caller's identity set owns the record. */
export function ownsRecord(identitySet: readonly string[], facts: Pick<SearchRecordFacts, 'ownerIdentity'>): boolean {
  return facts.ownerIdentity !== null && identitySet.includes(facts.ownerIdentity);
}

/**
 * Whether a visible record belongs to `scope`. `all`: public records, the caller's own and those it holds a
 * role on; `hide-no-permissions`: those it can act on (own, role, access rule, gateway mapping); the rest as
 * their names say. Gatehouse hosts no Globus Connect Personal endpoints, so `my-gcp-endpoints` is empty.
 */
export function inSearchScope(scope: SearchScope, identitySet: readonly string[], facts: SearchRecordFacts): boolean {
  const mine = ownsRecord(identitySet, facts);
  switch (scope) {
    case 'all':
      return facts.public || mine || facts.roles.length > 0;
    case 'my-endpoints':
      return mine;
    case 'my-gcp-endpoints':
      return false;
    case 'recently-used':
      return facts.recentlyUsed;
    case 'in-use':
      return facts.inUse;
    case 'shared-by-me':
      return facts.kind === 'guest' && (mine || facts.roles.includes('administrator'));
    case 'shared-with-me':
      return facts.kind === 'guest' && facts.aclHolder && !mine;
    case 'administered-by-me':
      return facts.roles.includes('administrator');
    case 'hide-no-permissions':
      return mine || facts.roles.length > 0 || facts.aclHolder || (facts.kind === 'mapped' && facts.gatewayAllowed);
  }
}

/** Which facts a scope needs beyond the cheap ones, so that the loader looks up only those. */
export function scopeNeeds(scope: SearchScope): { acl: boolean; gateway: boolean; tasks: boolean } {
  return {
    acl: scope === 'shared-with-me' || scope === 'hide-no-permissions',
    gateway: scope === 'hide-no-permissions',
    tasks: scope === 'recently-used' || scope === 'in-use',
  };
}
