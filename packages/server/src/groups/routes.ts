// Groups API v2 routes: groups CRUD, my_groups, statuses, children, policies, batch membership actions,
// preferences, membership_fields and subscriptions (spec groups-api.md).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../context.ts';
import type { Db } from '../store/db.ts';
import { fromJson, nowSeconds, toJson } from '../store/db.ts';
import { forUpdate, lockRow } from '../store/locking.ts';
import { type ApiError } from '../http/errors.ts';
import type { AuthContext } from '../auth/tokens.ts';
import { callerPolicy, requiredAuth } from '../auth/request-caller.ts';
import { GROUPS_RS, URN_SCOPE_PREFIX } from '../auth/scopes.ts';
import { findByIds } from '../auth/identities.ts';
import { newId } from '../auth/secrets.ts';
import { UUID_RE } from '../auth/uuid.ts';
import {
  MEMBERSHIP_ACTIONS,
  MEMBERSHIP_STATUSES,
  allowedActions,
  applyMembershipAction,
  callerRole,
  canViewGroup,
  canViewMembers,
  checkMembershipAction,
  isAdmin,
  isManagerOrAdmin,
  missingSignupFields,
  visibleMembership,
  type MembershipAction,
} from '../authz/groups.ts';
import {
  DEFAULT_POLICIES,
  allowAddOf,
  asState,
  childIds,
  groupDocument,
  groupMemberships,
  membershipDocument,
  membershipFieldsOf,
  membershipsOf,
  mergePolicies,
  nowIso,
  policiesOf,
  upsertMembership,
  type GroupIncludes,
  type MembershipDocument,
  type MembershipWithUsername,
  type PolicyPatch,
} from './repo.ts';
import {
  BatchBody,
  BatchResponse,
  GroupCreate,
  GroupDoc,
  GroupWrite,
  MembershipFieldsDoc,
  Nullable,
  PoliciesRead,
  PoliciesWrite,
  Preferences,
  StatusCounts,
  Uuid,
  type BatchItem,
} from './schemas.ts';
import type { GroupRow } from './tables.ts';
import { groupsErrors } from './errors.ts';

const RESOURCE_SERVERS = [GROUPS_RS, 'nexus.api.globus.org'];
/** Tokens that may change things; `view_my_groups_and_memberships` is read-only. */
const WRITE_SCOPES = [`${URN_SCOPE_PREFIX}${GROUPS_RS}:all`, `${URN_SCOPE_PREFIX}nexus.api.globus.org:groups`];
const INCLUDES = ['memberships', 'my_memberships', 'policies', 'allowed_actions', 'child_ids'];
/** OAS-G: callers with more than this many active memberships cannot create groups. */
const MAX_ACTIVE_MEMBERSHIPS = 1000;

const GroupParams = Type.Object({ group_id: Type.String({ maxLength: 64 }) });
const ListQuery = (name: string) => Type.Object({ [name]: Type.Optional(Type.Array(Type.String({ maxLength: 512 }), { maxItems: 32 })) });

const canWrite = (auth: AuthContext) => auth.scopes.some((s) => WRITE_SCOPES.includes(s));

/** `a,b` and `a&b` forms both arrive as a list after array coercion. */
function listParam(values: string[] | undefined, allowed: readonly string[], name: string): string[] | undefined {
  if (values === undefined) return undefined;
  const out = values.flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
  const bad = out.filter((v) => !allowed.includes(v));
  if (bad.length) throw groupsErrors.error('BAD_REQUEST', `Invalid ${name}: ${bad.join(', ')} (allowed: ${allowed.join(', ')})`);
  return out;
}

function notFound(id: string): ApiError {
  return groupsErrors.error('NOT_FOUND', `Group ${id} not found`);
}

interface GroupView {
  row: GroupRow;
  mine: MembershipWithUsername[];
}

/** The group as the caller may see it; private groups are indistinguishable from missing ones. `lock`: read for update (store/locking.ts). */
async function viewGroup(db: Db, groupId: string, auth: AuthContext, lock = false): Promise<GroupView> {
  if (!UUID_RE.test(groupId)) throw notFound(groupId);
  const q = db.selectFrom('groups').selectAll().where('id', '=', groupId.toLowerCase());
  // Concurrent writes on one group serialize, so the last-admin check and policy merges cannot race.
  const row = await (lock ? forUpdate(db, q) : q).executeTakeFirst();
  if (!row) throw notFound(groupId);
  const mine = await membershipsOf(db, auth.identitySet, [row.id]);
  if (!canViewGroup(policiesOf(row), mine.map(asState))) throw notFound(groupId);
  return { row, mine };
}

