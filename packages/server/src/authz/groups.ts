// Groups authorization as pure functions: token writes, visibility, create/update/delete, policies, batch membership actions, own-identity writes, subscription verification.

export const GROUP_ROLES = ['member', 'manager', 'admin'] as const;
export type GroupRole = (typeof GROUP_ROLES)[number];

export const MEMBERSHIP_STATUSES = ['active', 'invited', 'pending', 'rejected', 'removed', 'left', 'declined'] as const;
export type MembershipStatus = (typeof MEMBERSHIP_STATUSES)[number];

/** Batch membership actions, in the order a batch applies them. */
export const MEMBERSHIP_ACTIONS = [
  'add',
  'invite',
  'accept',
  'decline',
  'join',
  'request_join',
  'approve',
  'reject',
  'leave',
  'remove',
  'change_role',
] as const;
export type MembershipAction = (typeof MEMBERSHIP_ACTIONS)[number];

export const SIGNUP_FIELDS = [
  'institution',
  'current_project_name',
  'address',
  'city',
  'state',
  'country',
  'address1',
  'address2',
  'zip',
  'phone',
  'department',
  'field_of_science',
] as const;

export interface GroupPolicies {
  is_high_assurance: boolean;
  authentication_assurance_timeout: number | null;
  group_visibility: 'authenticated' | 'private';
  group_members_visibility: 'members' | 'managers';
  join_requests: boolean;
  signup_fields: string[];
}

export interface MembershipState {
  identity_id: string;
  role: string;
  status: string;
}

const RANK: Record<string, number> = { member: 1, manager: 2, admin: 3 };

/** The caller's strongest role among its identities' active memberships. */
export function callerRole(callerMemberships: MembershipState[]): GroupRole | undefined {
  let best: GroupRole | undefined;
  for (const m of callerMemberships) {
    if (m.status !== 'active') continue;
    if (!best || RANK[m.role] > RANK[best]) best = m.role as GroupRole;
  }
  return best;
}

/** authenticated groups are public to any token; private ones only to active, invited or pending members. */
export function canViewGroup(policies: GroupPolicies, callerMemberships: MembershipState[]): boolean {
  if (policies.group_visibility === 'authenticated') return true;
  return callerMemberships.some((m) => m.status === 'active' || m.status === 'invited' || m.status === 'pending');
}

export function canViewMembers(policies: GroupPolicies, callerMemberships: MembershipState[]): boolean {
  const role = callerRole(callerMemberships);
  if (!role) return false;
  return policies.group_members_visibility === 'members' || role !== 'member';
}

/** Plain members see only the active roster; managers and admins see every status (invitations, requests). */
export function visibleMembership(viewerRole: GroupRole | undefined, m: MembershipState): boolean {
  return viewerRole === 'admin' || viewerRole === 'manager' || m.status === 'active';
}

export const isAdmin = (ms: MembershipState[]) => callerRole(ms) === 'admin';
export const isManagerOrAdmin = (ms: MembershipState[]) => {
  const r = callerRole(ms);
  return r === 'admin' || r === 'manager';
};

export interface GroupSettings {
  policies: GroupPolicies;
  /** Gatehouse's per-group switch for direct `join` */
  allowJoin: boolean;
}

/**
 * AllowedActions: for each action, the caller's identities that may perform it. A batch naming an
 * action whose list is empty is refused as a whole (403).
 */
export function allowedActions(group: GroupSettings, callerIdentities: string[], callerMemberships: MembershipState[]): Record<MembershipAction, string[]> {
  const byId = new Map(callerMemberships.map((m) => [m.identity_id, m]));
  const status = (id: string) => byId.get(id)?.status;
  const activeWith = (roles: string[]) => callerIdentities.filter((id) => status(id) === 'active' && roles.includes(byId.get(id)!.role));
  const managers = activeWith(['admin', 'manager']);
  const canJoin = group.allowJoin && !group.policies.is_high_assurance;
  return {
    add: managers,
    invite: managers,
    approve: managers,
    reject: managers,
    remove: managers,
    change_role: activeWith(['admin']),
    accept: callerIdentities.filter((id) => status(id) === 'invited'),
    decline: callerIdentities.filter((id) => status(id) === 'invited'),
    join: canJoin ? callerIdentities.filter((id) => status(id) !== 'active') : [],
    request_join: group.policies.join_requests ? callerIdentities.filter((id) => status(id) !== 'active' && status(id) !== 'pending') : [],
    leave: callerIdentities.filter((id) => status(id) === 'active'),
  };
}

