// `request.caller`: who is calling, identified once per request, before the body is read — the one request path every service shares.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../store/db.ts';
import { ApiError, codeForStatus } from '../http/errors.ts';
import type { Principals } from '../authz/principals.ts';
import { ANONYMOUS } from '../authz/principals.ts';
import { bearerToken, verifyAccessToken, type AuthContext } from './tokens.ts';

/**
 * What a route accepts as its caller. Services set one for all their routes (`callerPolicy`); a route's
 * `config.caller` overrides it. A present but bad token is refused even where anonymous callers are served:
 * a caller is never silently anonymous.
 */
export interface CallerPolicy {
  /** refuse (401) a request without a bearer token; else it is served anonymously */
  required: boolean;
  /**
   * The resource servers a token may be issued for; a function for those known only from the store or the
   * URL (GCS: the endpoint's id; the data plane: the collection in the path).
   */
  resourceServers: readonly string[] | ((db: Db, request: FastifyRequest) => readonly string[] | Promise<readonly string[]>);
  /** more the token must hold (a scope), as a refusal to raise: runs after the resource server matched */
  check?: (auth: AuthContext, db: Db) => ApiError | undefined | Promise<ApiError | undefined>;
  /**
   * `route`: a refused token is not answered by the hook but kept in `caller.refusal`, for routes whose
   * answer depends on what they look up first (the data plane's 401 names the collection and its scopes,
   * and a browser is sent to sign in). Default `hook`.
   */
  refusals?: 'hook' | 'route';
}

/** `config.caller: 'none'`: the route identifies its callers itself (OAuth2 client authentication, the browser login pages). */
export type RouteCaller = CallerPolicy | 'none';

export interface RequestCaller {
  /** the verified token, or undefined for an anonymous caller (only where the policy allows one) */
  readonly auth: AuthContext | undefined;
  /** under a policy whose refusals the route answers: why the presented credentials were refused */
  readonly refusal: ApiError | undefined;
  /** the token's identity set and the groups any of them is an active member of: loaded on first use, once */
  principals(): Promise<Principals>;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: RequestCaller;
  }
  interface FastifyContextConfig {
    caller?: RouteCaller;
  }
}

export interface CallerOptions {
  db: Db;
  /** how principals are loaded (groups/principals.ts): Auth knows tokens, Groups knows memberships */
  loadPrincipals: (db: Db, auth: AuthContext) => Promise<Principals>;
}

/** A 401 in no service's words: each envelope names it its own way (AuthenticationFailed, not_authorized, …). */
export function unauthenticated(message: string, extra: Record<string, unknown> = {}): ApiError {
  return new ApiError(401, codeForStatus(401), message, extra);
}

/**
 * Identifies callers on `app` and every scope below it, in `onRequest`: before the body is parsed or
 * validated, so a caller without a good token learns nothing about the body it sent, in every service
 * alike. Routes without a caller policy (unrouted requests, `config.caller: 'none'`) get an anonymous caller.
 */
export function identifyCallers(app: FastifyInstance, options: CallerOptions): void {
  app.decorateRequest('caller', null as unknown as RequestCaller);
  app.addHook('onRequest', async (request) => {
    const policy = request.routeOptions.config.caller;
    let auth: AuthContext | undefined;
    let refusal: ApiError | undefined;
    if (policy && policy !== 'none') {
      try {
        auth = await authenticateRequest(options.db, request, policy);
      } catch (error) {
        if (!(error instanceof ApiError && policy.refusals === 'route')) throw error;
        refusal = error;
      }
    }
    let principals: Promise<Principals> | undefined;
    request.caller = {
      auth,
      refusal,
      principals: () => (principals ??= auth ? options.loadPrincipals(options.db, auth) : Promise.resolve(ANONYMOUS)),
    };
  });
}

/** Gives every route registered on `scope` from now on `policy`, unless the route names its own. */
export function callerPolicy(scope: FastifyInstance, policy: RouteCaller): void {
  scope.addHook('onRoute', (route) => {
    route.config = { ...route.config, caller: route.config?.caller ?? policy };
  });
}

async function authenticateRequest(db: Db, request: FastifyRequest, policy: CallerPolicy): Promise<AuthContext | undefined> {
  const token = bearerToken(request);
  if (token === undefined) {
    if (request.headers.authorization) throw unauthenticated('Authorization header must be a Bearer token');
    if (policy.required) throw unauthenticated('Missing or invalid access token');
    return undefined;
  }
  const auth = await verifyAccessToken(db, token);
  if (!auth) throw unauthenticated('Token is invalid, expired or revoked');
  const allowed = typeof policy.resourceServers === 'function' ? await policy.resourceServers(db, request) : policy.resourceServers;
  if (!allowed.includes(auth.resourceServer)) throw unauthenticated(`Token is for ${auth.resourceServer}, not for ${allowed.join(' or ')}`);
  const refusal = await policy.check?.(auth, db);
  if (refusal) throw refusal;
  return auth;
}

/** The caller's token where a route's policy requires one: the hook has refused every request without it. */
export function requiredAuth(request: FastifyRequest): AuthContext {
  const auth = request.caller.auth;
  if (!auth) throw unauthenticated('Missing or invalid access token');
  return auth;
}
