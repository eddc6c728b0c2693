// Row types of the Auth tables: identities, clients, grants, tokens, codes, consents, signing keys.
import type { Generated } from 'kysely';
export interface IdentityRow {
  id: string;
  username: string;
  /** lower-cased username: look-ups are case-insensitive */
  username_key: string;
  name: string | null;
  email: string | null;
  organization: string | null;
  identity_provider: string;
  /** 'login' for users, 'client' for client identities */
  identity_type: string;
  status: string;
  password_hash: string | null;
  created_at: number;
}

export interface IdentityLinkRow {
  identity_id: string;
  linked_identity_id: string;
}

export interface ClientRow {
  id: string;
  name: string;
  /** sha256 of the secret; null for public (native) clients */
  secret_hash: string | null;
  public_client: number;
  redirect_uris: string;
  created_at: number;
  /** the template a native app instance was made from; null for every other client */
  template_id: string | null;
  /** the signed-in identity that created the client through the API */
  created_by: string | null;
  /** the client address that made a native app instance */
  created_from: string | null;
}

export interface GrantRow {
  id: string;
  client_id: string;
  identity_id: string;
  resource_server: string;
  /** JSON array of root scope strings */
  scopes: string;
  /** JSON array of ScopeNode: the full dependency tree granted with this token */
  scope_tree: string;
  authenticated_at: number;
  created_at: number;
  revoked_at: number | null;
}

export interface AccessTokenRow {
  token_hash: string;
  grant_id: string;
  issued_at: number;
  expires_at: number;
  revoked_at: number | null;
}

export interface RefreshTokenRow {
  token_hash: string;
  grant_id: string;
  issued_at: number;
  revoked_at: number | null;
}

export interface AuthorizationCodeRow {
  code_hash: string;
  client_id: string;
  identity_id: string;
  redirect_uri: string;
  /** the requested scope string, parsed again at exchange */
  scope: string;
  code_challenge: string | null;
  /** the authorize request's state, echoed in the token response as Globus does */
  state: string | null;
  authenticated_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface ConsentRow {
  id: Generated<number>;
  identity_id: string;
  client_id: string;
  scope_name: string;
  parent_id: number | null;
  /** JSON array of consent ids from the root down to this one */
  dependency_path: string;
  status: string;
  auto_approved: number;
  created: string;
  updated: string;
  last_used: string;
}

export interface LoginSessionRow {
  session_hash: string;
  identity_id: string;
  authenticated_at: number;
  expires_at: number;
}

/** Failed sign-ins counted per account and per client address (`account:…`, `address:…`); times in ms. */
export interface LoginAttemptRow {
  key: string;
  failures: number;
  last_failure_at: number;
  blocked_until: number;
}

export interface SigningKeyRow {
  kid: string;
  private_jwk: string;
  public_jwk: string;
  created_at: number;
}

export interface AuthTables {
  identities: IdentityRow;
  identity_links: IdentityLinkRow;
  clients: ClientRow;
  grants: GrantRow;
  access_tokens: AccessTokenRow;
  refresh_tokens: RefreshTokenRow;
  authorization_codes: AuthorizationCodeRow;
  consents: ConsentRow;
  login_sessions: LoginSessionRow;
  login_attempts: LoginAttemptRow;
  signing_keys: SigningKeyRow;
}
