// Groups wire documents (GroupReadModel, MembershipReadModel, batch results) as TypeScript types.
import type { GroupMemberVisibility, GroupRole, GroupVisibility, MembershipActionName, MembershipStatus } from './data.ts';

export interface GroupPolicyDocument {
  is_high_assurance: boolean;
  authentication_assurance_timeout: number | null;
  group_visibility: GroupVisibility;
  group_members_visibility: GroupMemberVisibility;
  join_requests: boolean;
  signup_fields: string[];
}

export interface Membership {
  group_id: string;
  identity_id: string;
  username: string;
  role: GroupRole;
  status: MembershipStatus;
  status_reason?: string | null;
  invite_email_address?: string | null;
  invite_time?: string | null;
  updated?: string | null;
  membership_fields: Record<string, string | null>;
}

export interface Group {
  id: string;
  name: string;
  description: string | null;
  terms_and_conditions: string | null;
  parent_id: string | null;
  group_type: string;
  enforce_session: boolean;
  session_limit: number | null;
  session_timeouts: Record<string, { expire_time: string; expires_in: number }>;
  policies?: GroupPolicyDocument;
  subscription_id: string | null;
  subscription_info: Record<string, unknown> | null;
  subscription_admin_verified_id: string | null;
  memberships?: Membership[];
  my_memberships?: Membership[];
  allowed_actions?: Record<MembershipActionName, string[]>;
  child_ids?: string[];
}

export interface MembershipError {
  identity_id: string;
  code: string;
  detail: string;
}

export type BatchMembershipResult = Partial<Record<MembershipActionName, Membership[]>> & {
  errors?: Partial<Record<MembershipActionName, MembershipError[]>>;
};

export interface GroupSubscription {
  group_id: string;
  subscription_id: string;
  subscription_info: { is_high_assurance: boolean; is_baa: boolean; connectors: Record<string, { is_ha: boolean; is_baa: boolean }> };
}

export type GroupStatusCounts = Record<MembershipStatus, number>;
