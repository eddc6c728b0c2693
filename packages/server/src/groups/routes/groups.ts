// Groups routes for groups themselves: /v2/groups (create), my_groups, statuses, /v2/groups/{group_id} (get, update, delete) and its children.
import type { FastifyInstance } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../../context.ts';
import { nowSeconds, toJson } from '../../store/db.ts';
import { lockRow } from '../../store/locking.ts';
import { newId } from '../../auth/secrets.ts';
import {
  MEMBERSHIP_STATUSES,
  decideGroupCreation,
  decideGroupDeletion,
  decideGroupUpdate,
  decideSubgroupCreation,
  isManagerOrAdmin,
} from '../../authz/groups.ts';
import {
  addCreatorAsAdmin,
  DEFAULT_POLICIES,
  asState,
  childIds,
  groupDocument,
  membershipDocument,
  membershipsOf,
  mergePolicies,
  type PolicyPatch,
} from '../repo.ts';
import { GroupCreate, GroupDoc, GroupWrite, StatusCounts } from '../schemas.ts';
import type { GroupRow } from '../tables.ts';
import { GroupParams, ListQuery, caller, groupIdOf, includeOf, listParam } from '../requests.ts';
import { fullGroup, groupBy, viewGroup, visibleChildIds } from '../view.ts';
import { enforce } from '../decisions.ts';

