// OIDC discovery and JWKS, userinfo, identities, consents, and the client template used by `globus login`.
import type { FastifyInstance } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../../context.ts';
import { createClient, recentInstances } from '../clients.ts';
import { decideClientCreation } from '../../authz/clients.ts';
import { MANAGE_PROJECTS } from './policies.ts';
import { listConsents } from '../consents.ts';
import { findById, findByIds, findByUsernames, identityDocument, qualifyUsername } from '../identities.ts';
import { discoveryDocument, jwks, userClaims } from '../oidc.ts';
import { AUTH_RS } from '../scopes.ts';
import { requiredAuth } from '../request-caller.ts';
import { UUID_RE } from '../uuid.ts';
import { authApiErrors, type AuthApiCode } from '../errors.ts';

/** globus-cli's template for per-install native clients (the id it uses outside Globus's own test environments). */
const TEMPLATE_IDS: ReadonlySet<string> = new Set(['95fdeba8-fac2-42bd-a357-e068d82ff78e']);
/** The window GATEHOUSE_NATIVE_APP_INSTANCE_RATE_LIMIT counts instances in, seconds. */
const INSTANCE_WINDOW = 3600;

const csv = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const IdentityDoc = Type.Object({
  id: Type.String(),
  username: Type.String(),
  status: Type.String(),
  identity_provider: Type.String(),
  identity_type: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  email: Type.Union([Type.String(), Type.Null()]),
  organization: Type.Union([Type.String(), Type.Null()]),
});

