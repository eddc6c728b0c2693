// OIDC: the RS256 signing key (shared by all processes through the store), discovery, JWKS, id_tokens.
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import type { Db } from '../store/db.ts';
import { nowSeconds } from '../store/db.ts';
import { newId } from './secrets.ts';
import type { IdentityRow } from './tables.ts';

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

// Keys never change once written, so a per-process cache cannot go stale.
const cache = new WeakMap<object, Promise<SigningKey>>();

/**
 * Creates the signing key when the store has none. Run inside the first-start transaction, which holds
 * the cross-process lock: two processes starting together must not each make (and cache) their own.
 */
export async function ensureSigningKey(db: Db): Promise<void> {
  if (await db.selectFrom('signing_keys').select('kid').executeTakeFirst()) return;
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = newId();
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  await db
    .insertInto('signing_keys')
    .values({ kid, private_jwk: JSON.stringify(await exportJWK(privateKey)), public_jwk: JSON.stringify(publicJwk), created_at: nowSeconds() })
    .execute();
}

async function load(db: Db): Promise<SigningKey> {
  const row = await db.selectFrom('signing_keys').selectAll().orderBy('created_at').orderBy('kid').executeTakeFirst();
  if (!row) throw new Error('no signing key in the store: the server must be initialized (ensureInitialized) first');
  return {
    kid: row.kid,
    privateKey: (await importJWK(JSON.parse(row.private_jwk), 'RS256')) as CryptoKey,
    publicJwk: JSON.parse(row.public_jwk),
  };
}

/**
 * The signing key of a store. Load it once at start-up (outside any transaction: on SQLite the one
 * connection is held by an open transaction); later calls return the cached key.
 */
export function signingKey(db: Db): Promise<SigningKey> {
  let key = cache.get(db);
  if (!key) {
    key = load(db);
    cache.set(db, key);
    key.catch(() => cache.delete(db));
  }
  return key;
}

export async function jwks(db: Db) {
  const key = await signingKey(db);
  return { keys: [key.publicJwk] };
}

export function discoveryDocument(issuer: string) {
  return {
    issuer,
    authorization_endpoint: `${issuer}/v2/oauth2/authorize`,
    token_endpoint: `${issuer}/v2/oauth2/token`,
    userinfo_endpoint: `${issuer}/v2/oauth2/userinfo`,
    revocation_endpoint: `${issuer}/v2/oauth2/token/revoke`,
    introspection_endpoint: `${issuer}/v2/oauth2/token/introspect`,
    jwks_uri: `${issuer}/jwk.json`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token', 'urn:globus:auth:grant_type:dependent_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: ['openid', 'profile', 'email'],
    token_endpoint_auth_methods_supported: ['client_secret_basic'],
    code_challenge_methods_supported: ['S256'],
    claims_supported: [
      'iss',
      'sub',
      'aud',
      'exp',
      'iat',
      'preferred_username',
      'name',
      'email',
      'organization',
      'identity_provider',
      'identity_set',
      'last_authentication',
    ],
  };
}

export function userClaims(identity: IdentityRow, lastAuthentication: number) {
  return {
    sub: identity.id,
    preferred_username: identity.username,
    name: identity.name,
    email: identity.email,
    organization: identity.organization,
    identity_provider: identity.identity_provider,
    identity_provider_display_name: identity.identity_type === 'client' ? 'Globus Auth Clients' : 'Gatehouse',
    last_authentication: lastAuthentication,
  };
}

export async function idToken(
  db: Db,
  issuer: string,
  audience: string,
  identity: IdentityRow,
  set: IdentityRow[],
  lastAuthentication: number,
  lifetime: number,
): Promise<string> {
  const key = await signingKey(db);
  return new SignJWT({
    ...userClaims(identity, lastAuthentication),
    identity_set: set.map((i) => ({ ...userClaims(i, lastAuthentication), username: i.username })),
  })
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
    .setIssuer(issuer)
    .setSubject(identity.id)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(nowSeconds() + lifetime)
    .sign(key.privateKey);
}