export async function groupRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const { store } = ctx;

  app.get(
    '/v2/groups/my_groups',
    { schema: { querystring: ListQuery('statuses'), response: { 200: Type.Array(GroupDoc) }, tags: ['groups'] } },
    async (request) => {
      const auth = caller(request);
      const statuses = listParam((request.query as { statuses?: string[] }).statuses, MEMBERSHIP_STATUSES, 'statuses') ?? ['active'];
      const wanted = statuses.length ? statuses : ['active'];
      const mine = (await membershipsOf(store.db, auth.identitySet)).filter((m) => wanted.includes(m.status));
      if (mine.length === 0) return [];
      // A semi-join rather than binding every group id: a user may be in thousands of groups.
      const memberOf = store.db.selectFrom('group_memberships').select('group_id').where('identity_id', 'in', auth.identitySet).where('status', 'in', wanted);
      const rows = await store.db.selectFrom('groups').selectAll().where('id', 'in', memberOf).orderBy('name').orderBy('id').execute();
      // One pass over the memberships: a user in thousands of groups must not cost groups × memberships.
      const byGroup = groupBy(mine, (m) => m.group_id);
      return rows.map((row) => groupDocument(row, { my_memberships: (byGroup.get(row.id) ?? []).map((m) => membershipDocument(m)) }));
    },
  );

  app.get('/v2/groups/statuses', { schema: { response: { 200: Type.Record(Type.String(), StatusCounts) }, tags: ['groups'] } }, async (request) => {
    const auth = caller(request);
    const mine = await membershipsOf(store.db, auth.identitySet);
    // Status counts are for the groups the caller runs.
    const managed = [...new Set(mine.filter((m) => isManagerOrAdmin([asState(m)])).map((m) => m.group_id))];
    const out: Record<string, Record<string, number>> = {};
    for (const id of managed) out[id] = Object.fromEntries(MEMBERSHIP_STATUSES.map((s) => [s, 0]));
    if (managed.length === 0) return out;
    const counts = await store.db
      .selectFrom('group_memberships')
      .select(['group_id', 'status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('group_id', 'in', managed)
      .groupBy(['group_id', 'status'])
      .execute();
    for (const c of counts) if (c.status in out[c.group_id]) out[c.group_id][c.status] = Number(c.n);
    return out;
  });

  app.post('/v2/groups', { schema: { body: GroupCreate, response: { 201: GroupDoc }, tags: ['groups'] } }, async (request, reply) => {
    const auth = caller(request, true);
    const body = request.body as {
      name: string;
      description?: string | null;
      terms_and_conditions?: string | null;
      parent_id?: string | null;
      policies?: PolicyPatch | null;
    };
    const doc = await store.tx(async (db) => {
      // The creator's row is locked while its memberships are counted and its new one added.
      await lockRow(db, 'identities', auth.identityId);
      const active = await db
        .selectFrom('group_memberships')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('identity_id', 'in', auth.identitySet)
        .where('status', '=', 'active')
        .executeTakeFirstOrThrow();
      enforce(decideGroupCreation(Number(active.n)));
      let parentId: string | null = null;
      if (body.parent_id) {
        const parent = await viewGroup(db, body.parent_id, auth);
        enforce(decideSubgroupCreation(parent.mine.map(asState)));
        parentId = parent.row.id;
      }
      const row: GroupRow = {
        id: newId(),
        name: body.name,
        description: body.description ?? null,
        terms_and_conditions: body.terms_and_conditions ?? null,
        parent_id: parentId,
        group_type: 'regular',
        policies: toJson(mergePolicies(DEFAULT_POLICIES, body.policies ?? {})),
        allow_join: 0,
        subscription_id: null,
        subscription_info: null,
        subscription_admin_verified_id: null,
        created_at: nowSeconds(),
      };
      await db.insertInto('groups').values(row).execute();
      await addCreatorAsAdmin(db, row.id, auth.identityId);
      return groupDocument(row);
    });
    reply.status(201);
    return doc;
  });

  app.get(
    '/v2/groups/:group_id',
    { schema: { params: GroupParams, querystring: ListQuery('include'), response: { 200: GroupDoc }, tags: ['groups'] } },
    async (request) => {
      const auth = caller(request);
      const include = includeOf(request);
      const view = await viewGroup(store.db, groupIdOf(request), auth);
      return fullGroup(store.db, view, auth, include);
    },
  );

  app.put('/v2/groups/:group_id', { schema: { params: GroupParams, body: GroupWrite, response: { 200: GroupDoc }, tags: ['groups'] } }, async (request) => {
    const auth = caller(request, true);
    const body = request.body as {
      name?: string;
      description?: string | null;
      terms_and_conditions?: string | null;
      subscription_admin_verified_id?: string | null;
    };
    return store.tx(async (db) => {
      const view = await viewGroup(db, groupIdOf(request), auth, true);
      enforce(decideGroupUpdate(view.mine.map(asState), { current: view.row.subscription_admin_verified_id, requested: body.subscription_admin_verified_id }));
      const patch: Partial<GroupRow> = {};
      if (body.name !== undefined) patch.name = body.name;
      if (body.description !== undefined) patch.description = body.description;
      if (body.terms_and_conditions !== undefined) patch.terms_and_conditions = body.terms_and_conditions;
      // The decision allowed only clearing it.
      if (body.subscription_admin_verified_id === null && view.row.subscription_admin_verified_id !== null) patch.subscription_admin_verified_id = null;
      if (Object.keys(patch).length) await db.updateTable('groups').set(patch).where('id', '=', view.row.id).execute();
      return groupDocument({ ...view.row, ...patch });
    });
  });

  app.delete('/v2/groups/:group_id', { schema: { params: GroupParams, response: { 200: GroupDoc }, tags: ['groups'] } }, async (request) => {
    const auth = caller(request, true);
    return store.tx(async (db) => {
      const view = await viewGroup(db, groupIdOf(request), auth, true);
      enforce(decideGroupDeletion(view.mine.map(asState), (await childIds(db, view.row.id)).length));
      await db.deleteFrom('group_memberships').where('group_id', '=', view.row.id).execute();
      await db.deleteFrom('group_membership_fields').where('group_id', '=', view.row.id).execute();
      await db.deleteFrom('groups').where('id', '=', view.row.id).execute();
      return groupDocument(view.row);
    });
  });

  app.get(
    '/v2/groups/:group_id/children',
    {
      schema: { params: GroupParams, querystring: ListQuery('include'), response: { 200: Type.Object({ children: Type.Array(GroupDoc) }) }, tags: ['groups'] },
    },
    async (request) => {
      const auth = caller(request);
      const include = includeOf(request);
      const view = await viewGroup(store.db, groupIdOf(request), auth);
      const children = [];
      for (const id of await visibleChildIds(store.db, view.row.id, auth)) {
        children.push(await fullGroup(store.db, await viewGroup(store.db, id, auth), auth, include));
      }
      return { children };
    },
  );
}
