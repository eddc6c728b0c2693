// POST /v2/oauth2/token (every grant) and the token introspect, revoke and validate endpoints.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../store/db.ts';
import { nowSeconds } from '../../store/db.ts';
import { callingClient } from '../client-auth.ts';
import { decideGrant } from '../../authz/clients.ts';
import { redeemAuthorizationCode } from '../codes.ts';
import { findById, findByIds, identitySet } from '../identities.ts';
import { idToken } from '../oidc.ts';
import { resolveScopes, type ScopeNode } from '../scopes.ts';
import { issueTokens, refreshGrant, revokeToken, verifyAccessToken, type TokenData } from '../tokens.ts';
import { oauthErrors, type OAuthCode } from '../errors.ts';

const DEPENDENT_GRANT = 'urn:globus:auth:grant_type:dependent_token';
const MAX_FIELD = 8192;

const FormBody = Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: MAX_FIELD }));
type Form = Record<string, string | undefined>;

/** Neuroglancer posts the code exchange with its parameters in the query string and no body. */
function formOf(request: FastifyRequest): Form {
  const body = request.body as Form | undefined;
  if (body && Object.keys(body).length > 0) return body;
  const query = request.query as Record<string, unknown>;
  const form: Form = {};
  for (const [k, v] of Object.entries(query ?? {})) if (typeof v === 'string' && v.length <= MAX_FIELD) form[k] = v;
  return form;
}

function required(form: Form, name: string): string {
  const value = form[name];
  if (!value) throw oauthErrors.error('invalid_request', `Missing required parameter: ${name}`);
  return value;
}

