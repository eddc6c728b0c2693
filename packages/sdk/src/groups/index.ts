// The Groups part of the SDK: client, manager, payload helpers, enums and document types.
export { GroupsClient } from './client.ts';
export type { GroupsClientOptions, GroupInclude, GroupCreateData, GroupUpdateData, PassThrough } from './client.ts';
export { GroupsManager } from './manager.ts';
export { BatchMembershipActions, GroupPolicies, GroupRole, GroupVisibility, GroupMemberVisibility, GroupRequiredSignupFields } from './data.ts';
export type { BatchMembershipActionsData, GroupPoliciesData, MembershipActionItem, MembershipActionName, MembershipStatus } from './data.ts';
export type * from './types.ts';
export { GroupsAPIError } from '../core/errors.ts';
