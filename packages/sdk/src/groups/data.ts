// Groups enums (const objects + unions) and payload builders: BatchMembershipActions, GroupPolicies.

export const GroupRole = { admin: 'admin', manager: 'manager', member: 'member' } as const;
export type GroupRole = (typeof GroupRole)[keyof typeof GroupRole];

export const GroupVisibility = { authenticated: 'authenticated', private: 'private' } as const;
export type GroupVisibility = (typeof GroupVisibility)[keyof typeof GroupVisibility];

export const GroupMemberVisibility = { managers: 'managers', members: 'members' } as const;
export type GroupMemberVisibility = (typeof GroupMemberVisibility)[keyof typeof GroupMemberVisibility];

export const GroupRequiredSignupFields = {
  address: 'address',
  address1: 'address1',
  address2: 'address2',
  city: 'city',
  country: 'country',
  current_project_name: 'current_project_name',
  department: 'department',
  field_of_science: 'field_of_science',
  institution: 'institution',
  phone: 'phone',
  state: 'state',
  zip: 'zip',
} as const;
export type GroupRequiredSignupFields = (typeof GroupRequiredSignupFields)[keyof typeof GroupRequiredSignupFields];

export type MembershipStatus = 'active' | 'invited' | 'pending' | 'rejected' | 'removed' | 'left' | 'declined';
export type MembershipActionName =
  'add' | 'invite' | 'accept' | 'decline' | 'join' | 'request_join' | 'approve' | 'reject' | 'leave' | 'remove' | 'change_role';

export interface MembershipActionItem {
  identity_id: string;
  role?: GroupRole;
  status_reason?: string;
  invite_email_address?: string;
}

export type BatchMembershipActionsData = Partial<Record<MembershipActionName, MembershipActionItem[]>>;

type Ids = string | Iterable<string>;
const ids = (v: Ids): string[] => (typeof v === 'string' ? [v] : [...v]);

/**
 * A batch of membership actions for POST /v2/groups/{group_id}. Each method appends to its action's
 * list and returns `this`, as the Python SDK's helper does.
 */
export class BatchMembershipActions {
  readonly data: BatchMembershipActionsData = {};

  private push(action: MembershipActionName, items: MembershipActionItem[]): this {
    (this.data[action] ??= []).push(...items);
    return this;
  }

  acceptInvites(identityIds: Ids): this {
    return this.push(
      'accept',
      ids(identityIds).map((identity_id) => ({ identity_id })),
    );
  }
  addMembers(identityIds: Ids, options: { role?: GroupRole } = {}): this {
    return this.push(
      'add',
      ids(identityIds).map((identity_id) => ({ identity_id, role: options.role ?? 'member' })),
    );
  }
  approvePending(identityIds: Ids): this {
    return this.push(
      'approve',
      ids(identityIds).map((identity_id) => ({ identity_id })),
    );
  }
  changeRoles(role: GroupRole, identityIds: Ids): this {
    return this.push(
      'change_role',
      ids(identityIds).map((identity_id) => ({ identity_id, role })),
    );
  }
  declineInvites(identityIds: Ids): this {
    return this.push(
      'decline',
      ids(identityIds).map((identity_id) => ({ identity_id })),
    );
  }
  inviteMembers(identityIds: Ids, options: { role?: GroupRole } = {}): this {
    return this.push(
      'invite',
      ids(identityIds).map((identity_id) => ({ identity_id, role: options.role ?? 'member' })),
    );
  }
  join(identityIds: Ids): this {
    return this.push(
      'join',
      ids(identityIds).map((identity_id) => ({ identity_id })),
    );
  }
  leave(identityIds: Ids): this {
    return this.push(
      'leave',
      ids(identityIds).map((identity_id) => ({ identity_id })),
    );
  }
  rejectJoinRequests(identityIds: Ids): this {
    return this.push(
      'reject',
      ids(identityIds).map((identity_id) => ({ identity_id })),
    );
  }
  removeMembers(identityIds: Ids): this {
    return this.push(
      'remove',
      ids(identityIds).map((identity_id) => ({ identity_id })),
    );
  }
  requestJoin(identityIds: Ids): this {
    return this.push(
      'request_join',
      ids(identityIds).map((identity_id) => ({ identity_id })),
    );
  }

  toJSON(): BatchMembershipActionsData {
    return this.data;
  }
}

export interface GroupPoliciesData {
  is_high_assurance: boolean;
  group_visibility: GroupVisibility;
  group_members_visibility: GroupMemberVisibility;
  join_requests: boolean;
  signup_fields: GroupRequiredSignupFields[];
  /** sent only when given; null resets the default */
  authentication_assurance_timeout?: number | null;
}

/** The policy document for PUT /v2/groups/{group_id}/policies (every field but the timeout is required, as in the Python SDK). */
export class GroupPolicies {
  readonly data: GroupPoliciesData;
  constructor(policies: {
    isHighAssurance: boolean;
    groupVisibility: GroupVisibility;
    groupMembersVisibility: GroupMemberVisibility;
    joinRequests: boolean;
    signupFields: Iterable<GroupRequiredSignupFields>;
    authenticationAssuranceTimeout?: number | null;
  }) {
    this.data = {
      is_high_assurance: policies.isHighAssurance,
      group_visibility: policies.groupVisibility,
      group_members_visibility: policies.groupMembersVisibility,
      join_requests: policies.joinRequests,
      signup_fields: [...policies.signupFields],
      ...(policies.authenticationAssuranceTimeout !== undefined ? { authentication_assurance_timeout: policies.authenticationAssuranceTimeout } : {}),
    };
  }
  toJSON(): GroupPoliciesData {
    return this.data;
  }
}
