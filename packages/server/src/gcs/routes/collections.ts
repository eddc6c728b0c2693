// /api/collections and /api/collections/{id}: list, create, read, update (PUT/PATCH) and delete mapped and guest collections.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../../context.ts';
import { toJson } from '../../store/db.ts';
import { canAdministerCollection, guestInheritanceErrors } from '../../authz/gcs.ts';
import { invalidRestrictionPaths, type PathRestrictions } from '../../authz/paths.ts';
import { enforce, GCS_VIEWER, loadCaller } from '../caller.ts';
import { CollectionBody } from '../bodies.ts';
import { IdParams, checkConnectorPolicies, checkDataType, mergeDocument, requireFields, ListParam, csvValues } from '../documents/request.ts';
import { gcsError, invalidInput, keysetPage, responses, result } from '../envelope.ts';
import { COLLECTION_SIDE_FIELDS, mappedView } from '../documents/collection.ts';
import { deleteCollection, findCollection, loadCollection, toCollection } from '../collection-repo.ts';
import { connectorPrefix } from '../constants.ts';
import { findGateway } from '../gateway-repo.ts';
import { viewContext } from '../collection-view.ts';
import { checkGuestAuthPolicy, createGuest, createMapped } from '../collection-create.ts';
import { CollectionListQuery, collectionFetcher, collectionTypes, compareDate, parseFilters } from '../collection-filters.ts';
import { collectionFieldRules } from '../collection-fields.ts';

