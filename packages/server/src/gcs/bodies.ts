// The input schemas of the stored GCS documents: what each accepts, and so the only fields it stores and renders.
import { Type } from '@fastify/type-provider-typebox';
import { HTTPS_METHODS } from '../authz/gcs.ts';
import { Bool, Nullable, OpenObject, PathRestrictionsSchema, StringList, Uuid, documentFields } from './documents/request.ts';

// Fields a client sends that no schema names are accepted (newer clients send newer fields, spec §1.6)
// and dropped: documentFields below is what mergeDocument stores and the renderers show.

const Str = (max: number) => Type.Optional(Nullable(Type.String({ maxLength: max })));
const OptBool = () => Type.Optional(Nullable(Bool()));
const Direction = () => Type.Optional(Nullable(Type.Union([Type.Literal('inbound'), Type.Literal('outbound'), Type.Literal('all')])));

export const CollectionBody = Type.Object(
  {
    DATA_TYPE: Type.Optional(Type.String({ maxLength: 64 })),
    collection_type: Type.Optional(Type.Union([Type.Literal('mapped'), Type.Literal('guest')])),
    display_name: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\r\\n]*$' }))),
    collection_base_path: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 4096 }))),
    public: OptBool(),
    identity_id: Type.Optional(Nullable(Uuid())),
    storage_gateway_id: Type.Optional(Nullable(Uuid())),
    mapped_collection_id: Type.Optional(Nullable(Uuid())),
    user_credential_id: Type.Optional(Nullable(Uuid())),
    domain_name: Str(253),
    allow_guest_collections: OptBool(),
    enable_https: OptBool(),
    https_methods: Type.Optional(Nullable(Type.Array(Type.Union(HTTPS_METHODS.map((m) => Type.Literal(m))), { maxItems: 3, uniqueItems: true }))),
    force_encryption: OptBool(),
    disable_verify: OptBool(),
    force_verify: OptBool(),
    disable_anonymous_writes: OptBool(),
    delete_protected: OptBool(),
    skip_auto_delete: OptBool(),
    sharing_restrict_paths: Type.Optional(Nullable(PathRestrictionsSchema)),
    sharing_users_allow: Type.Optional(Nullable(StringList())),
    sharing_users_deny: Type.Optional(Nullable(StringList())),
    policies: Type.Optional(Nullable(OpenObject())),
    guest_auth_policy_id: Type.Optional(Nullable(Uuid())),
    user_message: Str(256),
    user_message_link: Str(1024),
    acl_expiration_mins: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 10_000_000 }))),
    auto_delete_timeout: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 100_000 }))),
    restrict_transfers_to_high_assurance: Direction(),
    preserve_modtime: Direction(),
    activity_notification_policy: Type.Optional(Nullable(OpenObject())),
    associated_flow_policy: Type.Optional(Nullable(OpenObject())),
    default_directory: Str(4096),
    organization: Str(1024),
    department: Str(1024),
    description: Str(4096),
    contact_email: Str(256),
    contact_info: Str(4096),
    info_link: Str(1024),
    keywords: Type.Optional(Nullable(Type.Array(Type.String({ maxLength: 1024 }), { maxItems: 100 }))),
  },
  { additionalProperties: true },
);

export const COLLECTION_FIELDS = documentFields(CollectionBody);

const NullableInt = (max = 1_000_000) => Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: max })));
export const StorageGatewayBody = Type.Object(
  {
    DATA_TYPE: Type.Optional(Type.String({ maxLength: 64 })),
    display_name: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 128 }))),
    connector_id: Type.Optional(Nullable(Uuid())),
    root: Type.Optional(Nullable(Type.String({ maxLength: 4096 }))),
    high_assurance: Type.Optional(Nullable(Bool())),
    require_high_assurance: Type.Optional(Nullable(Bool())),
    require_mfa: Type.Optional(Nullable(Bool())),
    admin_managed_credentials: Type.Optional(Nullable(Bool())),
    allowed_domains: Type.Optional(Nullable(StringList(100))),
    authentication_timeout_mins: NullableInt(),
    authentication_assurance_timeout: NullableInt(),
    identity_mappings: Type.Optional(Nullable(Type.Array(OpenObject(), { maxItems: 50 }))),
    restrict_paths: Type.Optional(Nullable(PathRestrictionsSchema)),
    users_allow: Type.Optional(Nullable(StringList())),
    users_deny: Type.Optional(Nullable(StringList())),
    process_user: Type.Optional(Nullable(Type.String({ maxLength: 256 }))),
    load_dsi_module: Type.Optional(Nullable(Type.String({ maxLength: 256 }))),
    policies: Type.Optional(Nullable(OpenObject())),
    network_use: Type.Optional(Nullable(Type.Union([Type.Literal('normal'), Type.Literal('minimal'), Type.Literal('aggressive'), Type.Literal('custom')]))),
    max_concurrency: NullableInt(1000),
    max_parallelism: NullableInt(1000),
    preferred_concurrency: NullableInt(1000),
    preferred_parallelism: NullableInt(1000),
  },
  { additionalProperties: true },
);

export const GATEWAY_FIELDS = documentFields(StorageGatewayBody);

export const CredentialBody = Type.Object(
  {
    DATA_TYPE: Type.Optional(Type.String({ maxLength: 64 })),
    storage_gateway_id: Type.Optional(Nullable(Uuid())),
    identity_id: Type.Optional(Nullable(Uuid())),
    username: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 256 }))),
    display_name: Type.Optional(Nullable(Type.String({ maxLength: 256 }))),
    policies: Type.Optional(Nullable(OpenObject())),
  },
  { additionalProperties: true },
);

export const CREDENTIAL_FIELDS = documentFields(CredentialBody);