/** The batch's per-item error codes (reported in the batch response, not as an envelope). */
export type ActionRefusal =
  | 'NOT_ALLOWED'
  | 'INVALID_ROLE'
  | 'IDENTITY_NOT_FOUND'
  | 'ALREADY_ACTIVE'
  | 'ADD_NOT_ALLOWED'
  | 'NOT_IN_IDENTITY_SET'
  | 'INVALID_STATUS'
  | 'NO_MEMBERSHIP'
  | 'LAST_ADMIN'
  | 'SIGNUP_FIELDS_REQUIRED';
export type ActionDecision = { allowed: true } | { allowed: false; reason: ActionRefusal; message: string };

export interface ActionCheck {
  action: MembershipAction;
  /** role of the caller at the start of the request (permissions do not shift mid-batch) */
  actorRole: GroupRole | undefined;
  callerIdentities: string[];
  targetIdentityId: string;
  /** the target's current membership (live, within the batch) */
  target: MembershipState | undefined;
  /** requested role for add / invite / change_role */
  role?: string;
  group: GroupSettings;
  identityExists: boolean;
  /** the target's allow_add preference (default true) */
  allowAdd: boolean;
  /** signup fields the target has not filled in */
  missingSignupFields: string[];
  /** current number of active admins */
  activeAdmins: number;
}

const err = (reason: ActionRefusal, message: string): ActionDecision => ({ allowed: false, reason, message });
const ALLOWED = { allowed: true } as const;
const ALREADY_ACTIVE = err('ALREADY_ACTIVE', 'The identity is already an active member of the group.');
const NO_MEMBERSHIP = err('NO_MEMBERSHIP', 'Identity has no membership in group.');
const LAST_ADMIN = err('LAST_ADMIN', 'A group must keep at least one active admin.');

function wrongStatus(target: MembershipState | undefined, wanted: string): ActionDecision {
  if (!target) return NO_MEMBERSHIP;
  return err('INVALID_STATUS', `The membership is ${target.status}; this action needs ${wanted}.`);
}

/** Whether one item of a batch may be applied, and if not why (its code and detail in the batch response). */
export function decideMembershipAction(c: ActionCheck): ActionDecision {
  const { action, actorRole, target } = c;
  const mine = c.callerIdentities.includes(c.targetIdentityId);
  const privileged = actorRole === 'admin' || actorRole === 'manager';
  const losesAdmin = target?.status === 'active' && target.role === 'admin';
  switch (action) {
    case 'add':
    case 'invite': {
      if (!privileged) return err('NOT_ALLOWED', `Only admins and managers may ${action} members.`);
      if (c.role !== undefined && !(GROUP_ROLES as readonly string[]).includes(c.role)) return err('INVALID_ROLE', `Unknown role ${c.role}.`);
      if ((c.role === 'admin' || c.role === 'manager') && actorRole !== 'admin') return err('NOT_ALLOWED', `Only admins may ${action} ${c.role}s.`);
      if (!c.identityExists) return err('IDENTITY_NOT_FOUND', `Identity ${c.targetIdentityId} does not exist.`);
      if (target?.status === 'active') return ALREADY_ACTIVE;
      if (action === 'add') {
        if (target?.status === 'left') return err('ADD_NOT_ALLOWED', 'The identity left this group and cannot be added back directly; invite it instead.');
        if (!c.allowAdd) return err('ADD_NOT_ALLOWED', 'The identity does not allow being added to groups; invite it instead.');
      }
      return ALLOWED;
    }
    case 'accept':
    case 'decline':
      if (!mine) return err('NOT_IN_IDENTITY_SET', 'Invitations can only be answered by the invited identity.');
      return target?.status === 'invited' ? ALLOWED : wrongStatus(target, 'invited');
    case 'join':
    case 'request_join': {
      if (!mine) return err('NOT_IN_IDENTITY_SET', `Only identities of the caller may ${action === 'join' ? 'join' : 'request to join'}.`);
      if (action === 'join') {
        if (!c.group.allowJoin) return err('NOT_ALLOWED', 'This group cannot be joined directly.');
        if (c.group.policies.is_high_assurance) return err('NOT_ALLOWED', 'High-assurance groups cannot be joined directly.');
      } else if (!c.group.policies.join_requests) {
        return err('NOT_ALLOWED', 'This group does not accept join requests.');
      }
      if (target?.status === 'active') return ALREADY_ACTIVE;
      if (action === 'request_join' && target?.status === 'pending') return err('INVALID_STATUS', 'A join request is already pending.');
      if (c.missingSignupFields.length > 0) {
        return err('SIGNUP_FIELDS_REQUIRED', `Set these membership fields first: ${c.missingSignupFields.join(', ')}.`);
      }
      return ALLOWED;
    }
    case 'approve':
    case 'reject':
      if (!privileged) return err('NOT_ALLOWED', `Only admins and managers may ${action} join requests.`);
      return target?.status === 'pending' ? ALLOWED : wrongStatus(target, 'pending');
    case 'leave':
      if (!mine) return err('NOT_IN_IDENTITY_SET', 'Only identities of the caller may leave.');
      if (target?.status !== 'active') return wrongStatus(target, 'active');
      if (losesAdmin && c.activeAdmins <= 1) return LAST_ADMIN;
      return ALLOWED;
    case 'remove':
      if (!privileged) return err('NOT_ALLOWED', 'Only admins and managers may remove members.');
      if (mine) return err('NOT_ALLOWED', 'Use leave to end your own membership.');
      if (target?.status !== 'active' && target?.status !== 'invited') return wrongStatus(target, 'active or invited');
      if (actorRole === 'manager' && target.role === 'admin') return err('NOT_ALLOWED', 'Managers cannot remove admins.');
      if (losesAdmin && c.activeAdmins <= 1) return LAST_ADMIN;
      return ALLOWED;
    case 'change_role':
      if (actorRole !== 'admin') return err('NOT_ALLOWED', 'Only admins may change roles.');
      if (!(GROUP_ROLES as readonly string[]).includes(c.role ?? '')) return err('INVALID_ROLE', `Unknown role ${c.role}.`);
      if (target?.status !== 'active') return wrongStatus(target, 'active');
      if (losesAdmin && c.role !== 'admin' && c.activeAdmins <= 1) return LAST_ADMIN;
      return ALLOWED;
  }
}

