// /api/info and /api/endpoint: the unauthenticated info document, the endpoint document and its owner.
import type { FastifyInstance } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../../context.ts';
import { toJson } from '../../store/db.ts';
import { findById } from '../../auth/identities.ts';
import { canAdministerEndpoint, canManageEndpoint, subscriptionChange } from '../../authz/gcs.ts';
import type { Db } from '../../store/db.ts';
import { callerIdentity, endpointVisibility, enforce, GCS_VIEWER, loadCaller, type Caller } from '../caller.ts';
import { Bool, Nullable, Uuid, checkDataType, documentFields, mergeDocument, requireFields, type FieldRules, ListParam } from '../documents/request.ts';
import { PagingQuery, gcsError, invalidInput, responses, result } from '../envelope.ts';
import { API_VERSION, CONNECTORS, MANAGER_VERSION } from '../constants.ts';
import { ENDPOINT_SIDE_FIELDS, endpointDocument } from '../documents/endpoint.ts';
import { endpointDomain } from '../documents/domain.ts';
import { endpointHostName, managerOrigin } from '../urls.ts';
import { loadEndpoint } from '../endpoint-repo.ts';
import { subscriptionsManagedBy } from '../subscriptions.ts';

/** The subscription the endpoint will have after this request, or the 403 that refuses the change. */
async function resolveSubscription(db: Db, caller: Caller, requested: string | null): Promise<string | null> {
  const change = subscriptionChange({
    held: caller.held,
    managed: await subscriptionsManagedBy(db, caller.auth?.identitySet ?? []),
    current: (caller.endpoint.doc.subscription_id as string | null | undefined) ?? null,
    requested,
  });
  if (!change.allowed) throw gcsError(403, change.reason);
  return change.subscriptionId;
}

const OwnerStringBody = Type.Object({ DATA_TYPE: Type.Optional(Type.String({ maxLength: 64 })), identity_id: Uuid() }, { additionalProperties: true });

const SubscriptionId = Type.String({ pattern: '^(DEFAULT|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$' });
const EndpointBody = Type.Object(
  {
    DATA_TYPE: Type.Optional(Type.String({ maxLength: 64 })),
    display_name: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 128 }))),
    organization: Type.Optional(Nullable(Type.String({ maxLength: 1024 }))),
    department: Type.Optional(Nullable(Type.String({ maxLength: 1024 }))),
    description: Type.Optional(Nullable(Type.String({ maxLength: 4096 }))),
    contact_email: Type.Optional(Nullable(Type.String({ maxLength: 256 }))),
    contact_info: Type.Optional(Nullable(Type.String({ maxLength: 4096 }))),
    info_link: Type.Optional(Nullable(Type.String({ maxLength: 1024 }))),
    keywords: Type.Optional(Nullable(Type.Array(Type.String({ maxLength: 1024 }), { maxItems: 100 }))),
    public: Type.Optional(Nullable(Bool())),
    allow_udt: Type.Optional(Nullable(Bool())),
    network_use: Type.Optional(Nullable(Type.Union([Type.Literal('normal'), Type.Literal('minimal'), Type.Literal('aggressive'), Type.Literal('custom')]))),
    max_concurrency: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 1000 }))),
    max_parallelism: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 1000 }))),
    preferred_concurrency: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 1000 }))),
    preferred_parallelism: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 1000 }))),
    subscription_id: Type.Optional(Nullable(SubscriptionId)),
    gridftp_control_channel_port: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 65535 }))),
  },
  { additionalProperties: true },
);

const ENDPOINT_RULES: FieldRules = {
  fields: documentFields(EndpointBody),
  readOnly: ['id', 'gcs_manager_url', 'earliest_last_access'],
  immutable: [],
  booleans: ['public', 'allow_udt'],
};
const KNOWN_ENDPOINT_FIELDS = new Set(Object.keys(EndpointBody.properties));

