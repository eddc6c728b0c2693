// Row types of the Groups tables: groups, memberships (one row per identity per group), fields, preferences.

export interface GroupRow {
  id: string;
  name: string;
  description: string | null;
  terms_and_conditions: string | null;
  parent_id: string | null;
  group_type: string;
  /** JSON of the stored GroupPolicyRead document */
  policies: string;
  /** 0/1: Gatehouse-only setting that lets identities `join` directly (Globus policies have no such field) */
  allow_join: number;
  subscription_id: string | null;
  /** JSON of `{name, subscriber_name, is_high_assurance, is_baa, connectors}` or null */
  subscription_info: string | null;
  subscription_admin_verified_id: string | null;
  created_at: number;
}

export interface GroupMembershipRow {
  group_id: string;
  identity_id: string;
  role: string;
  status: string;
  status_reason: string | null;
  invite_email_address: string | null;
  /** ISO time of the invitation, when invited */
  invite_time: string | null;
  /** ISO time of the last change */
  updated: string;
}

/** Kept apart from memberships: an identity fills the group's signup fields before it has a membership. */
export interface GroupMembershipFieldsRow {
  group_id: string;
  identity_id: string;
  /** JSON of MembershipFields */
  fields: string;
}

export interface GroupPreferencesRow {
  identity_id: string;
  /** 0/1 */
  allow_add: number;
}

export interface GroupsTables {
  groups: GroupRow;
  group_memberships: GroupMembershipRow;
  group_membership_fields: GroupMembershipFieldsRow;
  group_preferences: GroupPreferencesRow;
}
