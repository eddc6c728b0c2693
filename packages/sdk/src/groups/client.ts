// GroupsClient: the Globus Groups API v2, one method per route (names follow the Python SDK, camel-cased).
import { BaseClient, urlPath } from '../core/base-client.ts';
import type { BaseClientOptions } from '../core/base-client.ts';
import { getServiceUrl } from '../core/config.ts';
import { GroupsAPIError } from '../core/errors.ts';
import type { QueryParams } from '../core/transport.ts';
import type { BatchMembershipActions, BatchMembershipActionsData, GroupPolicies, GroupPoliciesData, MembershipStatus } from './data.ts';
import type { BatchMembershipResult, Group, GroupPolicyDocument, GroupStatusCounts, GroupSubscription } from './types.ts';

export interface GroupsClientOptions extends BaseClientOptions {
  /** A Globus environment name (default GLOBUS_SDK_ENVIRONMENT or production). */
  environment?: string;
}

export type GroupInclude = 'memberships' | 'my_memberships' | 'policies' | 'allowed_actions' | 'child_ids';

/** Extra query parameters passed through unchanged (the Python SDK's `query_params`). */
export interface PassThrough {
  queryParams?: QueryParams;
}

export interface GroupCreateData {
  name: string;
  description?: string | null;
  terms_and_conditions?: string | null;
  parent_id?: string | null;
  policies?: Partial<GroupPoliciesData>;
}

export interface GroupUpdateData {
  name?: string;
  description?: string | null;
  terms_and_conditions?: string | null;
  subscription_admin_verified_id?: string | null;
  [key: string]: unknown;
}

/** List parameters are comma-joined, as both Globus SDKs send them. */
const commaJoin = (v: string | Iterable<string> | undefined) => (v === undefined ? undefined : typeof v === 'string' ? v : [...v].join(','));

export class GroupsClient extends BaseClient {
  constructor(options: GroupsClientOptions = {}) {
    super(options, {
      serviceName: 'groups',
      baseUrl: getServiceUrl('groups', { baseUrl: options.baseUrl, environment: options.environment }),
      errorClass: GroupsAPIError,
    });
  }

  /** GET /v2/groups/my_groups — a bare array; `statuses` defaults to active on the server. */
  getMyGroups(options: PassThrough & { statuses?: MembershipStatus | Iterable<MembershipStatus> } = {}): Promise<Group[]> {
    return this.get('v2/groups/my_groups', { query: { ...options.queryParams, statuses: commaJoin(options.statuses) } });
  }

  /** GET /v2/groups/{group_id}?include=… */
  getGroup(groupId: string, options: PassThrough & { include?: GroupInclude | Iterable<GroupInclude> } = {}): Promise<Group> {
    return this.get(urlPath`v2/groups/${groupId}`, { query: { ...options.queryParams, include: commaJoin(options.include) } });
  }

  /** GET /v2/subscription_info/{subscription_id} — the group that provides a subscription. */
  getGroupBySubscriptionId(subscriptionId: string): Promise<GroupSubscription> {
    return this.get(urlPath`v2/subscription_info/${subscriptionId}`);
  }

  /** DELETE /v2/groups/{group_id} — resolves to the group as it was. */
  deleteGroup(groupId: string, options: PassThrough = {}): Promise<Group> {
    return this.delete(urlPath`v2/groups/${groupId}`, { query: options.queryParams });
  }

  /** POST /v2/groups (201) */
  createGroup(data: GroupCreateData, options: PassThrough = {}): Promise<Group> {
    return this.post('v2/groups', data, { query: options.queryParams });
  }

  /** PUT /v2/groups/{group_id} */
  updateGroup(groupId: string, data: GroupUpdateData, options: PassThrough = {}): Promise<Group> {
    return this.put(urlPath`v2/groups/${groupId}`, data, { query: options.queryParams });
  }

  /** GET /v2/groups/{group_id}/policies */
  getGroupPolicies(groupId: string, options: PassThrough = {}): Promise<GroupPolicyDocument> {
    return this.get(urlPath`v2/groups/${groupId}/policies`, { query: options.queryParams });
  }

  /** PUT /v2/groups/{group_id}/policies — a GroupPolicies or a partial policy document. */
  setGroupPolicies(groupId: string, data: GroupPolicies | Partial<GroupPoliciesData>, options: PassThrough = {}): Promise<GroupPolicyDocument> {
    return this.put(urlPath`v2/groups/${groupId}/policies`, data, { query: options.queryParams });
  }

  /** GET /v2/preferences → `{<identity_id>: {allow_add}}` */
  getIdentityPreferences(options: PassThrough = {}): Promise<Record<string, { allow_add: boolean | null }>> {
    return this.get('v2/preferences', { query: options.queryParams });
  }

  /** PUT /v2/preferences — `{allow_add}` for the whole identity set, or a map per identity. */
  setIdentityPreferences(
    data: { allow_add: boolean | null } | Record<string, { allow_add: boolean | null }>,
    options: PassThrough = {},
  ): Promise<Record<string, { allow_add: boolean | null }>> {
    return this.put('v2/preferences', data, { query: options.queryParams });
  }

  /** GET /v2/groups/{group_id}/membership_fields → `{<identity_id>: MembershipFields}` */
  getMembershipFields(groupId: string, options: PassThrough = {}): Promise<Record<string, Record<string, string | null>>> {
    return this.get(urlPath`v2/groups/${groupId}/membership_fields`, { query: options.queryParams });
  }

  /** PUT /v2/groups/{group_id}/membership_fields */
  setMembershipFields(
    groupId: string,
    data: Record<string, Record<string, string | null>>,
    options: PassThrough = {},
  ): Promise<Record<string, Record<string, string | null>>> {
    return this.put(urlPath`v2/groups/${groupId}/membership_fields`, data, { query: options.queryParams });
  }

  /**
   * POST /v2/groups/{group_id} — per-item failures come back in `errors` with HTTP 200; only
   * whole-request refusals (400 ambiguous identities, 403, 404) throw.
   */
  batchMembershipAction(
    groupId: string,
    actions: BatchMembershipActions | BatchMembershipActionsData,
    options: PassThrough = {},
  ): Promise<BatchMembershipResult> {
    return this.post(urlPath`v2/groups/${groupId}`, actions, { query: options.queryParams });
  }

  /** GET /v2/groups/statuses — membership counts per group the caller administers or manages. */
  getStatuses(): Promise<Record<string, GroupStatusCounts>> {
    return this.get('v2/groups/statuses');
  }

  /** GET /v2/groups/{group_id}/children → `{children: [...]}` */
  getChildren(groupId: string, options: { include?: GroupInclude | Iterable<GroupInclude> } = {}): Promise<{ children: Group[] }> {
    return this.get(urlPath`v2/groups/${groupId}/children`, { query: { include: commaJoin(options.include) } });
  }

  /** PUT /v2/groups/{group_id}/subscription_admin_verified */
  setSubscriptionAdminVerified(
    groupId: string,
    subscriptionAdminVerifiedId: string | null,
  ): Promise<{ group_id: string; subscription_admin_verified_id: string | null }> {
    return this.put(urlPath`v2/groups/${groupId}/subscription_admin_verified`, { subscription_admin_verified_id: subscriptionAdminVerifiedId });
  }
}
