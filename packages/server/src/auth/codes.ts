// Authorization codes: redeemed once, by the client they were issued to, with the redirect_uri and PKCE verifier of the request.
import { createHash } from 'node:crypto';
import type { Db } from '../store/db.ts';
import { nowSeconds } from '../store/db.ts';
import { resolveScopes, type ScopeNode } from './scopes.ts';
import { hashToken } from './secrets.ts';
import { issueTokens, type TokenData } from './tokens.ts';
import type { AuthorizationCodeRow } from './tables.ts';
import { oauthErrors } from './errors.ts';

export interface CodeRedemption {
  clientId: string;
  /** true when the client proved its secret; a public client must then present a verifier */
  confidential: boolean;
  code: string;
  redirectUri: string | undefined;
  codeVerifier: string | undefined;
  lifetime: number;
  withRefreshToken: boolean;
}

/**
 * Marks the code used and issues its tokens (token endpoint, and the data plane's own browser login).
 * Every failure is `invalid_grant`: a code that is unknown, expired, used, another client's, or redeemed
 * with another redirect_uri or a verifier that does not match its challenge.
 */
export async function redeemAuthorizationCode(db: Db, r: CodeRedemption): Promise<{ row: AuthorizationCodeRow; roots: ScopeNode[]; tokens: TokenData[] }> {
  const row = await db.selectFrom('authorization_codes').selectAll().where('code_hash', '=', hashToken(r.code)).executeTakeFirst();
  const invalid = () => oauthErrors.error('invalid_grant', 'Invalid, expired or already used authorization code');
  if (!row || row.client_id !== r.clientId || row.expires_at < nowSeconds() || row.used_at !== null) throw invalid();
  if (row.redirect_uri !== r.redirectUri) throw oauthErrors.error('invalid_grant', 'redirect_uri does not match the authorization request');
  if (row.code_challenge || !r.confidential) {
    const verifier = r.codeVerifier ?? '';
    if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) throw oauthErrors.error('invalid_grant', 'Missing or malformed code_verifier');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    if (challenge !== row.code_challenge) throw oauthErrors.error('invalid_grant', 'code_verifier does not match code_challenge');
  }
  const used = await db
    .updateTable('authorization_codes')
    .set({ used_at: nowSeconds() })
    .where('code_hash', '=', row.code_hash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  if (Number(used.numUpdatedRows) !== 1) throw invalid();
  const roots = await resolveScopes(db, row.scope);
  const tokens = await issueTokens(db, {
    clientId: r.clientId,
    identityId: row.identity_id,
    scopes: roots,
    authenticatedAt: row.authenticated_at,
    withRefreshToken: r.withRefreshToken,
    lifetime: r.lifetime,
  });
  return { row, roots, tokens };
}
