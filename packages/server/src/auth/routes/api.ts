// OIDC discovery and JWKS, userinfo, identities, consents, and the client template used by `globus login`.
import type { FastifyInstance } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../../context.ts';
import { ApiError } from '../../http/errors.ts';
import { createClient } from '../clients.ts';
import { listConsents } from '../consents.ts';
import { findById, findByIds, findByUsernames, identityDocument } from '../identities.ts';
import { discoveryDocument, jwks, userClaims } from '../oidc.ts';
import { AUTH_RS } from '../scopes.ts';
import { authenticate } from '../tokens.ts';
import { UUID_RE } from '../uuid.ts';

/** globus-cli's template for per-install native clients. */
const CLI_TEMPLATE_ID = '95fdeba8-fac2-42bd-a357-e068d82ff78e';

const csv = (value: string | undefined) => (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
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

  app.get('/.well-known/openid-configuration', { schema: { tags: ['auth'] } }, async () => discoveryDocument(config.publicUrl));
  app.get('/jwk.json', { schema: { tags: ['auth'] } }, async () => jwks(store.db));

  app.get('/v2/oauth2/userinfo', { schema: { tags: ['auth'] } }, async (request) => {
    const auth = await authenticate(store.db, request, AUTH_RS);
    if (!auth.scopes.includes('openid')) throw new ApiError(403, 'FORBIDDEN', 'userinfo requires the openid scope');
    const identity = await findById(store.db, auth.identityId);
    if (!identity) throw new ApiError(401, 'UNAUTHORIZED', 'Identity no longer exists');
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
      await authenticate(store.db, request, AUTH_RS);
      const { ids, usernames } = request.query as { ids?: string; usernames?: string };
      if (ids !== undefined && usernames !== undefined) throw new ApiError(400, 'BAD_REQUEST', 'Give ids or usernames, not both');
      const idList = csv(ids);
      if (idList.some((id) => !UUID_RE.test(id))) throw new ApiError(400, 'BAD_REQUEST', 'ids must be UUIDs');
      const nameList = csv(usernames);
      if (idList.length + nameList.length > 100) throw new ApiError(400, 'BAD_REQUEST', 'At most 100 ids or usernames per request');
      const rows = ids !== undefined ? await findByIds(store.db, idList) : await findByUsernames(store.db, nameList);
      // Keep the caller's order: the Python IdentityMap relies on none of it, but people read these.
      const key = ids !== undefined ? (r: (typeof rows)[number]) => idList.indexOf(r.id) : (r: (typeof rows)[number]) => nameList.findIndex((n) => n.toLowerCase() === r.username_key);
      rows.sort((a, b) => key(a) - key(b));
      return { identities: rows.map(identityDocument) };
    },
  );

  app.get('/v2/api/identities/:id', { schema: { params: Type.Object({ id: Type.String({ maxLength: 64 }) }), response: { 200: Type.Object({ identity: IdentityDoc }) }, tags: ['auth'] } }, async (request) => {
    await authenticate(store.db, request, AUTH_RS);
    const { id } = request.params as { id: string };
    const row = UUID_RE.test(id) ? await findById(store.db, id) : undefined;
    if (!row) throw new ApiError(404, 'NOT_FOUND', `No identity ${id}`);
    return { identity: identityDocument(row) };
  });

  app.get(
    '/v2/api/identities/:id/consents',
    { schema: { params: Type.Object({ id: Type.String({ maxLength: 64 }) }), querystring: Type.Object({ all: Type.Optional(Type.String({ maxLength: 8 })) }), tags: ['auth'] } },
    async (request) => {
      const auth = await authenticate(store.db, request, AUTH_RS);
      const { id } = request.params as { id: string };
      if (!auth.identitySet.includes(id)) throw new ApiError(403, 'FORBIDDEN', 'Consents are visible only to their own identity set');
      const all = /^true$/i.test((request.query as { all?: string }).all ?? 'false');
      return { consents: await listConsents(store.db, [id], all ? undefined : auth.clientId) };
    },
  );

  app.post(
    '/v2/api/clients',
    {
      schema: {
        body: Type.Object({ client: Type.Object({ template_id: Type.Optional(Type.String({ maxLength: 64 })), name: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: true }) }),
        tags: ['auth'],
      },
    },
    async (request, reply) => {
      const { client } = request.body as { client: { template_id?: string; name: string } };
      if (client.template_id !== CLI_TEMPLATE_ID) throw new ApiError(403, 'FORBIDDEN', 'Clients are created with `gatehouse auth client create`; only the CLI template is open');
      const created = await store.tx((db) => createClient(db, { name: client.name, redirectUris: [`${config.publicUrl}/v2/web/auth-code`] }));
      reply.status(201);
      return {
        client: { id: created.id, name: created.name, public_client: false, redirect_uris: created.redirect_uris, grant_types: ['authorization_code', 'refresh_token', 'client_credentials'] },
        included: { client_credential: { client: created.id, secret: created.secret, name: 'auto-created by template' } },
      };
    },
  );
}