const TokenSchema = Type.Object(
  {
    access_token: Type.String(),
    scope: Type.String(),
    expires_in: Type.Integer(),
    token_type: Type.String(),
    resource_server: Type.String(),
    refresh_token: Type.Union([Type.String(), Type.Null()]),
    state: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
const TokenResponse = Type.Object({
  ...TokenSchema.properties,
  id_token: Type.Optional(Type.String()),
  other_tokens: Type.Array(TokenSchema),
});

export async function tokenRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const { store, config } = ctx;

  /** The Globus token response: one token per resource server, auth.globus.org's on top. */
  async function tokenResponse(db: Db, tokens: TokenData[], clientId: string, identityId: string, roots: ScopeNode[], authenticatedAt: number, state?: string) {
    if (state !== undefined) for (const t of tokens) t.state = state;
    const topIndex = Math.max(
      0,
      tokens.findIndex((t) => t.resource_server === 'auth.globus.org'),
    );
    const [top] = tokens.splice(topIndex, 1);
    const response: Record<string, unknown> = { ...top, other_tokens: tokens };
    if (roots.some((n) => n.scope === 'openid')) {
      const identity = (await findById(db, identityId))!;
      const set = await findByIds(db, await identitySet(db, identityId));
      response.id_token = await idToken(store.db, config.publicUrl, clientId, identity, set, authenticatedAt, config.tokenLifetime);
    }
    return response;
  }

  app.post(
    '/v2/oauth2/token',
    {
      schema: { body: Type.Optional(FormBody), response: { 200: Type.Union([TokenResponse, Type.Array(TokenSchema)]) }, tags: ['auth'] },
      config: { rateLimit: { max: config.tokenRateLimit, timeWindow: 60_000 } },
    },
    async (request) => {
      const form = formOf(request);
      const grant = required(form, 'grant_type');
      return store.tx(async (db) => {
        switch (grant) {
          case 'client_credentials': {
            const { client } = await callingClient(db, request, form, false);
            const grantDecision = decideGrant(client, grant);
            if (!grantDecision.allowed) throw oauthErrors.error(grantDecision.code as OAuthCode, grantDecision.message, {}, grantDecision.status);
            const roots = await resolveScopes(db, required(form, 'scope'));
            const tokens = await issueTokens(db, {
              clientId: client.id,
              identityId: client.id,
              scopes: roots,
              authenticatedAt: nowSeconds(),
              withRefreshToken: false,
              lifetime: config.tokenLifetime,
              autoApproved: true,
            });
            return tokenResponse(db, tokens, client.id, client.id, roots, nowSeconds());
          }
          case 'authorization_code': {
            const { client, confidential } = await callingClient(db, request, form, true);
            const { row, roots, tokens } = await redeemAuthorizationCode(db, {
              clientId: client.id,
              confidential,
              code: required(form, 'code'),
              redirectUri: form.redirect_uri,
              codeVerifier: form.code_verifier,
              lifetime: config.tokenLifetime,
              withRefreshToken: true,
            });
            return tokenResponse(db, tokens, client.id, row.identity_id, roots, row.authenticated_at, form.state ?? row.state ?? undefined);
          }
          case 'refresh_token': {
            const { client } = await callingClient(db, request, form, true);
            const token = await refreshGrant(db, required(form, 'refresh_token'), client.id, config.tokenLifetime);
            return { ...token, other_tokens: [] };
          }
          case DEPENDENT_GRANT: {
            const { client } = await callingClient(db, request, form, false);
            return dependentTokens(db, client.id, form);
          }
          default:
            throw oauthErrors.error('unsupported_grant_type', `Unsupported grant_type: ${grant}`);
        }
      });
    },
  );

  /** Tokens for the dependencies consented under a token issued to the calling resource server. */
  async function dependentTokens(db: Db, clientId: string, form: Form): Promise<TokenData[]> {
    const upstream = await verifyAccessToken(db, required(form, 'token'));
    if (!upstream || upstream.resourceServer !== clientId) throw oauthErrors.error('invalid_grant', 'Token is not active or was not issued for this client');
    const dependencies = upstream.scopeTree.flatMap((root) => root.dependencies);
    let chosen = dependencies;
    if (form.scope) {
      const wanted = form.scope.split(/\s+/).filter(Boolean);
      const missing = wanted.filter((s) => !dependencies.some((d) => d.scope === s));
      if (missing.length)
        throw oauthErrors.error('dependent_consent_required', 'Missing consent for dependent scopes', {
          errors: [{ code: 'dependent_consent_required', unapproved_scopes: missing }],
        });
      chosen = dependencies.filter((d) => wanted.includes(d.scope));
    }
    if (chosen.length === 0) return [];
    const tokens = await issueTokens(db, {
      clientId,
      identityId: upstream.identityId,
      scopes: chosen,
      authenticatedAt: upstream.authenticatedAt,
      withRefreshToken: form.access_type === 'offline',
      lifetime: config.tokenLifetime,
    });
    return tokens.map((t) => ({ ...t, refresh_token: t.refresh_token ?? null }));
  }

  app.post('/v2/oauth2/token/introspect', { schema: { body: Type.Optional(FormBody), tags: ['auth'] } }, async (request) => {
    const form = formOf(request);
    const { client } = await callingClient(store.db, request, form, false);
    const token = required(form, 'token');
    const context = await verifyAccessToken(store.db, token);
    if (!context || (context.clientId !== client.id && context.resourceServer !== client.id)) return { active: false };
    const identity = await findById(store.db, context.identityId);
    const includes = (form.include ?? '').split(',').map((s) => s.trim());
    const result: Record<string, unknown> = {
      active: true,
      token_type: 'Bearer',
      scope: context.scopes.join(' '),
      client_id: context.clientId,
      username: identity?.username ?? null,
      name: identity?.name ?? null,
      email: identity?.email ?? null,
      exp: context.expiresAt,
      iat: context.issuedAt,
      nbf: context.issuedAt,
      sub: context.identityId,
      aud: [...new Set([context.resourceServer, context.clientId])],
      iss: config.publicUrl,
    };
    if (includes.includes('identity_set')) result.identity_set = context.identitySet;
    if (includes.includes('identity_set_detail')) {
      const set = await findByIds(store.db, context.identitySet);
      result.identity_set_detail = set.map((i) => ({
        sub: i.id,
        username: i.username,
        name: i.name,
        email: i.email,
        identity_provider: i.identity_provider,
        last_authentication: context.authenticatedAt,
      }));
    }
    return result;
  });

  app.post('/v2/oauth2/token/revoke', { schema: { body: Type.Optional(FormBody), tags: ['auth'] } }, async (request) => {
    const form = formOf(request);
    const { client } = await callingClient(store.db, request, form, true);
    await store.tx((db) => revokeToken(db, required(form, 'token'), client.id));
    return { active: false };
  });

  app.post('/v2/oauth2/token/validate', { schema: { body: Type.Optional(FormBody), tags: ['auth'] } }, async (request) => {
    const form = formOf(request);
    const { client } = await callingClient(store.db, request, form, true);
    const context = await verifyAccessToken(store.db, required(form, 'token'));
    return { active: !!context && (context.clientId === client.id || context.resourceServer === client.id) };
  });
}
