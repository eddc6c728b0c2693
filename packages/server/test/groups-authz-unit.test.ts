// Pure Groups authorization decisions (authz/groups.ts) and their rendering into the Groups envelope (groups/decisions.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  GROUPS_WRITE_SCOPES,
  MAX_ACTIVE_MEMBERSHIPS,
  decideBatch,
  decideGroupCreation,
  decideGroupDeletion,
  decideGroupUpdate,
  decideGroupView,
  decideGroupsWrite,
  decideMembersView,
  decideMembershipAction,
  decideOwnIdentities,
  decidePolicyUpdate,
  decideSubgroupCreation,
  decideSubscriptionVerification,
  type ActionCheck,
  type GroupDecision,
  type GroupPolicies,
  type MembershipState,
} from '../src/authz/groups.ts';
import { enforce } from '../src/groups/decisions.ts';
import { ApiError } from '../src/http/errors.ts';

const ME = '0a000000-0000-4000-8000-000000000001';
const OTHER = '0a000000-0000-4000-8000-000000000002';
const GROUP = '0b000000-0000-4000-8000-000000000001';
const POLICIES: GroupPolicies = {
  is_high_assurance: false,
  authentication_assurance_timeout: 28800,
  group_visibility: 'private',
  group_members_visibility: 'managers',
  join_requests: false,
  signup_fields: [],
};
const as = (role: string, status = 'active'): MembershipState[] => [{ identity_id: ME, role, status }];

/** The refusal a decision renders to: status, code, message and extra members of the Groups envelope. */
function rendered(decision: GroupDecision) {
  try {
    enforce(decision);
  } catch (e) {
    assert.ok(e instanceof ApiError);
    return { status: e.status, code: e.code, message: e.message, extra: e.extra };
  }
  return 'allowed';
}

