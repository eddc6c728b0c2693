// GroupsManager: one call per common membership operation, each a one-item BatchMembershipActions.
import { GroupsClient } from './client.ts';
import type { GroupsClientOptions } from './client.ts';
import { BatchMembershipActions, GroupPolicies } from './data.ts';
import type { GroupMemberVisibility, GroupRequiredSignupFields, GroupRole, GroupVisibility } from './data.ts';
import type { BatchMembershipResult, Group, GroupPolicyDocument } from './types.ts';

export class GroupsManager {
  readonly client: GroupsClient;
  constructor(client?: GroupsClient | GroupsClientOptions) {
    this.client = client instanceof GroupsClient ? client : new GroupsClient(client);
  }

  /** POST /v2/groups with `{name, description, parent_id}` (parent_id null for a top-level group). */
  createGroup(name: string, description: string, options: { parentId?: string | null } = {}): Promise<Group> {
    return this.client.createGroup({ name, description, parent_id: options.parentId ?? null });
  }

  /** PUT /v2/groups/{group_id}/policies with every policy field. */
  setGroupPolicies(
    groupId: string,
    policies: {
      isHighAssurance: boolean;
      groupVisibility: GroupVisibility;
      groupMembersVisibility: GroupMemberVisibility;
      joinRequests: boolean;
      signupFields: Iterable<GroupRequiredSignupFields>;
      authenticationAssuranceTimeout?: number | null;
    },
  ): Promise<GroupPolicyDocument> {
    return this.client.setGroupPolicies(groupId, new GroupPolicies(policies));
  }

  private act(groupId: string, batch: BatchMembershipActions): Promise<BatchMembershipResult> {
    return this.client.batchMembershipAction(groupId, batch);
  }

  acceptInvite(groupId: string, identityId: string) {
    return this.act(groupId, new BatchMembershipActions().acceptInvites(identityId));
  }
  addMember(groupId: string, identityId: string, options: { role?: GroupRole } = {}) {
    return this.act(groupId, new BatchMembershipActions().addMembers(identityId, options));
  }
  approvePending(groupId: string, identityId: string) {
    return this.act(groupId, new BatchMembershipActions().approvePending(identityId));
  }
  changeRole(groupId: string, identityId: string, role: GroupRole) {
    return this.act(groupId, new BatchMembershipActions().changeRoles(role, identityId));
  }
  declineInvite(groupId: string, identityId: string) {
    return this.act(groupId, new BatchMembershipActions().declineInvites(identityId));
  }
  inviteMember(groupId: string, identityId: string, options: { role?: GroupRole } = {}) {
    return this.act(groupId, new BatchMembershipActions().inviteMembers(identityId, options));
  }
  join(groupId: string, identityId: string) {
    return this.act(groupId, new BatchMembershipActions().join(identityId));
  }
  leave(groupId: string, identityId: string) {
    return this.act(groupId, new BatchMembershipActions().leave(identityId));
  }
  rejectJoinRequest(groupId: string, identityId: string) {
    return this.act(groupId, new BatchMembershipActions().rejectJoinRequests(identityId));
  }
  removeMember(groupId: string, identityId: string) {
    return this.act(groupId, new BatchMembershipActions().removeMembers(identityId));
  }
  requestJoin(groupId: string, identityId: string) {
    return this.act(groupId, new BatchMembershipActions().requestJoin(identityId));
  }
}