export async function collectionRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const { store, config } = ctx;

  app.get(
    '/api/collections',
    { config: { caller: GCS_VIEWER }, schema: { querystring: CollectionListQuery, response: responses(200), tags: ['gcs'] } },
    async (request, reply) => {
      const q = request.query as {
        filter?: string[];
        include?: string[];
        mapped_collection_id?: string;
        storage_gateway_id?: string;
        page_size?: number;
        marker?: string;
      };
      const { named, dates } = parseFilters(csvValues(q.filter));
      const caller = await loadCaller(store.db, request);
      const view = viewContext(store.db, caller);
      const identities = caller.auth?.identitySet ?? [];
      if (named.has('created_by_me') && identities.length === 0) return result(reply, []);
      const types = collectionTypes(named);
      if (types.length === 0) return result(reply, []);
      const page = await keysetPage({
        fetch: collectionFetcher(store.db, types, q, named.has('created_by_me') ? identities : undefined),
        keep: async (c) => {
          if (named.has('managed_by_me') && !caller.held.some((r) => r.collection_id === c.row.id)) return false;
          if (!dates.every((d) => compareDate(d.field === 'created_at' ? (c.doc.created_at ?? null) : (c.doc.last_access ?? null), d.op, d.value)))
            return false;
          return (await view.visibility(c)).allowed;
        },
        key: (c) => c.row.id,
        pageSize: q.page_size ?? 100,
        marker: q.marker,
      });
      const includePrivate = csvValues(q.include).includes('private_policies');
      await view.prefetch(page.items);
      return result(reply, await Promise.all(page.items.map((c) => view.render(c, includePrivate, config.publicUrl))), { marker: page.marker });
    },
  );

  app.post('/api/collections', { schema: { body: CollectionBody, response: responses(201), tags: ['gcs'] } }, async (request, reply) => {
    const body = request.body as Record<string, unknown>;
    checkDataType(body, 'collection');
    const created = await store.tx(async (db) => {
      const caller = await loadCaller(db, request);
      requireFields(body, ['collection_type', 'display_name', 'collection_base_path', 'public']);
      const c = body.collection_type === 'guest' ? await createGuest(db, config, caller, body) : await createMapped(db, config, caller, body);
      return { c, caller };
    });
    const doc = await viewContext(store.db, {
      ...created.caller,
      held: [...created.caller.held, { id: '', collection_id: created.c.row.id, principal: '', role: 'administrator' }],
    }).render(created.c, true, config.publicUrl);
    return result(reply, [doc], { status: 201 });
  });

  const one = (request: FastifyRequest) => (request.params as { collection_id: string }).collection_id;

  app.get(
    '/api/collections/:collection_id',
    {
      config: { caller: GCS_VIEWER },
      schema: { params: IdParams('collection_id'), querystring: Type.Object({ include: ListParam() }), response: responses(200), tags: ['gcs'] },
    },
    async (request, reply) => {
      const caller = await loadCaller(store.db, request);
      const collection = await loadCollection(store.db, one(request));
      const view = viewContext(store.db, caller);
      enforce(await view.visibility(collection));
      const includePrivate = csvValues((request.query as { include?: string[] }).include).includes('private_policies');
      return result(reply, [await view.render(collection, includePrivate, config.publicUrl)]);
    },
  );

  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/api/collections/:collection_id',
      schema: {
        params: IdParams('collection_id'),
        body: CollectionBody,
        querystring: Type.Object({ include: ListParam() }),
        response: responses(200),
        tags: ['gcs'],
      },
      handler: async (request, reply) => {
        const body = request.body as Record<string, unknown>;
        checkDataType(body, 'collection');
        const { updated, caller } = await store.tx(async (db) => {
          const caller = await loadCaller(db, request);
          const collection = await loadCollection(db, one(request), { forUpdate: true });
          enforce(canAdministerCollection(caller.held, collection.ref));
          const type = collection.row.collection_type;
          const stored = {
            ...collection.doc,
            collection_type: type,
            storage_gateway_id: collection.row.storage_gateway_id,
            mapped_collection_id: collection.row.mapped_collection_id ?? undefined,
          };
          const next = mergeDocument(method === 'PUT' ? 'put' : 'patch', stored, body, collectionFieldRules(type));
          // Set at creation or by their own routes, kept through PUT.
          for (const f of COLLECTION_SIDE_FIELDS) if (collection.doc[f] !== undefined) next[f] = collection.doc[f];
          if (method === 'PUT') requireFields(next, ['display_name', 'public']);
          const gateway = await findGateway(db, collection.row.storage_gateway_id);
          checkConnectorPolicies(next.policies, 'collection', connectorPrefix(gateway?.row.connector_id ?? ''));
          let credentialId = collection.row.user_credential_id;
          if (type === 'guest') {
            const mapped = await findCollection(db, collection.row.mapped_collection_id!);
            const inheritance = guestInheritanceErrors(mapped ? mappedView(mapped) : {}, {
              enable_https: next.enable_https as boolean | undefined,
              https_methods: next.https_methods as string[] | undefined,
            });
            if (inheritance.length) throw invalidInput(inheritance);
            if (typeof next.user_credential_id === 'string' && next.user_credential_id.toLowerCase() !== credentialId) {
              const cred = await db.selectFrom('user_credentials').selectAll().where('id', '=', next.user_credential_id.toLowerCase()).executeTakeFirst();
              if (!cred || cred.identity_id !== collection.row.identity_id || cred.storage_gateway_id !== collection.row.storage_gateway_id) {
                throw gcsError(403, 'Invalid user credential', { DATA_TYPE: 'invalid_credential#1.0.0', user_credential_id: next.user_credential_id });
              }
              credentialId = cred.id;
            }
          } else {
            const bad = invalidRestrictionPaths(next.sharing_restrict_paths as PathRestrictions | undefined);
            if (bad.length) throw invalidInput(bad.map((p) => `sharing_restrict_paths entry ${p} must be absolute`));
            if (next.guest_auth_policy_id !== collection.doc.guest_auth_policy_id) await checkGuestAuthPolicy(db, next);
          }
          for (const f of ['collection_type', 'storage_gateway_id', 'mapped_collection_id', 'user_credential_id']) delete next[f];
          const isPublic = next.public === false ? 0 : 1;
          await db
            .updateTable('collections')
            .set({ document: toJson(next), public: isPublic, user_credential_id: credentialId })
            .where('id', '=', collection.row.id)
            .execute();
          return { updated: toCollection({ ...collection.row, document: toJson(next), public: isPublic, user_credential_id: credentialId }), caller };
        });
        return result(reply, [await viewContext(store.db, caller).render(updated, true, config.publicUrl)], {
          message: `Updated collection ${updated.row.id}`,
        });
      },
    });
  }

  app.delete(
    '/api/collections/:collection_id',
    { schema: { params: IdParams('collection_id'), response: responses(200), tags: ['gcs'] } },
    async (request, reply) => {
      const id = await store.tx(async (db) => {
        const caller = await loadCaller(db, request);
        const collection = await loadCollection(db, one(request), { forUpdate: true });
        enforce(canAdministerCollection(caller.held, collection.ref));
        if (collection.row.collection_type === 'mapped' && mappedView(collection).delete_protected !== false) {
          throw gcsError(409, `Collection ${collection.row.id} is delete protected`, { DATA_TYPE: 'resource_conflict#1.0.0', resources: [collection.row.id] });
        }
        await deleteCollection(db, collection);
        return collection.row.id;
      });
      return result(reply, [], { message: `Deleted collection ${id}` });
    },
  );
}
