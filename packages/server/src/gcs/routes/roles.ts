// /api/roles: endpoint and collection role assignments (immutable: create, read, delete).
import type { FastifyInstance } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../store/db.ts';
import { nowSeconds } from '../../store/db.ts';
import { newId } from '../../auth/secrets.ts';
import { normalizePrincipalUrn, principalUrns } from '../../authz/principals.ts';
import {
  ALL_ROLES,
  canCreateRole,
  canDeleteRole,
  canListAllRoles,
  endpointSubscribed,
  roleValidFor,
  roleVisible,
  type CollectionRef,
  type RoleAssignment,
} from '../../authz/gcs.ts';
import { enforce, loadCaller } from '../caller.ts';
import { IdParams, Nullable, Uuid, checkDataType, ListParam, csvValues } from '../documents/request.ts';
import { PagingQuery, gcsError, invalidInput, keysetPage, responses, result } from '../envelope.ts';
import { allRoleAssignments, findRole } from '../role-repo.ts';
import { findCollection, loadCollection } from '../collection-repo.ts';
import { roleDocument } from '../documents/role.ts';
import { type Endpoint } from '../endpoint-repo.ts';
import { subscriptionRequired } from '../refusals.ts';
import { gcsErrors } from '../errors.ts';

/** Collection roles are a premium feature: creating or deleting one needs a managed endpoint. */
function requireSubscriptionForCollectionRoles(endpoint: Endpoint): void {
  if (!endpointSubscribed(endpoint.doc.subscription_id as string | null | undefined))
    throw subscriptionRequired('Collection roles require a managed endpoint (one with a subscription_id)');
}

const PRINCIPAL_RE = /^urn:globus:(auth:identity|groups:id|auth:group):[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

const RoleBody = Type.Object(
  {
    DATA_TYPE: Type.Optional(Type.String({ maxLength: 64 })),
    collection: Type.Optional(Nullable(Uuid())),
    principal: Type.String({ maxLength: 128 }),
    role: Type.Union(ALL_ROLES.map((r) => Type.Literal(r))),
  },
  { additionalProperties: true },
);

/** The collection a role is scoped to, as authorization needs it (null for endpoint roles). */
async function roleScope(db: Db, role: RoleAssignment): Promise<CollectionRef | null> {
  if (!role.collection_id) return null;
  return (
    (await findCollection(db, role.collection_id))?.ref ?? {
      id: role.collection_id,
      collection_type: 'mapped',
      mapped_collection_id: null,
      storage_gateway_id: '',
      public: false,
    }
  );
}

export async function roleRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const { store } = ctx;

  app.get(
    '/api/roles',
    {
      schema: {
        querystring: Type.Object({ collection_id: Type.Optional(Uuid()), include: ListParam(), ...PagingQuery }),
        response: responses(200),
        tags: ['gcs'],
      },
    },
    async (request, reply) => {
      const q = request.query as { collection_id?: string; include?: string[]; page_size?: number; marker?: string };
      const caller = await loadCaller(store.db, request);
      const collection = q.collection_id ? (await loadCollection(store.db, q.collection_id)).ref : null;
      const all = csvValues(q.include).includes('all_roles');
      if (all) enforce(canListAllRoles(caller.held, collection));
      const mine = new Set(principalUrns(caller.principals));
      const roles = (await allRoleAssignments(store.db, caller.endpoint, { collectionId: collection?.id ?? null }))
        .filter((r) => all || mine.has(r.principal))
        .sort((a, b) => (a.id < b.id ? -1 : 1));
      const page = await keysetPage({
        fetch: async (after, limit) => roles.filter((r) => after === null || r.id > after).slice(0, limit),
        keep: () => true,
        key: (r) => r.id,
        pageSize: q.page_size ?? 100,
        marker: q.marker,
      });
      return result(reply, page.items.map(roleDocument), { marker: page.marker });
    },
  );

  app.post('/api/roles', { schema: { body: RoleBody, response: responses(200), tags: ['gcs'] } }, async (request, reply) => {
    const body = request.body as { collection?: string | null; principal: string; role: string };
    checkDataType(body, 'role');
    if (!PRINCIPAL_RE.test(body.principal)) throw invalidInput('principal must be urn:globus:auth:identity:<uuid> or urn:globus:groups:id:<uuid>', 'principal');
    const principal = normalizePrincipalUrn(body.principal).toLowerCase();
    const collectionId = body.collection ? body.collection.toLowerCase() : null;
    if (body.role === 'owner') throw invalidInput('The owner role moves with PUT /api/endpoint/owner', 'role');
    if (!roleValidFor(body.role, collectionId !== null))
      throw invalidInput(`role ${body.role} cannot be granted on ${collectionId ? 'a collection' : 'the endpoint'}`, 'role');
    const created = await store.tx(async (db) => {
      // The role's scope is locked (the endpoint record or the collection), so the exists check below cannot race another creation.
      const caller = await loadCaller(db, request, { lockEndpoint: collectionId === null });
      const collection = collectionId ? (await findCollection(db, collectionId, { forUpdate: true }))?.ref : null;
      if (collectionId && !collection) throw invalidInput(`Collection ${collectionId} does not exist`, 'collection');
      enforce(canCreateRole(caller.held, collection ?? null));
      if (collection) requireSubscriptionForCollectionRoles(caller.endpoint);
      const existing = await allRoleAssignments(db, caller.endpoint, { principals: [principal], collectionId });
      if (existing.some((r) => r.role === body.role)) {
        throw gcsErrors.error('exists', 'Role already exists', {
          detail: { DATA_TYPE: 'resource_conflict#1.0.0', resources: existing.filter((r) => r.role === body.role).map((r) => r.id) },
        });
      }
      const role: RoleAssignment = { id: newId(), collection_id: collectionId, principal, role: body.role };
      await db
        .insertInto('gcs_roles')
        .values({ id: role.id, collection_id: collectionId, scope_key: collectionId ?? '', principal, role: body.role, protected: 0, created_at: nowSeconds() })
        .execute();
      return role;
    });
    return result(reply, [roleDocument(created)]);
  });

  app.get('/api/roles/:role_id', { schema: { params: IdParams('role_id'), response: responses(200), tags: ['gcs'] } }, async (request, reply) => {
    const caller = await loadCaller(store.db, request);
    const role = await findRole(store.db, caller.endpoint, (request.params as { role_id: string }).role_id.toLowerCase());
    // Real GCS answers an unknown role id with 403, so ids cannot be probed.
    if (!role || !roleVisible(role, caller.principals, caller.held, await roleScope(store.db, role)))
      throw gcsError(403, 'Role not found or not visible to the caller');
    return result(reply, [roleDocument(role)]);
  });

  app.delete('/api/roles/:role_id', { schema: { params: IdParams('role_id'), response: responses(200), tags: ['gcs'] } }, async (request, reply) => {
    const id = (request.params as { role_id: string }).role_id.toLowerCase();
    await store.tx(async (db) => {
      const caller = await loadCaller(db, request);
      const role = await findRole(db, caller.endpoint, id);
      if (!role) throw gcsError(403, 'Role not found or not visible to the caller');
      enforce(canDeleteRole(caller.held, await roleScope(db, role)));
      if (role.collection_id) requireSubscriptionForCollectionRoles(caller.endpoint);
      if (role.protected) throw gcsError(409, `Role ${id} cannot be deleted`, { DATA_TYPE: 'resource_conflict#1.0.0', resources: [id] });
      await db.deleteFrom('gcs_roles').where('id', '=', id).execute();
    });
    return result(reply, [], { message: `Deleted role ${id}` });
  });
}
