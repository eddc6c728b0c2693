// TypeBox schemas of the Groups wire documents (request bodies and responses).
import { Type } from '@fastify/type-provider-typebox';
import { GROUP_ROLES, SIGNUP_FIELDS } from '../authz/groups.ts';

import { Nullable } from '../http/schemas.ts';
export { Nullable };
const Str = (max = 2048) => Type.String({ maxLength: max });
/**
 * An id as the client sent it, deliberately not a validated UUID (the validated one is gcs/documents.ts `Uuid`):
 * Groups answers a malformed group, parent or subscription id like an unknown one (404), a malformed identity
 * of a batch as that item's error, and tests UUID_RE itself where a 400 is due, after the checks that precede it.
 */
export const IdText = Type.String({ maxLength: 64 });
const AnyObject = Type.Object({}, { additionalProperties: true });

export const Role = Type.Union(GROUP_ROLES.map((r) => Type.Literal(r)));
export const SignupField = Type.Union(SIGNUP_FIELDS.map((f) => Type.Literal(f)));

export const PoliciesRead = Type.Object({
  is_high_assurance: Type.Boolean(),
  authentication_assurance_timeout: Nullable(Type.Integer()),
  group_visibility: Str(32),
  group_members_visibility: Str(32),
  join_requests: Type.Boolean(),
  signup_fields: Type.Array(Str(64)),
});

export const PoliciesWrite = Type.Object(
  {
    is_high_assurance: Type.Optional(Nullable(Type.Boolean())),
    authentication_assurance_timeout: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 31536000 }))),
    group_visibility: Type.Optional(Nullable(Type.Union([Type.Literal('authenticated'), Type.Literal('private')]))),
    group_members_visibility: Type.Optional(Nullable(Type.Union([Type.Literal('members'), Type.Literal('managers')]))),
    join_requests: Type.Optional(Nullable(Type.Boolean())),
    signup_fields: Type.Optional(Nullable(Type.Array(SignupField, { maxItems: 32 }))),
  },
  { additionalProperties: false },
);

export const MembershipDoc = Type.Object({
  group_id: Type.String(),
  identity_id: Type.String(),
  username: Type.String(),
  role: Type.String(),
  status: Type.String(),
  status_reason: Nullable(Type.String()),
  invite_email_address: Nullable(Type.String()),
  invite_time: Nullable(Type.String()),
  updated: Nullable(Type.String()),
  membership_fields: AnyObject,
});

export const AllowedActionsDoc = Type.Record(Type.String(), Type.Array(Type.String()));

export const GroupDoc = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Nullable(Type.String()),
  terms_and_conditions: Nullable(Type.String()),
  parent_id: Nullable(Type.String()),
  group_type: Type.String(),
  enforce_session: Type.Boolean(),
  session_limit: Nullable(Type.Integer()),
  session_timeouts: AnyObject,
  policies: PoliciesRead,
  subscription_id: Nullable(Type.String()),
  subscription_info: Nullable(AnyObject),
  subscription_admin_verified_id: Nullable(Type.String()),
  memberships: Type.Optional(Type.Array(MembershipDoc)),
  my_memberships: Type.Optional(Type.Array(MembershipDoc)),
  allowed_actions: Type.Optional(AllowedActionsDoc),
  child_ids: Type.Optional(Type.Array(Type.String())),
});

export const GroupCreate = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 512 }),
    description: Type.Optional(Nullable(Str(8192))),
    terms_and_conditions: Type.Optional(Nullable(Str(65536))),
    parent_id: Type.Optional(Nullable(IdText)),
    policies: Type.Optional(Nullable(PoliciesWrite)),
  },
  { additionalProperties: false },
);

export const GroupWrite = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    description: Type.Optional(Nullable(Str(8192))),
    terms_and_conditions: Type.Optional(Nullable(Str(65536))),
    subscription_admin_verified_id: Type.Optional(Nullable(IdText)),
  },
  // globus-cli PUTs back what it read (GET then merge): tolerate read-only members of the document.
  { additionalProperties: true },
);

const ActionItem = Type.Object(
  {
    identity_id: IdText,
    role: Type.Optional(Nullable(Str(32))),
    status_reason: Type.Optional(Nullable(Str(2048))),
    invite_email_address: Type.Optional(Nullable(Str(320))),
  },
  { additionalProperties: false },
);
const ActionList = Type.Optional(Nullable(Type.Array(ActionItem, { maxItems: 1000 })));
export const BatchBody = Type.Object(
  {
    add: ActionList,
    invite: ActionList,
    accept: ActionList,
    decline: ActionList,
    join: ActionList,
    request_join: ActionList,
    approve: ActionList,
    reject: ActionList,
    leave: ActionList,
    remove: ActionList,
    change_role: ActionList,
  },
  { additionalProperties: false },
);
export type BatchItem = { identity_id: string; role?: string | null; status_reason?: string | null; invite_email_address?: string | null };

const MembershipError = Type.Object({ identity_id: Type.String(), code: Type.String(), detail: Type.String() });
const ResultList = Type.Optional(Type.Array(MembershipDoc));
export const BatchResponse = Type.Object({
  add: ResultList,
  invite: ResultList,
  accept: ResultList,
  decline: ResultList,
  join: ResultList,
  request_join: ResultList,
  approve: ResultList,
  reject: ResultList,
  leave: ResultList,
  remove: ResultList,
  change_role: ResultList,
  errors: Type.Optional(Type.Record(Type.String(), Type.Array(MembershipError))),
});

export const MembershipFieldsDoc = Type.Object(
  Object.fromEntries(['first_name', 'last_name', 'organization', ...SIGNUP_FIELDS].map((k) => [k, Type.Optional(Nullable(Str(1024)))])),
  { additionalProperties: false },
);
export const MEMBERSHIP_FIELD_KEYS = Object.keys(MembershipFieldsDoc.properties);

export const StatusCounts = Type.Object({
  active: Type.Integer(),
  invited: Type.Integer(),
  pending: Type.Integer(),
  rejected: Type.Integer(),
  removed: Type.Integer(),
  left: Type.Integer(),
  declined: Type.Integer(),
});

export const Preferences = Type.Object({ allow_add: Nullable(Type.Boolean()) });