export async function endpointRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const { store, config } = ctx;

  app.get(
    '/api/info',
    { config: { caller: 'none' }, schema: { querystring: Type.Object(PagingQuery), response: responses(200), tags: ['gcs'] } },
    async (request, reply) => {
      const endpoint = await loadEndpoint(store.db);
      return result(
        reply,
        [
          {
            DATA_TYPE: 'info#1.0.0',
            api_version: API_VERSION,
            client_id: endpoint.id,
            domain_name: endpointHostName(endpoint, config.domain),
            endpoint_id: endpoint.id,
            manager_version: MANAGER_VERSION,
          },
          ...CONNECTORS.map((c) => ({ DATA_TYPE: 'connector#1.1.0', ...c, version: MANAGER_VERSION, is_ha: false, is_baa: false })),
        ],
        { dataType: 'result#1.1.0' },
      );
    },
  );

  app.get('/api/endpoint', { config: { caller: GCS_VIEWER }, schema: { response: responses(200), tags: ['gcs'] } }, async (request, reply) => {
    const caller = await loadCaller(store.db, request);
    enforce(await endpointVisibility(store.db, caller));
    return result(reply, [endpointDocument(caller.endpoint, managerOrigin(config.publicUrl, endpointDomain(caller.endpoint)))]);
  });

  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/api/endpoint',
      schema: { body: EndpointBody, querystring: Type.Object({ include: ListParam() }), response: responses(200), tags: ['gcs'] },
      handler: async (request, reply) => {
        const body = request.body as Record<string, unknown>;
        const include = ((request.query as { include?: string[] }).include ?? []).flatMap((s) => s.split(','));
        checkDataType(body, 'endpoint');
        const updated = await store.tx(async (db) => {
          const caller = await loadCaller(db, request, { lockEndpoint: true });
          enforce(canManageEndpoint(caller.held));
          // Unknown top-level fields are dropped rather than stored: the endpoint document is closed.
          const known = Object.fromEntries(Object.entries(body).filter(([k]) => KNOWN_ENDPOINT_FIELDS.has(k) && k !== 'subscription_id'));
          const next = mergeDocument(method === 'PUT' ? 'put' : 'patch', caller.endpoint.doc, known, ENDPOINT_RULES);
          for (const f of ENDPOINT_SIDE_FIELDS) if (caller.endpoint.doc[f] !== undefined) next[f] = caller.endpoint.doc[f];
          // The subscription follows the subscription_id route's rules; a PUT that omits it keeps it.
          const current = (caller.endpoint.doc.subscription_id as string | null | undefined) ?? null;
          if (body.subscription_id !== undefined && body.subscription_id !== current)
            next.subscription_id = await resolveSubscription(db, caller, body.subscription_id as string | null);
          else next.subscription_id = current;
          if (method === 'PUT') requireFields(next, ['display_name']);
          if (next.network_use === 'custom') {
            const missing = ['max_concurrency', 'preferred_concurrency', 'max_parallelism', 'preferred_parallelism'].filter((f) => typeof next[f] !== 'number');
            if (missing.length) throw invalidInput(missing.map((f) => `network_use custom requires ${f}`));
          }
          await db
            .updateTable('endpoints')
            .set({ document: toJson(next) })
            .where('id', '=', caller.endpoint.id)
            .execute();
          return { ...caller.endpoint, doc: next, public: next.public !== false };
        });
        const data = include.includes('endpoint') ? [endpointDocument(updated, managerOrigin(config.publicUrl, endpointDomain(updated)))] : [];
        return result(reply, data, { message: `Updated endpoint ${updated.id}` });
      },
    });
  }

  app.put(
    '/api/endpoint/owner',
    {
      schema: {
        body: Type.Object({ DATA_TYPE: Type.Optional(Type.String({ maxLength: 64 })), identity_id: Uuid() }, { additionalProperties: true }),
        response: responses(200),
        tags: ['gcs'],
      },
    },
    async (request, reply) => {
      const body = request.body as { identity_id: string };
      checkDataType(body, 'endpoint_owner');
      const id = body.identity_id.toLowerCase();
      await store.tx(async (db) => {
        const caller = await loadCaller(db, request, { lockEndpoint: true });
        enforce(canManageEndpoint(caller.held));
        if (id === caller.endpoint.id) throw invalidInput('The endpoint client cannot own the endpoint', 'identity_id');
        if (!(await findById(db, id))) throw invalidInput(`Unknown identity ${id}`, 'identity_id');
        await db.updateTable('endpoints').set({ owner_id: id }).where('id', '=', caller.endpoint.id).execute();
      });
      return result(reply, [], { message: `Updated endpoint owner to ${id}` });
    },
  );

  // Subscription managers are admins of the Groups group carrying that subscription_id; no role is needed to set one's own.
  app.put(
    '/api/endpoint/subscription_id',
    {
      schema: {
        body: Type.Object(
          { DATA_TYPE: Type.Optional(Type.String({ maxLength: 64 })), subscription_id: Nullable(SubscriptionId) },
          { additionalProperties: true },
        ),
        response: responses(200),
        tags: ['gcs'],
      },
    },
    async (request, reply) => {
      const body = request.body as { subscription_id: string | null };
      checkDataType(body, 'endpoint_subscription');
      const subscriptionId = await store.tx(async (db) => {
        const caller = await loadCaller(db, request, { lockEndpoint: true });
        const next = await resolveSubscription(db, caller, body.subscription_id);
        await db
          .updateTable('endpoints')
          .set({ document: toJson({ ...caller.endpoint.doc, subscription_id: next }) })
          .where('id', '=', caller.endpoint.id)
          .execute();
        return next;
      });
      return result(reply, [], { message: subscriptionId ? `Updated endpoint subscription to ${subscriptionId}` : 'Removed endpoint subscription' });
    },
  );

  // The advertised owner only changes what Transfer displays; it confers nothing.
  app.put('/api/endpoint/owner_string', { schema: { body: OwnerStringBody, response: responses(200), tags: ['gcs'] } }, async (request, reply) => {
    const body = request.body as { identity_id: string };
    checkDataType(body, 'owner_string');
    const ownerString = await store.tx(async (db) => {
      const caller = await loadCaller(db, request, { lockEndpoint: true });
      enforce(canAdministerEndpoint(caller.held));
      const identity = await callerIdentity(caller, body.identity_id);
      await db
        .updateTable('endpoints')
        .set({ document: toJson({ ...caller.endpoint.doc, owner_string: identity.username }) })
        .where('id', '=', caller.endpoint.id)
        .execute();
      return identity.username;
    });
    return result(reply, [], { message: `Updated endpoint owner string to ${ownerString}` });
  });

  app.delete('/api/endpoint/owner_string', { schema: { response: responses(200), tags: ['gcs'] } }, async (request, reply) => {
    await store.tx(async (db) => {
      const caller = await loadCaller(db, request, { lockEndpoint: true });
      enforce(canAdministerEndpoint(caller.held));
      const doc = { ...caller.endpoint.doc };
      delete doc.owner_string;
      await db
        .updateTable('endpoints')
        .set({ document: toJson(doc) })
        .where('id', '=', caller.endpoint.id)
        .execute();
    });
    return result(reply, [], { message: 'Reset endpoint owner string to the endpoint client' });
  });
}