async function fullGroup(db: Db, view: GroupView, auth: AuthContext, include: string[]): Promise<ReturnType<typeof groupDocument>> {
  const { row, mine } = view;
  const states = mine.map(asState);
  const policies = policiesOf(row);
  const inc: GroupIncludes = {};
  if (include.includes('memberships') && canViewMembers(policies, states)) {
    const role = callerRole(states);
    const all = (await groupMemberships(db, row.id)).filter((m) => visibleMembership(role, asState(m)));
    // Signup answers are for the people who approve members.
    const fields = isManagerOrAdmin(states) ? await membershipFieldsOf(db, row.id, all.map((m) => m.identity_id)) : new Map();
    inc.memberships = all.map((m) => membershipDocument(m, fields.get(m.identity_id)));
  }
  if (include.includes('my_memberships')) {
    const fields = await membershipFieldsOf(db, row.id, mine.map((m) => m.identity_id));
    inc.my_memberships = mine.map((m) => membershipDocument(m, fields.get(m.identity_id)));
  }
  if (include.includes('allowed_actions') && canWrite(auth)) {
    inc.allowed_actions = allowedActions({ policies, allowJoin: Number(row.allow_join) === 1 }, auth.identitySet, states);
  }
  if (include.includes('child_ids')) inc.child_ids = await visibleChildIds(db, row.id, auth);
  return groupDocument(row, inc);
}

async function visibleChildIds(db: Db, groupId: string, auth: AuthContext): Promise<string[]> {
  const ids = await childIds(db, groupId);
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('groups').selectAll().where('id', 'in', ids).orderBy('id').execute();
  const mine = await membershipsOf(db, auth.identitySet, ids);
  const byGroup = groupBy(mine, (m) => m.group_id);
  return rows.filter((r) => canViewGroup(policiesOf(r), (byGroup.get(r.id) ?? []).map(asState))).map((r) => r.id);
}

