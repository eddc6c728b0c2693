// The membership batch engine: applies the actions of `POST /v2/groups/{group_id}` in one transaction.
import type { Db } from '../store/db.ts';
import type { AuthContext } from '../auth/tokens.ts';
import { findByIds } from '../auth/identities.ts';
import {
  MEMBERSHIP_ACTIONS,
  applyMembershipAction,
  callerRole,
  decideBatch,
  decideMembershipAction,
  missingSignupFields,
  type MembershipAction,
} from '../authz/groups.ts';
import {
  allowAddOf,
  asState,
  groupMemberships,
  membershipDocument,
  membershipFieldsOf,
  membershipsOf,
  nowIso,
  policiesOf,
  upsertMembership,
  type MembershipDocument,
  type MembershipWithUsername,
} from './repo.ts';
import type { BatchItem } from './schemas.ts';
import { viewGroup } from './view.ts';
import { enforce } from './decisions.ts';
import { groupsErrors } from './errors.ts';

export type BatchRequest = Partial<Record<MembershipAction, BatchItem[] | null>>;
type ItemError = { identity_id: string; code: string; detail: string };
export type BatchResult = Partial<Record<MembershipAction, MembershipDocument[]>> & { errors?: Record<string, ItemError[]> };

/** A batch may name each identity once: two actions on one identity would depend on their order. */
export function checkUnambiguous(body: BatchRequest): void {
  const counts = new Map<string, number>();
  for (const action of MEMBERSHIP_ACTIONS)
    for (const item of body[action] ?? []) counts.set(item.identity_id.toLowerCase(), (counts.get(item.identity_id.toLowerCase()) ?? 0) + 1);
  const ambiguous = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
  if (ambiguous.length) {
    throw groupsErrors.error('BAD_REQUEST', 'Each identity may appear in only one action of a batch', { ambiguous_identities: ambiguous });
  }
}

/**
 * Applies a batch in one transaction. Permissions are those of the caller at the start of the request;
 * each item's preconditions see the items applied before it. Item failures are reported, not thrown.
 */
export async function runBatch(db: Db, groupId: string, auth: AuthContext, body: BatchRequest): Promise<BatchResult> {
  const view = await viewGroup(db, groupId, auth, true);
  const gid = view.row.id;
  const policies = policiesOf(view.row);
  const settings = { policies, allowJoin: Number(view.row.allow_join) === 1 };
  const states = view.mine.map(asState);
  const requested = MEMBERSHIP_ACTIONS.filter((a) => (body[a]?.length ?? 0) > 0);
  enforce(decideBatch(settings, auth.identitySet, states, requested));

  const targetIds = [...new Set(requested.flatMap((a) => body[a]!.map((i) => i.identity_id.toLowerCase())))];
  const identities = new Map((await findByIds(db, targetIds)).map((i) => [i.id, i]));
  const allowAdd = await allowAddOf(db, targetIds);
  const fields = await membershipFieldsOf(db, gid, targetIds);
  const current = new Map((targetIds.length ? await membershipsOf(db, targetIds, [gid]) : []).map((m) => [m.identity_id, m]));
  let admins = (await groupMemberships(db, gid)).filter((m) => m.status === 'active' && m.role === 'admin').length;
  const actorRole = callerRole(states);

  const out: BatchResult = {};
  const errors: Record<string, ItemError[]> = {};
  for (const action of MEMBERSHIP_ACTIONS) {
    const items = body[action];
    if (!items) continue;
    const done: MembershipDocument[] = (out[action] = []);
    for (const item of items) {
      const id = item.identity_id.toLowerCase();
      const target = current.get(id);
      const role = item.role ?? undefined;
      const decision = decideMembershipAction({
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
      if (!decision.allowed) {
        (errors[action] ??= []).push({ identity_id: item.identity_id, code: decision.reason, detail: decision.message });
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
