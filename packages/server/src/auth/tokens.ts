// Access and refresh tokens: issued per resource server from a grant, verified on every request.
import type { FastifyRequest } from 'fastify';
import type { Db } from '../store/db.ts';
import { fromJson, nowSeconds, toJson } from '../store/db.ts';
import { cached, type CacheSpec } from '../store/cache.ts';
import { recordConsents } from './consents.ts';
import { identitySet } from './identities.ts';
import { resourceServerOf, type ScopeNode } from './scopes.ts';
import { hashToken, newId, randomToken } from './secrets.ts';
import type { GrantRow } from './tables.ts';
import { oauthErrors } from './errors.ts';

export interface TokenData {
  access_token: string;
  scope: string;
  expires_in: number;
  token_type: 'Bearer';
  resource_server: string;
  refresh_token: string | null;
  state?: string;
}

export interface IssueOptions {
  clientId: string;
  identityId: string;
  /** validated scope trees, in request order */
  scopes: ScopeNode[];
  authenticatedAt: number;
  withRefreshToken: boolean;
  lifetime: number;
  autoApproved?: boolean;
}

/** Splits root scopes by resource server, preserving request order. */
export function byResourceServer(scopes: ScopeNode[]): Map<string, ScopeNode[]> {
  const groups = new Map<string, ScopeNode[]>();
  for (const node of scopes) {
    const rs = resourceServerOf(node.scope)!;
    const list = groups.get(rs) ?? [];
    if (!list.some((n) => n.scope === node.scope)) list.push(node);
    groups.set(rs, list);
  }
  return groups;
}

/** One grant and one token per resource server; consents recorded for the whole tree. */
export async function issueTokens(db: Db, options: IssueOptions): Promise<TokenData[]> {
  await recordConsents(db, options.identityId, options.clientId, options.scopes, options.autoApproved ?? false);
  const tokens: TokenData[] = [];
  for (const [rs, nodes] of byResourceServer(options.scopes)) {
    const grantId = newId();
    await db
      .insertInto('grants')
      .values({
        id: grantId,
        client_id: options.clientId,
        identity_id: options.identityId,
        resource_server: rs,
        scopes: toJson(nodes.map((n) => n.scope)),
        scope_tree: toJson(nodes),
        authenticated_at: options.authenticatedAt,
        created_at: nowSeconds(),
        revoked_at: null,
      })
      .execute();
    const refresh = options.withRefreshToken ? await mintRefreshToken(db, grantId) : null;
    tokens.push(
      await mintAccessToken(
        db,
        grantId,
        rs,
        nodes.map((n) => n.scope),
        options.lifetime,
        refresh,
      ),
    );
  }
  return tokens;
}

async function mintRefreshToken(db: Db, grantId: string): Promise<string> {
  const token = randomToken();
  await db
    .insertInto('refresh_tokens')
    .values({ token_hash: hashToken(token), grant_id: grantId, issued_at: nowSeconds(), revoked_at: null })
    .execute();
  return token;
}

async function mintAccessToken(db: Db, grantId: string, rs: string, scopes: string[], lifetime: number, refresh: string | null): Promise<TokenData> {
  const token = randomToken();
  const now = nowSeconds();
  await db
    .insertInto('access_tokens')
    .values({ token_hash: hashToken(token), grant_id: grantId, issued_at: now, expires_at: now + lifetime, revoked_at: null })
    .execute();
  return { access_token: token, scope: scopes.join(' '), expires_in: lifetime, token_type: 'Bearer', resource_server: rs, refresh_token: refresh };
}

/** Exchanges a refresh token for a new access token on the same grant; the refresh token stays valid. */
export async function refreshGrant(db: Db, refreshToken: string, clientId: string, lifetime: number): Promise<TokenData> {
  const row = await db
    .selectFrom('refresh_tokens')
    .innerJoin('grants', 'grants.id', 'refresh_tokens.grant_id')
    .selectAll('grants')
    .select(['refresh_tokens.revoked_at as token_revoked_at'])
    .where('refresh_tokens.token_hash', '=', hashToken(refreshToken))
    .executeTakeFirst();
  if (!row || row.token_revoked_at !== null || row.revoked_at !== null || row.client_id !== clientId) {
    throw oauthErrors.error('invalid_grant', 'Invalid refresh token');
  }
  return mintAccessToken(db, row.id, row.resource_server, fromJson<string[]>(row.scopes, []), lifetime, refreshToken);
}