/** The membership an allowed action leaves behind. */
export function applyMembershipAction(
  action: MembershipAction,
  current: MembershipState | undefined,
  role: string | undefined,
): { role: string; status: MembershipStatus } {
  const keep = current?.role ?? 'member';
  switch (action) {
    case 'add':
      return { role: role ?? 'member', status: 'active' };
    case 'invite':
      return { role: role ?? 'member', status: 'invited' };
    case 'accept':
    case 'approve':
      return { role: keep, status: 'active' };
    case 'decline':
      return { role: keep, status: 'declined' };
    case 'join':
      return { role: 'member', status: 'active' };
    case 'request_join':
      return { role: 'member', status: 'pending' };
    case 'reject':
      return { role: keep, status: 'rejected' };
    case 'leave':
      return { role: keep, status: 'left' };
    case 'remove':
      return { role: keep, status: 'removed' };
    case 'change_role':
      return { role: role ?? keep, status: 'active' };
  }
}

/** Signup fields the identity still has to fill in (empty strings do not count). */
export function missingSignupFields(policies: GroupPolicies, fields: Record<string, unknown>): string[] {
  return policies.signup_fields.filter((f) => typeof fields[f] !== 'string' || (fields[f] as string).trim() === '');
}

// ---------------------------------------------------------------------------------------------
// Decisions the routes render into the Groups envelope (groups/decisions.ts maps each reason to its status).

/** Tokens that may change things; `groups.api.globus.org:view_my_groups_and_memberships` is read-only. */
export const GROUPS_WRITE_SCOPES = ['urn:globus:auth:scope:groups.api.globus.org:all', 'urn:globus:auth:scope:nexus.api.globus.org:groups'];

/** OAS-G: callers with more than this many active memberships cannot create groups. */
export const MAX_ACTIVE_MEMBERSHIPS = 1000;

export type GroupDenialReason =
  | 'read_only_token'
  | 'not_visible'
  | 'too_many_memberships'
  | 'not_parent_admin'
  | 'not_admin'
  | 'verified_id_set_elsewhere'
  | 'has_subgroups'
  | 'actions_refused'
  | 'members_hidden'
  | 'foreign_identities'
  | 'not_subscription_admin';

export type GroupDenial =
  | { allowed: false; reason: 'read_only_token'; message: string; provided_scopes: string[] }
  | { allowed: false; reason: Exclude<GroupDenialReason, 'read_only_token'>; message: string };
export type GroupDecision = { allowed: true } | GroupDenial;

const deny = (reason: Exclude<GroupDenialReason, 'read_only_token'>, message: string): GroupDenial => ({ allowed: false, reason, message });

