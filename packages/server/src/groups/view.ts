// A group as the caller may see it: the visibility-checked lookup and the full document with its includes.
import type { Db } from '../store/db.ts';
import { forUpdate } from '../store/locking.ts';
import type { ApiError } from '../http/errors.ts';
import type { AuthContext } from '../auth/tokens.ts';
import { UUID_RE } from '../auth/uuid.ts';
import { allowedActions, callerRole, canViewGroup, decideGroupView, decideGroupsWrite, decideMembersView, visibleMembership } from '../authz/groups.ts';
import {
  asState,
  childIds,
  groupDocument,
  groupMemberships,
  membershipDocument,
  membershipFieldsOf,
  membershipsOf,
  policiesOf,
  type GroupIncludes,
  type MembershipWithUsername,
} from './repo.ts';
import type { GroupRow } from './tables.ts';
import { enforce } from './decisions.ts';
import { groupsErrors } from './errors.ts';

export function notFound(id: string): ApiError {
  return groupsErrors.error('NOT_FOUND', `Group ${id} not found`);
}

export interface GroupView {
  row: GroupRow;
  mine: MembershipWithUsername[];
}

/** The group as the caller may see it; private groups are indistinguishable from missing ones. `lock`: read for update (store/locking.ts). */
export async function viewGroup(db: Db, groupId: string, auth: AuthContext, lock = false): Promise<GroupView> {
  if (!UUID_RE.test(groupId)) throw notFound(groupId);
  const q = db.selectFrom('groups').selectAll().where('id', '=', groupId.toLowerCase());
  // Concurrent writes on one group serialize, so the last-admin check and policy merges cannot race.
  const row = await (lock ? forUpdate(db, q) : q).executeTakeFirst();
  if (!row) throw notFound(groupId);
  const mine = await membershipsOf(db, auth.identitySet, [row.id]);
  enforce(decideGroupView(groupId, policiesOf(row), mine.map(asState)));
  return { row, mine };
}

export async function fullGroup(db: Db, view: GroupView, auth: AuthContext, include: string[]): Promise<ReturnType<typeof groupDocument>> {
  const { row, mine } = view;
  const states = mine.map(asState);
  const policies = policiesOf(row);
  const inc: GroupIncludes = {};
  const members = include.includes('memberships') ? decideMembersView(policies, states) : undefined;
  if (members?.allowed) {
    const role = callerRole(states);
    const all = (await groupMemberships(db, row.id)).filter((m) => visibleMembership(role, asState(m)));
    const fields = members.membershipFields
      ? await membershipFieldsOf(
          db,
          row.id,
          all.map((m) => m.identity_id),
        )
      : new Map<string, Record<string, string | null>>();
    inc.memberships = all.map((m) => membershipDocument(m, fields.get(m.identity_id)));
  }
  if (include.includes('my_memberships')) {
    const fields = await membershipFieldsOf(
      db,
      row.id,
      mine.map((m) => m.identity_id),
    );
    inc.my_memberships = mine.map((m) => membershipDocument(m, fields.get(m.identity_id)));
  }
  if (include.includes('allowed_actions') && decideGroupsWrite(auth.scopes).allowed) {
    inc.allowed_actions = allowedActions({ policies, allowJoin: Number(row.allow_join) === 1 }, auth.identitySet, states);
  }
  if (include.includes('child_ids')) inc.child_ids = await visibleChildIds(db, row.id, auth);
  return groupDocument(row, inc);
}

export async function visibleChildIds(db: Db, groupId: string, auth: AuthContext): Promise<string[]> {
  const ids = await childIds(db, groupId);
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('groups').selectAll().where('id', 'in', ids).orderBy('id').execute();
  const mine = await membershipsOf(db, auth.identitySet, ids);
  const byGroup = groupBy(mine, (m) => m.group_id);
  return rows.filter((r) => canViewGroup(policiesOf(r), (byGroup.get(r.id) ?? []).map(asState))).map((r) => r.id);
}

export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}
