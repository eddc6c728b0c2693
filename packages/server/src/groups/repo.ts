// Groups storage access and wire documents: group rows ↔ GroupReadModel, memberships ↔ MembershipReadModel.
import type { Db } from '../store/db.ts';
import { fromJson, toJson } from '../store/db.ts';
import type { GroupPolicies, MembershipState } from '../authz/groups.ts';
import type { GroupMembershipRow, GroupRow } from './tables.ts';

export const DEFAULT_ASSURANCE_TIMEOUT = 28800;

export const DEFAULT_POLICIES: GroupPolicies = {
  is_high_assurance: false,
  authentication_assurance_timeout: DEFAULT_ASSURANCE_TIMEOUT,
  group_visibility: 'private',
  group_members_visibility: 'managers',
  join_requests: false,
  signup_fields: [],
};

export function policiesOf(row: GroupRow): GroupPolicies {
  return { ...DEFAULT_POLICIES, ...fromJson<Partial<GroupPolicies>>(row.policies, {}) };
}

export type PolicyPatch = { [K in keyof GroupPolicies]?: GroupPolicies[K] | null };

/** PUT semantics of GroupPolicyWriteModel: absent or null fields keep their value, except the timeout, whose null restores the default. */
export function mergePolicies(current: GroupPolicies, patch: PolicyPatch): GroupPolicies {
  const next: GroupPolicies = { ...current };
  if (patch.is_high_assurance != null) next.is_high_assurance = patch.is_high_assurance;
  if (patch.group_visibility != null) next.group_visibility = patch.group_visibility;
  if (patch.group_members_visibility != null) next.group_members_visibility = patch.group_members_visibility;
  if (patch.join_requests != null) next.join_requests = patch.join_requests;
  if (patch.signup_fields != null) next.signup_fields = [...new Set(patch.signup_fields)];
  if (patch.authentication_assurance_timeout !== undefined)
    next.authentication_assurance_timeout = patch.authentication_assurance_timeout ?? DEFAULT_ASSURANCE_TIMEOUT;
  return next;
}

export interface MembershipWithUsername extends GroupMembershipRow {
  username: string | null;
}