/** Routes that change something want a write scope. */
export function decideGroupsWrite(tokenScopes: string[]): GroupDecision {
  if (tokenScopes.some((s) => GROUPS_WRITE_SCOPES.includes(s))) return ALLOWED;
  return {
    allowed: false,
    reason: 'read_only_token',
    message: 'This token is read-only; the groups.api.globus.org:all scope is required',
    provided_scopes: tokenScopes,
  };
}

/** Who may view a group (and so its policies, children and own memberships): an invisible group is reported as missing. */
export function decideGroupView(groupId: string, policies: GroupPolicies, callerMemberships: MembershipState[]): GroupDecision {
  return canViewGroup(policies, callerMemberships) ? ALLOWED : deny('not_visible', `Group ${groupId} not found`);
}

export function decideGroupCreation(activeMemberships: number): GroupDecision {
  if (activeMemberships > MAX_ACTIVE_MEMBERSHIPS)
    return deny('too_many_memberships', `Identities with more than ${MAX_ACTIVE_MEMBERSHIPS} active memberships cannot create groups`);
  return ALLOWED;
}

export function decideSubgroupCreation(parentMemberships: MembershipState[]): GroupDecision {
  return isAdmin(parentMemberships) ? ALLOWED : deny('not_parent_admin', 'Only admins of the parent group may create subgroups');
}

/** `verifiedId`: the group's subscription_admin_verified_id now and as the PUT body asks (undefined: not named). */
export function decideGroupUpdate(
  callerMemberships: MembershipState[],
  verifiedId: { current: string | null; requested: string | null | undefined },
): GroupDecision {
  if (!isAdmin(callerMemberships)) return deny('not_admin', 'Only group admins may update the group');
  const { current, requested } = verifiedId;
  if (requested !== undefined && requested !== null && requested !== current) {
    return deny(
      'verified_id_set_elsewhere',
      'Group admins may only clear subscription_admin_verified_id here; set it with PUT /v2/groups/{group_id}/subscription_admin_verified',
    );
  }
  return ALLOWED;
}

export function decideGroupDeletion(callerMemberships: MembershipState[], subgroups: number): GroupDecision {
  if (!isAdmin(callerMemberships)) return deny('not_admin', 'Only group admins may delete the group');
  if (subgroups > 0) return deny('has_subgroups', 'Delete the subgroups of this group first');
  return ALLOWED;
}

export function decidePolicyUpdate(callerMemberships: MembershipState[]): GroupDecision {
  return isAdmin(callerMemberships) ? ALLOWED : deny('not_admin', 'Only group admins may set policies');
}

/** A batch naming an action none of the caller's identities may perform is refused as a whole; its items are then decided one by one. */
export function decideBatch(
  group: GroupSettings,
  callerIdentities: string[],
  callerMemberships: MembershipState[],
  requested: readonly MembershipAction[],
): GroupDecision {
  const allowed = allowedActions(group, callerIdentities, callerMemberships);
  const refused = requested.filter((a) => allowed[a].length === 0);
  if (refused.length) return deny('actions_refused', `None of the caller's identities may ${refused.join(', ')} in this group`);
  return ALLOWED;
}

/** Who sees a group's members (which of them: visibleMembership), and whether with their signup answers, which are for the people who approve members. */
export type MembersView = { allowed: true; membershipFields: boolean } | GroupDenial;
export function decideMembersView(policies: GroupPolicies, callerMemberships: MembershipState[]): MembersView {
  if (!canViewMembers(policies, callerMemberships)) return deny('members_hidden', 'The members of this group are not visible to the caller');
  return { allowed: true, membershipFields: isManagerOrAdmin(callerMemberships) };
}

/** Preferences and membership fields are set only for the caller's own identities. */
export function decideOwnIdentities(what: 'Preferences' | 'Membership fields', callerIdentities: string[], named: string[]): GroupDecision {
  const foreign = named.filter((id) => !callerIdentities.includes(id));
  if (foreign.length) return deny('foreign_identities', `${what} can be set only for the caller's identities (not ${foreign.join(', ')})`);
  return ALLOWED;
}

/**
 * subscription_admin_verified: changing the current verification and granting a new one both need an
 * admin of that subscription's group. `subscriptionMemberships`: the caller's memberships in the group that
 * provides the subscription, undefined when no group does.
 */
export function decideSubscriptionVerification(which: 'current' | 'wanted', subscriptionMemberships: MembershipState[] | undefined): GroupDecision {
  if (subscriptionMemberships && isAdmin(subscriptionMemberships)) return ALLOWED;
  return which === 'current'
    ? deny('not_subscription_admin', 'Only admins of the current subscription group may change this verification')
    : deny('not_subscription_admin', 'Only admins of the subscription group may verify a group for it');
}
