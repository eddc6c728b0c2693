// /api/sharing_policies: per-user path restrictions on what a mapped collection's guests may share.
import type { FastifyInstance } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../store/db.ts';
import { nowSeconds, toJson } from '../../store/db.ts';
import { newId } from '../../auth/secrets.ts';
import { applicableSharingPolicies, canManageSharingPolicies } from '../../authz/gcs.ts';
import { invalidRestrictionPaths } from '../../authz/paths.ts';
import { enforce, loadCaller, type Caller } from '../caller.ts';
import { IdParams, Nullable, PathRestrictionsSchema, StringList, Uuid, checkDataType } from '../documents/request.ts';
import { PagingQuery, gcsError, invalidInput, keysetPage, responses, result } from '../envelope.ts';
import { findCollection, type Collection } from '../collection-repo.ts';
import { sharingPolicyDocument } from '../documents/sharing-policy.ts';
import { toSharingPolicy } from '../sharing-policy-repo.ts';

const PolicyBody = Type.Object(
  {
    DATA_TYPE: Type.Optional(Type.String({ maxLength: 64 })),
    collection_id: Uuid(),
    sharing_restrict_paths: PathRestrictionsSchema,
    users: Type.Optional(Nullable(StringList())),
  },
  { additionalProperties: true },
);

/** The mapped collection a policy belongs to, after the caller's right to manage its policies. */
async function mappedFor(db: Db, caller: Caller, collectionId: string, missing: 'input' | 'not_found'): Promise<Collection> {
  const collection = await findCollection(db, collectionId);
  if (!collection)
    throw missing === 'input'
      ? invalidInput(`Collection ${collectionId} does not exist`, 'collection_id')
      : gcsError(404, `Collection ${collectionId} not found`);
  enforce(canManageSharingPolicies(caller.held, collection.ref));
  if (collection.row.collection_type !== 'mapped') throw invalidInput('Sharing policies belong to mapped collections', 'collection_id');
  return collection;
}

export async function sharingPolicyRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const { store } = ctx;

  app.get(
    '/api/sharing_policies',
    {
      schema: {
        querystring: Type.Object({ collection_id: Uuid(), username: Type.Optional(Type.String({ maxLength: 256 })), ...PagingQuery }),
        response: responses(200),
        tags: ['gcs'],
      },
    },
    async (request, reply) => {
      const q = request.query as { collection_id: string; username?: string; page_size?: number; marker?: string };
      const caller = await loadCaller(store.db, request);
      const mapped = await mappedFor(store.db, caller, q.collection_id.toLowerCase(), 'not_found');
      const page = await keysetPage({
        fetch: async (after, limit) => {
          let query = store.db.selectFrom('sharing_policies').selectAll().where('collection_id', '=', mapped.row.id).orderBy('id').limit(limit);
          if (after !== null) query = query.where('id', '>', after);
          return (await query.execute()).map(toSharingPolicy);
        },
        keep: (p) => q.username === undefined || applicableSharingPolicies([p], q.username).length > 0,
        key: (p) => p.row.id,
        pageSize: q.page_size ?? 100,
        marker: q.marker,
      });
      return result(reply, page.items.map(sharingPolicyDocument), { marker: page.marker });
    },
  );

  app.post('/api/sharing_policies', { schema: { body: PolicyBody, response: responses(201), tags: ['gcs'] } }, async (request, reply) => {
    const body = request.body as { collection_id: string; sharing_restrict_paths: Record<string, unknown>; users?: string[] | null };
    checkDataType(body, 'sharing_policy');
    checkDataType(body.sharing_restrict_paths, 'path_restrictions');
    const bad = invalidRestrictionPaths(body.sharing_restrict_paths);
    if (bad.length) throw invalidInput(bad.map((p) => `sharing_restrict_paths entry ${p} must be absolute`));
    const policy = await store.tx(async (db) => {
      const caller = await loadCaller(db, request);
      const mapped = await mappedFor(db, caller, body.collection_id.toLowerCase(), 'input');
      const doc = { users: body.users ?? null, sharing_restrict_paths: { ...body.sharing_restrict_paths, DATA_TYPE: 'path_restrictions#1.0.0' } };
      const row = { id: newId(), collection_id: mapped.row.id, document: toJson(doc), created_at: nowSeconds() };
      await db.insertInto('sharing_policies').values(row).execute();
      return toSharingPolicy(row);
    });
    return result(reply, [sharingPolicyDocument(policy)], { status: 201 });
  });

  const loadPolicy = async (db: Db, caller: Caller, id: string) => {
    const row = await db.selectFrom('sharing_policies').selectAll().where('id', '=', id.toLowerCase()).executeTakeFirst();
    if (!row) throw gcsError(404, `Sharing policy ${id} not found`);
    await mappedFor(db, caller, row.collection_id, 'not_found');
    return toSharingPolicy(row);
  };

  app.get(
    '/api/sharing_policies/:sharing_policy_id',
    { schema: { params: IdParams('sharing_policy_id'), response: responses(200), tags: ['gcs'] } },
    async (request, reply) => {
      const caller = await loadCaller(store.db, request);
      return result(reply, [sharingPolicyDocument(await loadPolicy(store.db, caller, (request.params as { sharing_policy_id: string }).sharing_policy_id))]);
    },
  );

  app.delete(
    '/api/sharing_policies/:sharing_policy_id',
    { schema: { params: IdParams('sharing_policy_id'), response: responses(200), tags: ['gcs'] } },
    async (request, reply) => {
      const id = await store.tx(async (db) => {
        const caller = await loadCaller(db, request);
        const policy = await loadPolicy(db, caller, (request.params as { sharing_policy_id: string }).sharing_policy_id);
        await db.deleteFrom('sharing_policies').where('id', '=', policy.row.id).execute();
        return policy.row.id;
      });
      return result(reply, [], { message: `Deleted sharing policy ${id}` });
    },
  );
}
