// Collection administration beside the document: check, batch delete, owner, advertised owner string, subscription verification.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../../context.ts';
import { toJson } from '../../store/db.ts';
import { findById } from '../../auth/identities.ts';
import {
  canAdministerCollection,
  canCheckCollections,
  canResetCollectionOwnerString,
  canSetCollectionOwner,
  canSetCollectionOwnerString,
  canVerifyForSubscription,
} from '../../authz/gcs.ts';
import { callerIdentity, enforce, loadCaller } from '../caller.ts';
import { Bool, IdParams, ListParam, Uuid, checkDataType, csvValues, toBool } from '../documents/request.ts';
import { PagingQuery, gcsError, invalidInput, keysetPage, responses, result } from '../envelope.ts';
import { findCollection, loadCollection, toCollection, type Collection } from '../collection-repo.ts';
import { checkResultDocument, collectionHealth } from '../collection-health.ts';
import { subscriptionsManagedBy } from '../subscriptions.ts';
import { collectionFetcher, collectionTypes, compareDate, parseFilters } from '../collection-filters.ts';
import { deleteCollection } from '../collection-repo.ts';
import { subscriptionRequired } from '../refusals.ts';
import { viewContext } from '../collection-view.ts';

const IdentityBody = Type.Object({ DATA_TYPE: Type.Optional(Type.String({ maxLength: 64 })), identity_id: Uuid() }, { additionalProperties: true });
const BatchBody = Type.Object(
  { DATA_TYPE: Type.Optional(Type.String({ maxLength: 64 })), ids: Type.Array(Uuid(), { maxItems: 1000 }) },
  { additionalProperties: true },
);
const VerifiedBody = Type.Object(
  { DATA_TYPE: Type.Optional(Type.String({ maxLength: 64 })), subscription_admin_verified: Bool() },
  { additionalProperties: true },
);

