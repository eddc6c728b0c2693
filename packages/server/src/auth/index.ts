// The Auth service plugin: OAuth2/OIDC endpoints and the /v2/api identity routes, each in Auth's error layout.
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { useErrorEnvelope } from '../http/errors.ts';
import { renderAuthApiError, renderOAuthError } from './envelope.ts';
import { tokenRoutes } from './routes/token.ts';
import { authorizeRoutes } from './routes/authorize.ts';
import { apiRoutes } from './routes/api.ts';
import { policyRoutes } from './routes/policies.ts';
import { registerResourceServerLookup } from './scopes.ts';
import { signingKey } from './oidc.ts';
import { callerPolicy } from './request-caller.ts';
import { AUTH_RS } from './scopes.ts';
import { configurePasswordPool } from './password-pool.ts';
import { refuseCredentialsInQuery } from './query-credentials.ts';

export async function authService(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  await signingKey(ctx.store.db);
  configurePasswordPool(ctx.config.passwordThreads);
  registerResourceServerLookup(async (db, id) => {
    const endpoint = await db.selectFrom('endpoints').select('id').where('id', '=', id).executeTakeFirst();
    return endpoint ? [`urn:globus:auth:scope:${id}:manage_collections`] : null;
  });
  // A confidential client may act as a resource server (scope `…:<client_id>:all`) and exchange the
  // tokens it receives for its dependencies with the dependent-token grant.
  registerResourceServerLookup(async (db, id) => {
    const client = await db.selectFrom('clients').select(['id', 'public_client']).where('id', '=', id).executeTakeFirst();
    return client && client.public_client === 0 ? [`urn:globus:auth:scope:${id}:all`] : null;
  });
  await app.register(async (scope) => {
    useErrorEnvelope(scope, renderOAuthError, ['/v2/oauth2', '/v2/web']);
    scope.addHook('onRequest', refuseCredentialsInQuery);
    await tokenRoutes(scope, ctx);
    await authorizeRoutes(scope, ctx);
  });
  await app.register(async (scope) => {
    useErrorEnvelope(scope, renderAuthApiError, ['/v2/api']);
    scope.addHook('onRequest', refuseCredentialsInQuery);
    // The identity API wants a token for Auth itself, checked before the body is looked at.
    callerPolicy(scope, { required: true, resourceServers: [AUTH_RS] });
    await apiRoutes(scope, ctx);
    await policyRoutes(scope, ctx);
  });
}