export async function groupsRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const { store } = ctx;

  // Every Groups route wants a Groups (or legacy Nexus) token, checked before the body is looked at.
  callerPolicy(app, { required: true, resourceServers: RESOURCE_SERVERS });

  async function caller(request: FastifyRequest, write = false): Promise<AuthContext> {
    const auth = requiredAuth(request);
    if (write && !canWrite(auth)) {
      throw groupsErrors.error('FORBIDDEN', 'This token is read-only; the groups.api.globus.org:all scope is required', { provided_scopes: auth.scopes });
    }
    return auth;
  }

  app.get(
    '/v2/groups/my_groups',
    { schema: { querystring: ListQuery('statuses'), response: { 200: Type.Array(GroupDoc) }, tags: ['groups'] } },
    async (request) => {
      const auth = await caller(request);
      const statuses = listParam((request.query as { statuses?: string[] }).statuses, MEMBERSHIP_STATUSES, 'statuses') ?? ['active'];
      const wanted = statuses.length ? statuses : ['active'];
      const mine = (await membershipsOf(store.db, auth.identitySet)).filter((m) => wanted.includes(m.status));
      if (mine.length === 0) return [];
      // A semi-join rather than binding every group id: a user may be in thousands of groups.
      const memberOf = store.db
        .selectFrom('group_memberships')
        .select('group_id')
        .where('identity_id', 'in', auth.identitySet)
        .where('status', 'in', wanted);
      const rows = await store.db.selectFrom('groups').selectAll().where('id', 'in', memberOf).orderBy('name').orderBy('id').execute();
      // One pass over the memberships: a user in thousands of groups must not cost groups × memberships.
      const byGroup = groupBy(mine, (m) => m.group_id);
      return rows.map((row) => groupDocument(row, { my_memberships: (byGroup.get(row.id) ?? []).map((m) => membershipDocument(m)) }));
    },
  );

  app.get('/v2/groups/statuses', { schema: { response: { 200: Type.Record(Type.String(), StatusCounts) }, tags: ['groups'] } }, async (request) => {
    const auth = await caller(request);
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
    const auth = await caller(request, true);
    const body = request.body as { name: string; description?: string | null; terms_and_conditions?: string | null; parent_id?: string | null; policies?: PolicyPatch | null };
    const doc = await store.tx(async (db) => {
      // The creator's row is locked while its memberships are counted and its new one added.
      await lockRow(db, 'identities', auth.identityId);
      const active = await db
        .selectFrom('group_memberships')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('identity_id', 'in', auth.identitySet)
        .where('status', '=', 'active')
        .executeTakeFirstOrThrow();
      if (Number(active.n) > MAX_ACTIVE_MEMBERSHIPS) throw groupsErrors.error('FORBIDDEN', `Identities with more than ${MAX_ACTIVE_MEMBERSHIPS} active memberships cannot create groups`);
      let parentId: string | null = null;
      if (body.parent_id) {
        const parent = await viewGroup(db, body.parent_id, auth);
        if (!isAdmin(parent.mine.map(asState))) throw groupsErrors.error('FORBIDDEN', 'Only admins of the parent group may create subgroups');
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
      await db
        .insertInto('group_memberships')
        .values({ group_id: row.id, identity_id: auth.identityId, role: 'admin', status: 'active', status_reason: null, invite_email_address: null, invite_time: null, updated: nowIso() })
        .execute();
      return groupDocument(row);
    });
    reply.status(201);
    return doc;
  });

  app.get(
    '/v2/groups/:group_id',
    { schema: { params: GroupParams, querystring: ListQuery('include'), response: { 200: GroupDoc }, tags: ['groups'] } },
    async (request) => {
      const auth = await caller(request);
      const include = listParam((request.query as { include?: string[] }).include, INCLUDES, 'include') ?? [];
      const view = await viewGroup(store.db, (request.params as { group_id: string }).group_id, auth);
      return fullGroup(store.db, view, auth, include);
    },
  );

  app.put('/v2/groups/:group_id', { schema: { params: GroupParams, body: GroupWrite, response: { 200: GroupDoc }, tags: ['groups'] } }, async (request) => {
    const auth = await caller(request, true);
    const body = request.body as { name?: string; description?: string | null; terms_and_conditions?: string | null; subscription_admin_verified_id?: string | null };
    return store.tx(async (db) => {
      const view = await viewGroup(db, (request.params as { group_id: string }).group_id, auth, true);
      if (!isAdmin(view.mine.map(asState))) throw groupsErrors.error('FORBIDDEN', 'Only group admins may update the group');
      const patch: Partial<GroupRow> = {};
      if (body.name !== undefined) patch.name = body.name;
      if (body.description !== undefined) patch.description = body.description;
      if (body.terms_and_conditions !== undefined) patch.terms_and_conditions = body.terms_and_conditions;
      if (body.subscription_admin_verified_id !== undefined && body.subscription_admin_verified_id !== view.row.subscription_admin_verified_id) {
        if (body.subscription_admin_verified_id !== null) {
          throw groupsErrors.error('FORBIDDEN', 'Group admins may only clear subscription_admin_verified_id here; set it with PUT /v2/groups/{group_id}/subscription_admin_verified');
        }
        patch.subscription_admin_verified_id = null;
      }
      if (Object.keys(patch).length) await db.updateTable('groups').set(patch).where('id', '=', view.row.id).execute();
      return groupDocument({ ...view.row, ...patch });
    });
  });

  app.delete('/v2/groups/:group_id', { schema: { params: GroupParams, response: { 200: GroupDoc }, tags: ['groups'] } }, async (request) => {
    const auth = await caller(request, true);
    return store.tx(async (db) => {
      const view = await viewGroup(db, (request.params as { group_id: string }).group_id, auth, true);
      if (!isAdmin(view.mine.map(asState))) throw groupsErrors.error('FORBIDDEN', 'Only group admins may delete the group');
      if ((await childIds(db, view.row.id)).length > 0) throw groupsErrors.error('CONFLICT', 'Delete the subgroups of this group first');
      await db.deleteFrom('group_memberships').where('group_id', '=', view.row.id).execute();
      await db.deleteFrom('group_membership_fields').where('group_id', '=', view.row.id).execute();
      await db.deleteFrom('groups').where('id', '=', view.row.id).execute();
      return groupDocument(view.row);
    });
  });

  app.get(
    '/v2/groups/:group_id/children',
    { schema: { params: GroupParams, querystring: ListQuery('include'), response: { 200: Type.Object({ children: Type.Array(GroupDoc) }) }, tags: ['groups'] } },
    async (request) => {
      const auth = await caller(request);
      const include = listParam((request.query as { include?: string[] }).include, INCLUDES, 'include') ?? [];
      const view = await viewGroup(store.db, (request.params as { group_id: string }).group_id, auth);
      const children = [];
      for (const id of await visibleChildIds(store.db, view.row.id, auth)) {
        children.push(await fullGroup(store.db, await viewGroup(store.db, id, auth), auth, include));
      }
      return { children };
    },
  );

  app.get('/v2/groups/:group_id/policies', { schema: { params: GroupParams, response: { 200: PoliciesRead }, tags: ['groups'] } }, async (request) => {
    const auth = await caller(request);
    const view = await viewGroup(store.db, (request.params as { group_id: string }).group_id, auth);
    return policiesOf(view.row);
  });

  app.put('/v2/groups/:group_id/policies', { schema: { params: GroupParams, body: PoliciesWrite, response: { 200: PoliciesRead }, tags: ['groups'] } }, async (request) => {
    const auth = await caller(request, true);
    return store.tx(async (db) => {
      const view = await viewGroup(db, (request.params as { group_id: string }).group_id, auth, true);
      if (!isAdmin(view.mine.map(asState))) throw groupsErrors.error('FORBIDDEN', 'Only group admins may set policies');
      const next = mergePolicies(policiesOf(view.row), request.body as PolicyPatch);
      await db.updateTable('groups').set({ policies: toJson(next) }).where('id', '=', view.row.id).execute();
      return next;
    });
  });

  app.post(
    '/v2/groups/:group_id',
    { schema: { params: GroupParams, body: BatchBody, response: { 200: BatchResponse }, tags: ['groups'] } },
    async (request) => {
      const auth = await caller(request, true);
      const body = request.body as Partial<Record<MembershipAction, BatchItem[] | null>>;
      const counts = new Map<string, number>();
      for (const action of MEMBERSHIP_ACTIONS) for (const item of body[action] ?? []) counts.set(item.identity_id.toLowerCase(), (counts.get(item.identity_id.toLowerCase()) ?? 0) + 1);
      const ambiguous = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
      if (ambiguous.length) {
        throw groupsErrors.error('BAD_REQUEST', 'Each identity may appear in only one action of a batch', { ambiguous_identities: ambiguous });
      }
      return store.tx((db) => runBatch(db, (request.params as { group_id: string }).group_id, auth, body));
    },
  );

  app.get('/v2/preferences', { schema: { response: { 200: Type.Record(Type.String(), Preferences) }, tags: ['groups'] } }, async (request) => {
    const auth = await caller(request);
    const prefs = await allowAddOf(store.db, auth.identitySet);
    return Object.fromEntries([...prefs].map(([id, allow]) => [id, { allow_add: allow }]));
  });

  app.put(
    '/v2/preferences',
    {
      schema: {
        // OAS-G: {<identity_id>: {allow_add}}; the Python docs' flat {"allow_add": false} applies to the whole identity set.
        body: Type.Union([Type.Object({ allow_add: Nullable(Type.Boolean()) }, { additionalProperties: false }), Type.Record(Type.String({ maxLength: 64 }), Preferences)]),
        response: { 200: Type.Record(Type.String(), Preferences) },
        tags: ['groups'],
      },
    },
    async (request) => {
      const auth = await caller(request, true);
      const body = request.body as Record<string, unknown>;
      const map: Record<string, { allow_add: boolean | null }> =
        'allow_add' in body && (typeof body.allow_add === 'boolean' || body.allow_add === null)
          ? Object.fromEntries(auth.identitySet.map((id) => [id, { allow_add: body.allow_add as boolean | null }]))
          : (body as Record<string, { allow_add: boolean | null }>);
      const foreign = Object.keys(map).filter((id) => !auth.identitySet.includes(id));
      if (foreign.length) throw groupsErrors.error('FORBIDDEN', `Preferences can be set only for the caller's identities (not ${foreign.join(', ')})`);
      return store.tx(async (db) => {
        // In id order, so two requests naming the same identities cannot deadlock.
        for (const [id, pref] of Object.entries(map).sort(([a], [b]) => (a < b ? -1 : 1))) {
          // Replaced under the identity's lock: two requests cannot both insert it.
          await lockRow(db, 'identities', id);
          await db.deleteFrom('group_preferences').where('identity_id', '=', id).execute();
          // null restores the default (allow_add true).
          if (pref.allow_add !== null) await db.insertInto('group_preferences').values({ identity_id: id, allow_add: pref.allow_add ? 1 : 0 }).execute();
        }
        const prefs = await allowAddOf(db, auth.identitySet);
        return Object.fromEntries([...prefs].map(([id, allow]) => [id, { allow_add: allow }]));
      });
    },
  );

  const FieldsMap = Type.Record(Type.String({ maxLength: 64 }), MembershipFieldsDoc);

  app.get('/v2/groups/:group_id/membership_fields', { schema: { params: GroupParams, response: { 200: FieldsMap }, tags: ['groups'] } }, async (request) => {
    const auth = await caller(request);
    const view = await viewGroup(store.db, (request.params as { group_id: string }).group_id, auth);
    const fields = await membershipFieldsOf(store.db, view.row.id, auth.identitySet);
    const ids = new Set([...view.mine.map((m) => m.identity_id), ...fields.keys()]);
    return Object.fromEntries([...ids].sort().map((id) => [id, fields.get(id) ?? {}]));
  });

  app.put(
    '/v2/groups/:group_id/membership_fields',
    { schema: { params: GroupParams, body: FieldsMap, response: { 200: FieldsMap }, tags: ['groups'] } },
    async (request) => {
      const auth = await caller(request, true);
      const body = request.body as Record<string, Record<string, string | null>>;
      const foreign = Object.keys(body).filter((id) => !auth.identitySet.includes(id));
      if (foreign.length) throw groupsErrors.error('FORBIDDEN', `Membership fields can be set only for the caller's identities (not ${foreign.join(', ')})`);
      return store.tx(async (db) => {
        const view = await viewGroup(db, (request.params as { group_id: string }).group_id, auth, true);
        for (const [id, fields] of Object.entries(body)) {
          await db.deleteFrom('group_membership_fields').where('group_id', '=', view.row.id).where('identity_id', '=', id).execute();
          await db.insertInto('group_membership_fields').values({ group_id: view.row.id, identity_id: id, fields: toJson(fields) }).execute();
        }
        const stored = await membershipFieldsOf(db, view.row.id, Object.keys(body));
        return Object.fromEntries([...stored].map(([id, f]) => [id, f]));
      });
    },
  );

  const SubscriptionInfo = Type.Object({
    group_id: Type.String(),
    subscription_id: Type.String(),
    subscription_info: Type.Object({ is_high_assurance: Type.Boolean(), is_baa: Type.Boolean(), connectors: Type.Record(Type.String(), Type.Object({ is_ha: Type.Boolean(), is_baa: Type.Boolean() })) }),
  });

  app.get(
    '/v2/subscription_info/:subscription_id',
    { schema: { params: Type.Object({ subscription_id: Type.String({ maxLength: 64 }) }), response: { 200: SubscriptionInfo }, tags: ['groups'] } },
    async (request) => {
      await caller(request);
      const { subscription_id } = request.params as { subscription_id: string };
      const row = UUID_RE.test(subscription_id) ? await store.db.selectFrom('groups').selectAll().where('subscription_id', '=', subscription_id.toLowerCase()).executeTakeFirst() : undefined;
      if (!row || !row.subscription_id) throw groupsErrors.error('NOT_FOUND', `No group provides subscription ${subscription_id}`);
      const info = fromJson<{ is_high_assurance?: boolean; is_baa?: boolean; connectors?: Record<string, { is_ha: boolean; is_baa: boolean }> }>(row.subscription_info, {});
      // The limited view: no name or subscriber_name.
      return {
        group_id: row.id,
        subscription_id: row.subscription_id,
        subscription_info: { is_high_assurance: info.is_high_assurance ?? false, is_baa: info.is_baa ?? false, connectors: info.connectors ?? {} },
      };
    },
  );

  app.put(
    '/v2/groups/:group_id/subscription_admin_verified',
    {
      schema: {
        params: GroupParams,
        body: Type.Object({ subscription_admin_verified_id: Nullable(Uuid) }),
        response: { 200: Type.Object({ group_id: Type.String(), subscription_admin_verified_id: Nullable(Type.String()) }) },
        tags: ['groups'],
      },
    },
    async (request) => {
      const auth = await caller(request, true);
      const wanted = (request.body as { subscription_admin_verified_id: string | null }).subscription_admin_verified_id?.toLowerCase() ?? null;
      return store.tx(async (db) => {
        const view = await viewGroup(db, (request.params as { group_id: string }).group_id, auth, true);
        const adminOfSubscription = async (subscriptionId: string) => {
          const sub = await db.selectFrom('groups').select('id').where('subscription_id', '=', subscriptionId).executeTakeFirst();
          if (!sub) return false;
          return isAdmin((await membershipsOf(db, auth.identitySet, [sub.id])).map(asState));
        };
        const current = view.row.subscription_admin_verified_id;
        if (current && !(await adminOfSubscription(current))) throw groupsErrors.error('FORBIDDEN', 'Only admins of the current subscription group may change this verification');
        if (wanted) {
          if (!UUID_RE.test(wanted)) throw groupsErrors.error('BAD_REQUEST', 'subscription_admin_verified_id must be a UUID');
          if (!(await adminOfSubscription(wanted))) throw groupsErrors.error('FORBIDDEN', 'Only admins of the subscription group may verify a group for it');
        }
        await db.updateTable('groups').set({ subscription_admin_verified_id: wanted }).where('id', '=', view.row.id).execute();
        return { group_id: view.row.id, subscription_admin_verified_id: wanted };
      });
    },
  );
}