export async function collectionAdminRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const { store, config } = ctx;
  const one = (request: FastifyRequest) => (request.params as { collection_id: string }).collection_id;

  app.get(
    '/api/collections/check',
    {
      schema: {
        querystring: Type.Object({
          filter: ListParam(),
          mapped_collection_id: Type.Optional(Uuid()),
          storage_gateway_id: Type.Optional(Uuid()),
          ...PagingQuery,
        }),
        response: responses(200),
        tags: ['gcs'],
      },
    },
    async (request, reply) => {
      const q = request.query as { filter?: string[]; mapped_collection_id?: string; storage_gateway_id?: string; page_size?: number; marker?: string };
      const { named, dates } = parseFilters(csvValues(q.filter));
      const caller = await loadCaller(store.db, request);
      enforce(canCheckCollections(caller.held));
      const types = collectionTypes(named);
      if (types.length === 0) return result(reply, []);
      const page = await keysetPage({
        fetch: collectionFetcher(store.db, types, q, named.has('created_by_me') ? caller.auth!.identitySet : undefined),
        keep: (c) => {
          if (named.has('managed_by_me') && !caller.held.some((r) => r.collection_id === c.row.id)) return false;
          if (!dates.every((d) => compareDate(d.field === 'created_at' ? (c.doc.created_at ?? null) : (c.doc.last_access ?? null), d.op, d.value)))
            return false;
          return canAdministerCollection(caller.held, c.ref).allowed;
        },
        key: (c) => c.row.id,
        pageSize: q.page_size ?? 100,
        marker: q.marker,
      });
      const docs = [];
      for (const c of page.items) docs.push(checkResultDocument(c.row.id, await collectionHealth(store.db, c, caller.accountGroups)));
      return result(reply, docs, { marker: page.marker });
    },
  );

  app.get(
    '/api/collections/:collection_id/check',
    { schema: { params: IdParams('collection_id'), response: responses(200), tags: ['gcs'] } },
    async (request, reply) => {
      const caller = await loadCaller(store.db, request);
      const collection = await loadCollection(store.db, one(request));
      enforce(canAdministerCollection(caller.held, collection.ref));
      return result(reply, [checkResultDocument(collection.row.id, await collectionHealth(store.db, collection, caller.accountGroups))]);
    },
  );

  // Accepted (202) but performed before answering: clients must not rely on the deletion being immediate, so doing it now is allowed.
  app.post('/api/collections/batch_delete', { schema: { body: BatchBody, response: responses(202), tags: ['gcs'] } }, async (request, reply) => {
    const body = request.body as { ids: string[] };
    checkDataType(body, 'batch');
    const deleted = await store.tx(async (db) => {
      const caller = await loadCaller(db, request);
      const found: Collection[] = [];
      for (const id of new Set(body.ids.map((i) => i.toLowerCase()))) {
        const c = await findCollection(db, id, { forUpdate: true });
        if (c) found.push(c);
      }
      const mapped = found.filter((c) => c.row.collection_type !== 'guest');
      if (mapped.length)
        throw invalidInput(
          mapped.map((c) => `Collection ${c.row.id} is a mapped collection: batch_delete deletes guest collections only`),
          'ids',
        );
      for (const c of found) enforce(canAdministerCollection(caller.held, c.ref));
      for (const c of found) await deleteCollection(db, c);
      return found.map((c) => c.row.id);
    });
    return result(reply, [], { status: 202, message: `Deleting ${deleted.length} guest collection(s)` });
  });

  app.put(
    '/api/collections/:collection_id/owner',
    { schema: { params: IdParams('collection_id'), body: IdentityBody, response: responses(200), tags: ['gcs'] } },
    async (request, reply) => {
      const body = request.body as { identity_id: string };
      checkDataType(body, 'collection_owner');
      const identityId = body.identity_id.toLowerCase();
      const { updated, caller } = await store.tx(async (db) => {
        const caller = await loadCaller(db, request);
        enforce(canSetCollectionOwner(caller.held));
        const collection = await loadCollection(db, one(request), { forUpdate: true });
        if (collection.row.collection_type !== 'mapped') throw invalidInput('Only a mapped collection can be given a new owner', 'identity_id');
        if (identityId === caller.endpoint.id) throw invalidInput('The endpoint client cannot own a collection', 'identity_id');
        if (!(await findById(db, identityId))) throw invalidInput(`Unknown identity ${identityId}`, 'identity_id');
        // The owner's undeletable administrator role moves with ownership; a plain duplicate of it is absorbed.
        const principal = `urn:globus:auth:identity:${identityId}`;
        await db
          .deleteFrom('gcs_roles')
          .where('collection_id', '=', collection.row.id)
          .where('principal', '=', principal)
          .where('role', '=', 'administrator')
          .where('protected', '=', 0)
          .execute();
        await db
          .updateTable('gcs_roles')
          .set({ principal })
          .where('collection_id', '=', collection.row.id)
          .where('role', '=', 'administrator')
          .where('protected', '=', 1)
          .execute();
        await db.updateTable('collections').set({ identity_id: identityId }).where('id', '=', collection.row.id).execute();
        return { updated: toCollection({ ...collection.row, identity_id: identityId }), caller };
      });
      return result(reply, [await viewContext(store.db, caller).render(updated, true, config.publicUrl)], {
        message: `Updated collection owner to ${identityId}`,
      });
    },
  );

  // The advertised owner only changes what Transfer displays; it confers nothing.
  app.put(
    '/api/collections/:collection_id/owner_string',
    { schema: { params: IdParams('collection_id'), body: IdentityBody, response: responses(200), tags: ['gcs'] } },
    async (request, reply) => {
      const body = request.body as { identity_id: string };
      checkDataType(body, 'owner_string');
      const ownerString = await store.tx(async (db) => {
        const caller = await loadCaller(db, request);
        const collection = await loadCollection(db, one(request), { forUpdate: true });
        enforce(canSetCollectionOwnerString(caller.held, collection.ref));
        const identity = await callerIdentity(caller, body.identity_id);
        await db
          .updateTable('collections')
          .set({ document: toJson({ ...collection.doc, owner_string: identity.username }) })
          .where('id', '=', collection.row.id)
          .execute();
        return identity.username;
      });
      return result(reply, [], { message: `Updated collection owner string to ${ownerString}` });
    },
  );

  app.delete(
    '/api/collections/:collection_id/owner_string',
    { schema: { params: IdParams('collection_id'), response: responses(200), tags: ['gcs'] } },
    async (request, reply) => {
      await store.tx(async (db) => {
        const caller = await loadCaller(db, request);
        const collection = await loadCollection(db, one(request), { forUpdate: true });
        enforce(canResetCollectionOwnerString(caller.held, collection.ref));
        const doc = { ...collection.doc };
        delete doc.owner_string;
        await db
          .updateTable('collections')
          .set({ document: toJson(doc) })
          .where('id', '=', collection.row.id)
          .execute();
      });
      return result(reply, [], { message: 'Reset collection owner string to the endpoint client' });
    },
  );

  app.put(
    '/api/collections/:collection_id/subscription_admin_verified',
    { schema: { params: IdParams('collection_id'), body: VerifiedBody, response: responses(200), tags: ['gcs'] } },
    async (request, reply) => {
      const body = request.body as { subscription_admin_verified: boolean | string };
      checkDataType(body, 'subscription_admin_verified');
      const { updated, caller } = await store.tx(async (db) => {
        const caller = await loadCaller(db, request);
        const collection = await loadCollection(db, one(request), { forUpdate: true });
        const verdict = canVerifyForSubscription({
          endpointSubscription: caller.endpoint.doc.subscription_id as string | null | undefined,
          managed: await subscriptionsManagedBy(db, caller.auth!.identitySet),
        });
        if (verdict === 'unsubscribed') throw subscriptionRequired('The endpoint has no subscription to verify collections for');
        if (verdict === 'not_manager') throw gcsError(403, 'Caller is not an administrator of the endpoint subscription');
        const doc = { ...collection.doc, subscription_admin_verified: toBool(body.subscription_admin_verified) === true };
        await db
          .updateTable('collections')
          .set({ document: toJson(doc) })
          .where('id', '=', collection.row.id)
          .execute();
        return { updated: toCollection({ ...collection.row, document: toJson(doc) }), caller };
      });
      return result(reply, [await viewContext(store.db, caller).render(updated, false, config.publicUrl)], { message: `Updated collection ${updated.row.id}` });
    },
  );
}