describe('Groups decisions', () => {
  test('write scope: read-only tokens are 403 with the scopes they carry', () => {
    assert.equal(rendered(decideGroupsWrite([GROUPS_WRITE_SCOPES[0]])), 'allowed');
    assert.equal(rendered(decideGroupsWrite([GROUPS_WRITE_SCOPES[1]])), 'allowed');
    const view = 'urn:globus:auth:scope:groups.api.globus.org:view_my_groups_and_memberships';
    assert.deepEqual(rendered(decideGroupsWrite([view])), {
      status: 403,
      code: 'FORBIDDEN',
      message: 'This token is read-only; the groups.api.globus.org:all scope is required',
      extra: { provided_scopes: [view] },
    });
  });

  test('view: a private group is 404 to non-members, as if missing; invited and pending members see it', () => {
    assert.deepEqual(rendered(decideGroupView(GROUP, POLICIES, [])), { status: 404, code: 'NOT_FOUND', message: `Group ${GROUP} not found`, extra: {} });
    assert.deepEqual(rendered(decideGroupView(GROUP, POLICIES, as('member', 'left'))), rendered(decideGroupView(GROUP, POLICIES, [])));
    for (const status of ['active', 'invited', 'pending']) assert.equal(rendered(decideGroupView(GROUP, POLICIES, as('member', status))), 'allowed');
    assert.equal(rendered(decideGroupView(GROUP, { ...POLICIES, group_visibility: 'authenticated' }, [])), 'allowed');
  });

  test('create: the active-membership limit, and only parent admins make subgroups', () => {
    assert.equal(rendered(decideGroupCreation(MAX_ACTIVE_MEMBERSHIPS)), 'allowed');
    assert.deepEqual(rendered(decideGroupCreation(MAX_ACTIVE_MEMBERSHIPS + 1)), {
      status: 403,
      code: 'FORBIDDEN',
      message: `Identities with more than ${MAX_ACTIVE_MEMBERSHIPS} active memberships cannot create groups`,
      extra: {},
    });
    assert.equal(rendered(decideSubgroupCreation(as('admin'))), 'allowed');
    assert.deepEqual(rendered(decideSubgroupCreation(as('manager'))), {
      status: 403,
      code: 'FORBIDDEN',
      message: 'Only admins of the parent group may create subgroups',
      extra: {},
    });
  });

  test('update, delete and policies are for active admins; subscription_admin_verified_id may only be cleared', () => {
    const none = { current: null, requested: undefined };
    assert.equal(rendered(decideGroupUpdate(as('admin'), none)), 'allowed');
    assert.deepEqual(rendered(decideGroupUpdate(as('manager'), none)), {
      status: 403,
      code: 'FORBIDDEN',
      message: 'Only group admins may update the group',
      extra: {},
    });
    assert.notEqual(rendered(decideGroupUpdate(as('admin', 'invited'), none)), 'allowed');
    assert.equal(rendered(decideGroupUpdate(as('admin'), { current: OTHER, requested: null })), 'allowed');
    assert.equal(rendered(decideGroupUpdate(as('admin'), { current: OTHER, requested: OTHER })), 'allowed');
    assert.deepEqual(rendered(decideGroupUpdate(as('admin'), { current: null, requested: OTHER })), {
      status: 403,
      code: 'FORBIDDEN',
      message: 'Group admins may only clear subscription_admin_verified_id here; set it with PUT /v2/groups/{group_id}/subscription_admin_verified',
      extra: {},
    });
    assert.equal(rendered(decideGroupDeletion(as('admin'), 0)), 'allowed');
    assert.deepEqual(rendered(decideGroupDeletion(as('member'), 1)), {
      status: 403,
      code: 'FORBIDDEN',
      message: 'Only group admins may delete the group',
      extra: {},
    });
    assert.deepEqual(rendered(decideGroupDeletion(as('admin'), 1)), {
      status: 409,
      code: 'CONFLICT',
      message: 'Delete the subgroups of this group first',
      extra: {},
    });
    assert.equal(rendered(decidePolicyUpdate(as('admin'))), 'allowed');
    assert.deepEqual(rendered(decidePolicyUpdate(as('manager'))), { status: 403, code: 'FORBIDDEN', message: 'Only group admins may set policies', extra: {} });
  });

  test('batch: an action none of the caller identities may take refuses the whole batch', () => {
    const group = { policies: POLICIES, allowJoin: false };
    assert.equal(rendered(decideBatch(group, [ME], as('manager'), ['add', 'remove'])), 'allowed');
    assert.deepEqual(rendered(decideBatch(group, [ME], as('manager'), ['add', 'change_role', 'join'])), {
      status: 403,
      code: 'FORBIDDEN',
      message: "None of the caller's identities may change_role, join in this group",
      extra: {},
    });
  });

  test('batch items: each refusal is a code and detail, not an envelope', () => {
    const base: ActionCheck = {
      action: 'remove',
      actorRole: 'admin',
      callerIdentities: [ME],
      targetIdentityId: OTHER,
      target: { identity_id: OTHER, role: 'admin', status: 'active' },
      group: { policies: POLICIES, allowJoin: false },
      identityExists: true,
      allowAdd: true,
      missingSignupFields: [],
      activeAdmins: 2,
    };
    assert.deepEqual(decideMembershipAction(base), { allowed: true });
    assert.deepEqual(decideMembershipAction({ ...base, activeAdmins: 1 }), {
      allowed: false,
      reason: 'LAST_ADMIN',
      message: 'A group must keep at least one active admin.',
    });
    assert.deepEqual(decideMembershipAction({ ...base, actorRole: 'manager' }), {
      allowed: false,
      reason: 'NOT_ALLOWED',
      message: 'Managers cannot remove admins.',
    });
    assert.deepEqual(decideMembershipAction({ ...base, target: undefined }), {
      allowed: false,
      reason: 'NO_MEMBERSHIP',
      message: 'Identity has no membership in group.',
    });
  });

  test('members: hidden from plain members under managers-only visibility; signup answers only for managers and admins', () => {
    assert.equal(decideMembersView(POLICIES, as('member')).allowed, false);
    assert.equal(decideMembersView(POLICIES, []).allowed, false);
    assert.deepEqual(decideMembersView({ ...POLICIES, group_members_visibility: 'members' }, as('member')), { allowed: true, membershipFields: false });
    assert.deepEqual(decideMembersView(POLICIES, as('manager')), { allowed: true, membershipFields: true });
  });

  test("preferences and membership fields: only the caller's own identities", () => {
    assert.equal(rendered(decideOwnIdentities('Preferences', [ME, OTHER], [OTHER])), 'allowed');
    assert.deepEqual(rendered(decideOwnIdentities('Membership fields', [ME], [ME, OTHER])), {
      status: 403,
      code: 'FORBIDDEN',
      message: `Membership fields can be set only for the caller's identities (not ${OTHER})`,
      extra: {},
    });
  });

  test('subscription verification: admins of the subscription group, for the current and the wanted one', () => {
    assert.equal(rendered(decideSubscriptionVerification('wanted', as('admin'))), 'allowed');
    assert.deepEqual(rendered(decideSubscriptionVerification('wanted', undefined)), {
      status: 403,
      code: 'FORBIDDEN',
      message: 'Only admins of the subscription group may verify a group for it',
      extra: {},
    });
    assert.deepEqual(rendered(decideSubscriptionVerification('current', as('manager'))), {
      status: 403,
      code: 'FORBIDDEN',
      message: 'Only admins of the current subscription group may change this verification',
      extra: {},
    });
  });
});