export interface AuthContext {
  /** the token's effective identity */
  identityId: string;
  /** the identity and its linked identities */
  identitySet: string[];
  clientId: string;
  resourceServer: string;
  scopes: string[];
  scopeTree: ScopeNode[];
  authenticatedAt: number;
  grantId: string;
  issuedAt: number;
  expiresAt: number;
}

interface TokenLookup extends GrantRow {
  issued_at: number;
  expires_at: number;
  token_revoked_at: number | null;
}

/**
 * Every authenticated request looks its token up: cached by hash. Revoking a token or its grant writes
 * these tables, which drops the cache here at once and in other processes by change notification.
 */
const TOKEN_CACHE: CacheSpec = { name: 'access-token', tables: ['access_tokens', 'grants'], max: 10_000 };

function lookupAccessToken(db: Db, token: string): Promise<ParsedToken | undefined> {
  const hash = hashToken(token);
  return cached(db, TOKEN_CACHE, hash, async () => {
    const row = await loadAccessToken(db, hash);
    return row && { row, scopes: fromJson<string[]>(row.scopes, []), scopeTree: fromJson<ScopeNode[]>(row.scope_tree, []) };
  });
}

interface ParsedToken {
  row: TokenLookup;
  scopes: string[];
  scopeTree: ScopeNode[];
}

async function loadAccessToken(db: Db, hash: string): Promise<TokenLookup | undefined> {
  return db
    .selectFrom('access_tokens')
    .innerJoin('grants', 'grants.id', 'access_tokens.grant_id')
    .selectAll('grants')
    .select(['access_tokens.issued_at', 'access_tokens.expires_at', 'access_tokens.revoked_at as token_revoked_at'])
    .where('access_tokens.token_hash', '=', hash)
    .executeTakeFirst();
}

/** The token's context when it is active (known, unexpired, unrevoked), else undefined. */
export async function verifyAccessToken(db: Db, token: string): Promise<AuthContext | undefined> {
  if (!token || token.length > 512) return undefined;
  const found = await lookupAccessToken(db, token);
  if (!found) return undefined;
  const { row, scopes, scopeTree } = found;
  if (row.token_revoked_at !== null || row.revoked_at !== null || row.expires_at <= nowSeconds()) return undefined;
  return {
    identityId: row.identity_id,
    identitySet: await identitySet(db, row.identity_id),
    clientId: row.client_id,
    resourceServer: row.resource_server,
    scopes,
    scopeTree,
    authenticatedAt: row.authenticated_at,
    grantId: row.id,
    issuedAt: row.issued_at,
    expiresAt: row.expires_at,
  };
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : undefined;
}

/** Revokes an access token, or a refresh token together with every access token of its grant. */
export async function revokeToken(db: Db, token: string, clientId: string): Promise<void> {
  const hash = hashToken(token);
  const now = nowSeconds();
  const access = await db
    .selectFrom('access_tokens')
    .innerJoin('grants', 'grants.id', 'access_tokens.grant_id')
    .select(['access_tokens.token_hash', 'grants.client_id'])
    .where('access_tokens.token_hash', '=', hash)
    .executeTakeFirst();
  if (access && access.client_id === clientId) {
    await db.updateTable('access_tokens').set({ revoked_at: now }).where('token_hash', '=', hash).execute();
    return;
  }
  const refresh = await db
    .selectFrom('refresh_tokens')
    .innerJoin('grants', 'grants.id', 'refresh_tokens.grant_id')
    .select(['refresh_tokens.grant_id', 'grants.client_id'])
    .where('refresh_tokens.token_hash', '=', hash)
    .executeTakeFirst();
  if (refresh && refresh.client_id === clientId) {
    await db.updateTable('grants').set({ revoked_at: now }).where('id', '=', refresh.grant_id).execute();
  }
}