export async function getGroup(db: Db, id: string): Promise<GroupRow | undefined> {
  return db.selectFrom('groups').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Every membership of the group, with usernames, in a stable order. */
export async function groupMemberships(db: Db, groupId: string): Promise<MembershipWithUsername[]> {
  return db
    .selectFrom('group_memberships')
    .leftJoin('identities', 'identities.id', 'group_memberships.identity_id')
    .selectAll('group_memberships')
    .select('identities.username')
    .where('group_memberships.group_id', '=', groupId)
    .orderBy('group_memberships.identity_id')
    .execute();
}

/** The caller's memberships in the given groups, any status. */
export async function membershipsOf(db: Db, identityIds: string[], groupIds?: string[]): Promise<MembershipWithUsername[]> {
  if (identityIds.length === 0 || (groupIds && groupIds.length === 0)) return [];
  let q = db
    .selectFrom('group_memberships')
    .leftJoin('identities', 'identities.id', 'group_memberships.identity_id')
    .selectAll('group_memberships')
    .select('identities.username')
    .where('group_memberships.identity_id', 'in', identityIds);
  if (groupIds) q = q.where('group_memberships.group_id', 'in', groupIds);
  return q.orderBy('group_memberships.group_id').orderBy('group_memberships.identity_id').execute();
}

export async function childIds(db: Db, groupId: string): Promise<string[]> {
  const rows = await db.selectFrom('groups').select('id').where('parent_id', '=', groupId).orderBy('id').execute();
  return rows.map((r) => r.id);
}

export async function membershipFieldsOf(db: Db, groupId: string, identityIds: string[]): Promise<Map<string, Record<string, string | null>>> {
  if (identityIds.length === 0) return new Map();
  const rows = await db.selectFrom('group_membership_fields').selectAll().where('group_id', '=', groupId).where('identity_id', 'in', identityIds).execute();
  return new Map(rows.map((r) => [r.identity_id, fromJson<Record<string, string | null>>(r.fields, {})]));
}

export async function allowAddOf(db: Db, identityIds: string[]): Promise<Map<string, boolean>> {
  const rows = identityIds.length ? await db.selectFrom('group_preferences').selectAll().where('identity_id', 'in', identityIds).execute() : [];
  const map = new Map(identityIds.map((id) => [id, true]));
  for (const r of rows) map.set(r.identity_id, Number(r.allow_add) === 1);
  return map;
}

export function membershipDocument(m: MembershipWithUsername, fields: Record<string, string | null> = {}) {
  return {
    group_id: m.group_id,
    identity_id: m.identity_id,
    username: m.username ?? '',
    role: m.role,
    status: m.status,
    status_reason: m.status_reason,
    invite_email_address: m.invite_email_address,
    invite_time: m.invite_time,
    updated: m.updated,
    membership_fields: fields,
  };
}
export type MembershipDocument = ReturnType<typeof membershipDocument>;

export const asState = (m: GroupMembershipRow): MembershipState => ({ identity_id: m.identity_id, role: m.role, status: m.status });

export interface GroupIncludes {
  memberships?: MembershipDocument[];
  my_memberships?: MembershipDocument[];
  allowed_actions?: Record<string, string[]>;
  child_ids?: string[];
}

export function groupDocument(row: GroupRow, includes: GroupIncludes = {}) {
  const policies = policiesOf(row);
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    terms_and_conditions: row.terms_and_conditions,
    parent_id: row.parent_id,
    group_type: row.group_type,
    enforce_session: policies.is_high_assurance,
    session_limit: policies.is_high_assurance ? policies.authentication_assurance_timeout : null,
    session_timeouts: {},
    // Always present: the CLI fixtures carry it on create/get/update/delete and it costs nothing.
    policies,
    subscription_id: row.subscription_id,
    subscription_info: fromJson<Record<string, unknown> | null>(row.subscription_info, null),
    subscription_admin_verified_id: row.subscription_admin_verified_id,
    ...includes,
  };
}

export function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

export async function upsertMembership(db: Db, row: GroupMembershipRow, exists: boolean): Promise<void> {
  if (exists) {
    const { group_id, identity_id, ...rest } = row;
    await db.updateTable('group_memberships').set(rest).where('group_id', '=', group_id).where('identity_id', '=', identity_id).execute();
  } else {
    await db.insertInto('group_memberships').values(row).execute();
  }
}

/** The creator of a group: its first member, an active administrator. */
export async function addCreatorAsAdmin(db: Db, groupId: string, identityId: string): Promise<void> {
  await db
    .insertInto('group_memberships')
    .values({
      group_id: groupId,
      identity_id: identityId,
      role: 'admin',
      status: 'active',
      status_reason: null,
      invite_email_address: null,
      invite_time: null,
      updated: nowIso(),
    })
    .execute();
}

export async function countActiveAdmins(db: Db, groupId: string): Promise<number> {
  const row = await db
    .selectFrom('group_memberships')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('group_id', '=', groupId)
    .where('status', '=', 'active')
    .where('role', '=', 'admin')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Sets a group's subscription (administration and tests: Globus has no public route for it). */
export async function setGroupSubscription(db: Db, groupId: string, subscriptionId: string | null, info: Record<string, unknown> | null = null): Promise<void> {
  await db
    .updateTable('groups')
    .set({ subscription_id: subscriptionId, subscription_info: info === null ? null : toJson(info) })
    .where('id', '=', groupId)
    .execute();
}

/** Turns Gatehouse's direct-join switch on or off for a group (no Globus route sets it). */
export async function setGroupAllowJoin(db: Db, groupId: string, allowJoin: boolean): Promise<void> {
  await db
    .updateTable('groups')
    .set({ allow_join: allowJoin ? 1 : 0 })
    .where('id', '=', groupId)
    .execute();
}