/**
 * Applies a batch in one transaction. Permissions are those of the caller at the start of the request;
 * each item's preconditions see the items applied before it. Item failures are reported, not thrown.
 */
async function runBatch(db: Db, groupId: string, auth: AuthContext, body: Partial<Record<MembershipAction, BatchItem[] | null>>) {
  const view = await viewGroup(db, groupId, auth, true);
  const gid = view.row.id;
  const policies = policiesOf(view.row);
  const settings = { policies, allowJoin: Number(view.row.allow_join) === 1 };
  const states = view.mine.map(asState);
  const allowed = allowedActions(settings, auth.identitySet, states);
  const requested = MEMBERSHIP_ACTIONS.filter((a) => (body[a]?.length ?? 0) > 0);
  const refused = requested.filter((a) => allowed[a].length === 0);
  if (refused.length) throw groupsErrors.error('FORBIDDEN', `None of the caller's identities may ${refused.join(', ')} in this group`);

  const targetIds = [...new Set(requested.flatMap((a) => body[a]!.map((i) => i.identity_id.toLowerCase())))];
  const identities = new Map((await findByIds(db, targetIds)).map((i) => [i.id, i]));
  const allowAdd = await allowAddOf(db, targetIds);
  const fields = await membershipFieldsOf(db, gid, targetIds);
  const current = new Map((targetIds.length ? await membershipsOf(db, targetIds, [gid]) : []).map((m) => [m.identity_id, m]));
  let admins = (await groupMemberships(db, gid)).filter((m) => m.status === 'active' && m.role === 'admin').length;
  const actorRole = callerRole(states);

  const out: Partial<Record<MembershipAction, MembershipDocument[]>> & { errors?: Record<string, Array<{ identity_id: string; code: string; detail: string }>> } = {};
  const errors: Record<string, Array<{ identity_id: string; code: string; detail: string }>> = {};
  for (const action of MEMBERSHIP_ACTIONS) {
    const items = body[action];
    if (!items) continue;
    const done: MembershipDocument[] = (out[action] = []);
    for (const item of items) {
      const id = item.identity_id.toLowerCase();
      const target = current.get(id);
      const role = item.role ?? undefined;
      const problem = checkMembershipAction({
        action,
        actorRole,
        callerIdentities: auth.identitySet,
        targetIdentityId: id,
        target: target && asState(target),
        role,
        group: settings,
        identityExists: identities.has(id),
        allowAdd: allowAdd.get(id) ?? true,
        missingSignupFields: missingSignupFields(policies, fields.get(id) ?? {}),
        activeAdmins: admins,
      });
      if (problem) {
        (errors[action] ??= []).push({ identity_id: item.identity_id, ...problem });
        continue;
      }
      const next = applyMembershipAction(action, target && asState(target), role);
      const wasAdmin = target?.status === 'active' && target.role === 'admin';
      const isAdminNow = next.status === 'active' && next.role === 'admin';
      admins += Number(isAdminNow) - Number(wasAdmin);
      const row: MembershipWithUsername = {
        group_id: gid,
        identity_id: id,
        role: next.role,
        status: next.status,
        status_reason: item.status_reason ?? null,
        invite_email_address: action === 'invite' ? (item.invite_email_address ?? null) : (target?.invite_email_address ?? null),
        invite_time: action === 'invite' ? nowIso() : (target?.invite_time ?? null),
        updated: nowIso(),
        username: identities.get(id)?.username ?? target?.username ?? null,
      };
      const { username: _username, ...stored } = row;
      await upsertMembership(db, stored, target !== undefined);
      current.set(id, row);
      done.push(membershipDocument(row, fields.get(id)));
    }
  }
  if (Object.keys(errors).length) out.errors = errors;
  return out;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}
