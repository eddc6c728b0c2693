// Wire types of Globus Auth documents (identities, consents, policies, userinfo, introspection, OIDC discovery, JWKS).

export interface Identity {
  id: string;
  username: string;
  status: string;
  identity_provider: string;
  identity_type?: string;
  name: string | null;
  email: string | null;
  organization: string | null;
  [key: string]: unknown;
}

export interface IdentitiesResponse {
  identities: Identity[];
  [key: string]: unknown;
}

export interface Consent {
  id: number;
  client: string;
  scope: string;
  scope_name: string;
  effective_identity: string;
  /** Consent ids from the root consent down to this one. */
  dependency_path: number[];
  created: string;
  updated: string;
  last_used: string;
  status: string;
  allows_refresh: boolean;
  auto_approved: boolean;
  atomically_revocable: boolean;
  [key: string]: unknown;
}

export interface ConsentsResponse {
  consents: Consent[];
  [key: string]: unknown;
}

export interface UserinfoIdentity {
  sub: string;
  username?: string;
  name?: string | null;
  email?: string | null;
  organization?: string | null;
  identity_provider?: string;
  identity_provider_display_name?: string;
  last_authentication?: number | null;
  [key: string]: unknown;
}

export interface UserinfoResponse {
  sub: string;
  preferred_username?: string;
  name?: string | null;
  email?: string | null;
  organization?: string | null;
  identity_provider?: string;
  identity_provider_display_name?: string;
  last_authentication?: number | null;
  identity_set?: UserinfoIdentity[];
  [key: string]: unknown;
}

export interface IntrospectResponse {
  active: boolean;
  token_type?: string;
  scope?: string;
  client_id?: string;
  username?: string;
  name?: string | null;
  email?: string | null;
  exp?: number;
  iat?: number;
  nbf?: number;
  sub?: string;
  aud?: string[];
  iss?: string;
  identity_set?: string[];
  [key: string]: unknown;
}

export interface OpenIDConfiguration {
  issuer: string;
  jwks_uri: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
  userinfo_endpoint?: string;
  revocation_endpoint?: string;
  id_token_signing_alg_values_supported?: string[];
  [key: string]: unknown;
}

export interface JWK {
  kty: string;
  kid?: string;
  alg?: string;
  use?: string;
  n?: string;
  e?: string;
  [key: string]: unknown;
}

export interface JWKSet {
  keys: JWK[];
}

/** An Auth policy (`/v2/api/policies`): what a login must satisfy, e.g. for a mapped collection's `guest_auth_policy_id`. */
export interface Policy {
  id: string;
  project_id: string;
  display_name: string;
  description: string;
  /** fixed at creation */
  high_assurance: boolean;
  /** seconds within which a high-assurance login must have authenticated; null: no limit */
  authentication_assurance_timeout: number | null;
  required_mfa: boolean;
  /** domain patterns (`*.edu`) an identity must come from; null or empty: any */
  domain_constraints_include: string[] | null;
  domain_constraints_exclude: string[] | null;
  [key: string]: unknown;
}

/** A new policy: `display_name` and `description` are required; `project_id` is optional on Gatehouse. */
export type PolicyCreate = Pick<Policy, 'display_name' | 'description'> & Partial<Omit<Policy, 'id' | 'display_name' | 'description'>>;

/** Fields to change; `high_assurance` may only be repeated with its current value. */
export type PolicyUpdate = Partial<Omit<Policy, 'id'>>;

export interface PolicyResponse {
  policy: Policy;
  [key: string]: unknown;
}

export interface PoliciesResponse {
  policies: Policy[];
  [key: string]: unknown;
}
