// Scope builders for Auth, Groups, Transfer, GCS endpoints and GCS collections; every getter returns a fresh Scope.
import { Scope, urlScope, urnScope } from './scope.ts';

// Getters (not shared instances) because Scope#addDependency mutates: one caller's dependency must
// never leak into another's scope.

export const AuthScopes = {
  resourceServer: 'auth.globus.org',
  get openid(): Scope {
    return new Scope('openid');
  },
  get profile(): Scope {
    return new Scope('profile');
  },
  get email(): Scope {
    return new Scope('email');
  },
  get view_identities(): Scope {
    return urnScope('auth.globus.org', 'view_identities');
  },
  get view_identity_set(): Scope {
    return urnScope('auth.globus.org', 'view_identity_set');
  },
  get view_consents(): Scope {
    return urnScope('auth.globus.org', 'view_consents');
  },
  get manage_projects(): Scope {
    return urnScope('auth.globus.org', 'manage_projects');
  },
  get view_clients(): Scope {
    return urnScope('auth.globus.org', 'view_clients');
  },
  get view_clients_and_scopes(): Scope {
    return urnScope('auth.globus.org', 'view_clients_and_scopes');
  },
  get view_authentications(): Scope {
    return urnScope('auth.globus.org', 'view_authentications');
  },
} as const;

export const GroupsScopes = {
  resourceServer: 'groups.api.globus.org',
  get all(): Scope {
    return urnScope('groups.api.globus.org', 'all');
  },
  get view_my_groups_and_memberships(): Scope {
    return urnScope('groups.api.globus.org', 'view_my_groups_and_memberships');
  },
} as const;

export const TransferScopes = {
  resourceServer: 'transfer.api.globus.org',
  get all(): Scope {
    return urnScope('transfer.api.globus.org', 'all');
  },
} as const;

export interface GCSEndpointScopeSet {
  /** The endpoint's client id (GET /api/info `client_id`). */
  readonly resourceServer: string;
  readonly manage_collections: Scope;
}

function checkId(kind: string, id: string): void {
  if (!id || /[\s[\]*/:]/.test(id)) throw new TypeError(`invalid ${kind} id ${JSON.stringify(id)}`);
}

/** Scopes of a GCS endpoint: `urn:globus:auth:scope:<endpointId>:manage_collections`. */
export function GCSEndpointScopes(endpointId: string): GCSEndpointScopeSet {
  checkId('endpoint', endpointId);
  return {
    resourceServer: endpointId,
    get manage_collections() {
      return urnScope(endpointId, 'manage_collections');
    },
  };
}

export interface GCSCollectionScopeSet {
  /** The collection id. */
  readonly resourceServer: string;
  readonly data_access: Scope;
  readonly https: Scope;
}

/** Scopes of a GCS collection, always with the literal `https://auth.globus.org/scopes/` prefix. */
export function GCSCollectionScopes(collectionId: string): GCSCollectionScopeSet {
  checkId('collection', collectionId);
  return {
    resourceServer: collectionId,
    get data_access() {
      return urlScope(collectionId, 'data_access');
    },
    get https() {
      return urlScope(collectionId, 'https');
    },
  };
}
