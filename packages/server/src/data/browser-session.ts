// Browsers on the data plane: a file opened without a token signs in through Auth as the endpoint's client (PKCE, state bound to a short-lived cookie) and comes back to the file with the collection's token in an HttpOnly cookie on the collection's origin.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import type { ServerConfig } from '../config.ts';
import type { ServiceContext } from '../context.ts';
import type { Db } from '../store/db.ts';
import { dataErrors } from './errors.ts';
import { cookie, cookieNames, cookieValues, setCookie } from '../http/cookies.ts';
import { registerRedirectUriCheck } from '../auth/clients.ts';
import { redeemAuthorizationCode } from '../auth/codes.ts';
import { randomToken } from '../auth/secrets.ts';
import { verifyAccessToken, type AuthContext } from '../auth/tokens.ts';
import { UUID_RE } from '../auth/uuid.ts';
import { httpsTokenProblem } from '../authz/data.ts';
import { collectionHttpsUrl } from '../gcs/urls.ts';
import { endpointDomain } from '../gcs/documents/domain.ts';
import { findCollection, type Collection } from '../gcs/collection-repo.ts';
import { loadEndpoint } from '../gcs/endpoint-repo.ts';
import { hostName, resolveHost } from './hosts.ts';

/** Where Auth sends the browser back, on the collection's origin; GET of a file at this path is not served. */
export const LOGIN_CALLBACK = '/.well-known/gatehouse-login';
/** The collection's access token, for GET and HEAD only. */
const SESSION_COOKIE = 'gatehouse_https';
/** One per sign-in under way, named by its state: the PKCE verifier and the path to return to. */
const LOGIN_COOKIE = 'gatehouse_login_';
const LOGIN_LIFETIME = 600;
/** Sign-ins under way in one browser beyond which the older ones are dropped: cookies must stay small. */
const MAX_PENDING_LOGINS = 4;
const STATE_RE = /^[A-Za-z0-9_-]{32}$/;

/** The collection's https_url: its own host name's origin, or `<public-url>/data/<id>`. */
export async function collectionOrigin(db: Db, collection: Collection, publicUrl: string): Promise<string> {
  const mappedId = collection.row.mapped_collection_id;
  const [mapped, endpoint] = await Promise.all([mappedId ? findCollection(db, mappedId) : undefined, loadEndpoint(db)]);
  return collectionHttpsUrl(collection, mapped, endpointDomain(endpoint), publicUrl);
}

/** Cookies live on the collection's origin: its path when it is `/data/<id>` on the main host, else the whole host. */
function cookiePath(origin: string): string {
  return new URL(origin).pathname.replace(/\/$/, '') || '/';
}

/** Where this request arrived, in the form of an https_url (the host router marks requests it rewrote from a collection host). */
function arrivedAt(request: FastifyRequest, collectionId: string): string {
  const host = String(request.headers.host ?? '')
    .toLowerCase()
    .replace(/:443$/, '');
  const viaHost = (request.raw as { originalUrl?: string }).originalUrl !== undefined;
  return `https://${host}${viaHost ? '' : `/data/${collectionId}`}`;
}