export async function apiRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const { store, config } = ctx;

  app.get('/.well-known/openid-configuration', { config: { caller: 'none' }, schema: { tags: ['auth'] } }, async () => discoveryDocument(config.publicUrl));
  app.get('/jwk.json', { config: { caller: 'none' }, schema: { tags: ['auth'] } }, async () => jwks(store.db));

  app.get('/v2/oauth2/userinfo', { schema: { tags: ['auth'] } }, async (request) => {
    const auth = requiredAuth(request);
    if (!auth.scopes.includes('openid')) throw authApiErrors.error('FORBIDDEN', 'userinfo requires the openid scope');
    const identity = await findById(store.db, auth.identityId);
    if (!identity) throw authApiErrors.error('UNAUTHORIZED', 'Identity no longer exists');
    const set = await findByIds(store.db, auth.identitySet);
    return {
      ...userClaims(identity, auth.authenticatedAt),
      identity_set: set.map((i) => ({ ...userClaims(i, auth.authenticatedAt), username: i.username })),
    };
  });

  app.get(
    '/v2/api/identities',
    {
      schema: {
        querystring: Type.Object({
          ids: Type.Optional(Type.String({ maxLength: 40000 })),
          usernames: Type.Optional(Type.String({ maxLength: 40000 })),
          provision: Type.Optional(Type.String({ maxLength: 8 })),
        }),
        response: { 200: Type.Object({ identities: Type.Array(IdentityDoc) }) },
        tags: ['auth'],
      },
    },
    async (request) => {
      const { ids, usernames } = request.query as { ids?: string; usernames?: string };
      if (ids !== undefined && usernames !== undefined) throw authApiErrors.error('BAD_REQUEST', 'Give ids or usernames, not both');
      const idList = csv(ids);
      if (idList.some((id) => !UUID_RE.test(id))) throw authApiErrors.error('BAD_REQUEST', 'ids must be UUIDs');
      // A bare name is a local user's, as the login form takes it: `alice` is `alice@<identity domain>`.
      const nameList = csv(usernames).map((n) => qualifyUsername(n, config.identityDomain));
      if (idList.length + nameList.length > 100) throw authApiErrors.error('BAD_REQUEST', 'At most 100 ids or usernames per request');
      const rows = ids !== undefined ? await findByIds(store.db, idList) : await findByUsernames(store.db, nameList);
      // Keep the caller's order: the Python IdentityMap relies on none of it, but people read these.
      const key =
        ids !== undefined
          ? (r: (typeof rows)[number]) => idList.indexOf(r.id)
          : (r: (typeof rows)[number]) => nameList.findIndex((n) => n.toLowerCase() === r.username_key);
      rows.sort((a, b) => key(a) - key(b));
      return { identities: rows.map(identityDocument) };
    },
  );

  app.get(
    '/v2/api/identities/:id',
    { schema: { params: Type.Object({ id: Type.String({ maxLength: 64 }) }), response: { 200: Type.Object({ identity: IdentityDoc }) }, tags: ['auth'] } },
    async (request) => {
      const { id } = request.params as { id: string };
      const row = UUID_RE.test(id) ? await findById(store.db, id) : undefined;
      if (!row) throw authApiErrors.error('NOT_FOUND', `No identity ${id}`);
      return { identity: identityDocument(row) };
    },
  );

  app.get(
    '/v2/api/identities/:id/consents',
    {
      schema: {
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        querystring: Type.Object({ all: Type.Optional(Type.String({ maxLength: 8 })) }),
        tags: ['auth'],
      },
    },
    async (request) => {
      const auth = requiredAuth(request);
      const { id } = request.params as { id: string };
      if (!auth.identitySet.includes(id)) throw authApiErrors.error('FORBIDDEN', 'Consents are visible only to their own identity set');
      const all = /^true$/i.test((request.query as { all?: string }).all ?? 'false');
      return { consents: await listConsents(store.db, [id], all ? undefined : auth.clientId) };
    },
  );

  app.post(
    '/v2/api/clients',
    {
      // globus-cli's template call (`globus login`) comes without a token; every other creation needs one.
      config: { caller: { required: false, resourceServers: [AUTH_RS] } },
      schema: {
        body: Type.Object({
          client: Type.Object(
            {
              template_id: Type.Optional(Type.String({ maxLength: 64 })),
              name: Type.String({ minLength: 1, maxLength: 256 }),
              public_client: Type.Optional(Type.Boolean()),
              redirect_uris: Type.Optional(Type.Array(Type.String({ maxLength: 2048, pattern: '^https://' }), { maxItems: 20 })),
            },
            { additionalProperties: true },
          ),
        }),
        tags: ['auth'],
      },
    },
    async (request, reply) => {
      const { client } = request.body as { client: { template_id?: string; name: string; public_client?: boolean; redirect_uris?: string[] } };
      const templateCall = client.template_id !== undefined && TEMPLATE_IDS.has(client.template_id.toLowerCase());
      if (client.template_id !== undefined && !templateCall) throw authApiErrors.error('BAD_REQUEST', `No template client ${client.template_id}`);
      return store.tx(async (db) => {
        const caller = templateCall ? undefined : request.caller.auth;
        const identity = caller ? await findById(db, caller.identityId) : undefined;
        const now = Math.floor(ctx.clock() / 1000);
        let recent = { count: 0, oldest: null as number | null };
        if (templateCall) {
          // Counted under a lock per address, so processes sharing the store cannot both take the last slot.
          await store.lockInTransaction(db, `native-app-instances:${request.ip}`);
          recent = await recentInstances(db, request.ip, now - INSTANCE_WINDOW);
        }
        const decision = decideClientCreation({
          templateCall,
          templatesEnabled: config.nativeAppTemplates,
          caller: caller && identity ? { identityType: identity.identity_type, scopes: caller.scopes } : undefined,
          requiredScope: MANAGE_PROJECTS,
          recentInstances: recent.count,
          instanceLimit: config.nativeAppInstanceRateLimit,
          windowResetsIn: recent.oldest === null ? 0 : recent.oldest + INSTANCE_WINDOW - now,
        });
        if (!decision.allowed) {
          if (decision.retryAfter !== undefined) reply.header('retry-after', String(decision.retryAfter));
          throw authApiErrors.error(decision.code as AuthApiCode, decision.message, {}, decision.status);
        }
        const publicClient = !templateCall && client.public_client === true;
        const created = await createClient(
          db,
          templateCall
            ? {
                name: client.name,
                redirectUris: [`${config.publicUrl}/v2/web/auth-code`],
                templateId: client.template_id!.toLowerCase(),
                createdFrom: request.ip,
              }
            : { name: client.name, publicClient, redirectUris: client.redirect_uris ?? [], createdBy: identity!.id },
          now,
        );
        reply.status(201);
        // An instance may not use client_credentials: it acts only for the person who signs in through it.
        const grantTypes =
          templateCall || publicClient ? ['authorization_code', 'refresh_token'] : ['authorization_code', 'refresh_token', 'client_credentials'];
        return {
          client: {
            id: created.id,
            name: created.name,
            public_client: publicClient,
            redirect_uris: created.redirect_uris,
            grant_types: grantTypes,
            ...(templateCall ? { parent_client: client.template_id } : {}),
          },
          ...(created.secret
            ? {
                included: {
                  client_credential: {
                    client: created.id,
                    secret: created.secret,
                    name: templateCall ? 'auto-created by template' : 'created with the client',
                  },
                },
              }
            : {}),
        };
      });
    },
  );
}