const shorten = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** The path (and query) inside the collection that the request names. */
function pathInCollection(request: FastifyRequest): string {
  const rest = request.url.replace(/^\/data\/[^/?]*/, '');
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/**
 * The 302 that starts a browser sign-in for `scopes` on the collection. A request that did not arrive at the
 * collection's own origin is first sent there: the cookies must be set where the sign-in comes back.
 */
export async function startBrowserLogin(
  db: Db,
  config: ServerConfig,
  request: FastifyRequest,
  reply: FastifyReply,
  collection: Collection,
  scopes: string[],
): Promise<FastifyReply> {
  const origin = await collectionOrigin(db, collection, config.publicUrl);
  const returnTo = pathInCollection(request);
  reply.header('cache-control', 'no-store');
  if (arrivedAt(request, collection.row.id) !== origin.toLowerCase()) return reply.code(302).header('location', `${origin}${returnTo}`).send();
  const path = cookiePath(origin);
  const state = randomToken(24);
  const verifier = randomToken(48);
  const pending = cookieNames(request, LOGIN_COOKIE);
  const cookies = pending.length >= MAX_PENDING_LOGINS ? pending.map((name) => setCookie(name, '', { path, maxAge: 0 })) : [];
  cookies.push(setCookie(`${LOGIN_COOKIE}${state}`, `${verifier}.${Buffer.from(returnTo).toString('base64url')}`, { path, maxAge: LOGIN_LIFETIME }));
  const query = new URLSearchParams({
    client_id: (await loadEndpoint(db)).id,
    response_type: 'code',
    scope: scopes.join(' '),
    redirect_uri: `${origin}${LOGIN_CALLBACK}`,
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    session_message: `Sign in to open ${shorten(returnTo.split('?')[0], 200)} on ${shorten(String(collection.doc.display_name ?? collection.row.id), 200)}`,
  });
  return reply.code(302).header('set-cookie', cookies).header('location', `${config.publicUrl}/v2/oauth2/authorize?${query.toString()}`).send();
}

/**
 * The caller of a browser's GET or HEAD: the collection token its session cookie holds, when that token is
 * active and fits the collection. Never for other methods (a cookie rides along on cross-site forms), nor
 * when the request carries an Authorization header of its own.
 */
export async function browserSessionAuth(db: Db, request: FastifyRequest, collectionId: string, required: string[]): Promise<AuthContext | undefined> {
  if ((request.method !== 'GET' && request.method !== 'HEAD') || request.headers.authorization !== undefined) return undefined;
  for (const token of cookieValues(request, SESSION_COOKIE).slice(0, 2)) {
    const auth = await verifyAccessToken(db, token);
    if (auth && httpsTokenProblem(auth, collectionId, required) === null) return auth;
  }
  return undefined;
}

/** Which collection a redirect_uri is the login callback of: exactly `<its https_url>` + LOGIN_CALLBACK, else none. */
async function callbackCollection(db: Db, config: ServerConfig, redirectUri: string): Promise<Collection | undefined> {
  if (!redirectUri.endsWith(LOGIN_CALLBACK)) return undefined;
  const origin = redirectUri.slice(0, -LOGIN_CALLBACK.length);
  const prefix = `${config.publicUrl}/data/`;
  let id: string | undefined;
  if (origin.startsWith(prefix)) id = origin.slice(prefix.length);
  else if (/^https:\/\/[^/?#@]+$/.test(origin)) {
    const host = hostName(new URL(origin).host);
    const resolution = host ? await resolveHost(db, host, config.domain) : undefined;
    id = resolution?.kind === 'collection' ? resolution.id : undefined;
  }
  const collection = id && UUID_RE.test(id) ? await findCollection(db, id) : undefined;
  return collection && (await collectionOrigin(db, collection, config.publicUrl)) === origin ? collection : undefined;
}

/** The endpoint's client may come back to any collection's login callback (they move with domains, so are not listed). */
async function endpointClientCallback(db: Db, config: ServerConfig, clientId: string, redirectUri: string): Promise<boolean> {
  if (clientId !== (await loadEndpoint(db)).id) return false;
  return (await callbackCollection(db, config, redirectUri)) !== undefined;
}

const CallbackQuery = Type.Object(
  {
    state: Type.String({ pattern: STATE_RE.source }),
    code: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    error: Type.Optional(Type.String({ maxLength: 128 })),
    error_description: Type.Optional(Type.String({ maxLength: 2048 })),
  },
  { additionalProperties: true },
);

/** `GET <collection origin>/.well-known/gatehouse-login`: redeems the code, sets the session cookie, returns to the file. Responses to cookie-bearing requests are `private`. */
export async function browserLoginRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const { store, config } = ctx;
  registerRedirectUriCheck(endpointClientCallback);
  // A response that a cookie may have authorized is the browser's alone: no shared cache keeps it.
  app.addHook('onRequest', async (request, reply) => {
    if (request.headers.authorization === undefined && cookieValues(request, SESSION_COOKIE).length > 0) reply.header('cache-control', 'private');
  });
  app.get(`/data/:collection_id${LOGIN_CALLBACK}`, { schema: { hide: true, querystring: CallbackQuery }, exposeHeadRoute: false }, async (request, reply) => {
    const segment = (request.params as { collection_id: string }).collection_id;
    const collection = UUID_RE.test(segment) ? await findCollection(store.db, segment.toLowerCase()) : undefined;
    if (!collection) throw dataErrors.error('not_found', `No collection '${segment}'`);
    const { state, code, error } = request.query as { state: string; code?: string; error?: string };
    const origin = await collectionOrigin(store.db, collection, config.publicUrl);
    const path = cookiePath(origin);
    const name = `${LOGIN_COOKIE}${state}`;
    const pending = cookie(request, name);
    reply.header('cache-control', 'no-store').header('set-cookie', setCookie(name, '', { path, maxAge: 0 }));
    // The state must be one this browser started here: a code delivered to anyone else's browser is refused (login CSRF).
    const [verifier, encoded] = (pending ?? '').split('.');
    const returnTo = encoded ? Buffer.from(encoded, 'base64url').toString() : '';
    if (!verifier || !/^\/(?!\/)[^\r\n\\]*$/.test(returnTo))
      throw dataErrors.error(
        'login_state_mismatch',
        'This sign-in was not started in this browser here, or took longer than 10 minutes: open the file link again',
      );
    if (error !== undefined) throw dataErrors.error('login_not_completed', `Sign-in did not complete: ${error}`);
    if (code === undefined) throw dataErrors.error('bad_request', 'The sign-in came back without a code');
    const endpointId = (await loadEndpoint(store.db)).id;
    const { tokens } = await store.tx((db) =>
      redeemAuthorizationCode(db, {
        clientId: endpointId,
        confidential: true,
        code,
        redirectUri: `${origin}${LOGIN_CALLBACK}`,
        codeVerifier: verifier,
        lifetime: config.tokenLifetime,
        withRefreshToken: false,
      }),
    );
    const token = tokens.find((t) => t.resource_server === collection.row.id);
    if (!token) throw dataErrors.error('invalid_grant', 'The sign-in granted no access to this collection');
    reply.header('set-cookie', setCookie(SESSION_COOKIE, token.access_token, { path, maxAge: token.expires_in }));
    return reply.code(302).header('location', `${origin}${returnTo}`).send();
  });
}
