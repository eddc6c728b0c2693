// The collection document's field rules: what each collection type may set, what is read-only, inherited or fixed at creation.
import type { FieldRules } from './documents/request.ts';
import { COLLECTION_FIELDS } from './bodies.ts';

const BOOLEANS = [
  'public',
  'allow_guest_collections',
  'enable_https',
  'force_encryption',
  'disable_verify',
  'force_verify',
  'disable_anonymous_writes',
  'delete_protected',
  'skip_auto_delete',
];
const READ_ONLY = [
  'id',
  'manager_url',
  'https_url',
  'tlsftp_url',
  'root_path',
  'connector_id',
  'high_assurance',
  'require_high_assurance',
  'require_mfa',
  'authentication_timeout_mins',
  'authentication_assurance_timeout',
  'created_at',
  'last_access',
  'deleted',
  'subscription_admin_verified',
  'identity_id',
  'domain',
  'domain_name',
  'owner_string',
  'assigned_domain_name',
  'custom_domain',
  'requested_domain',
];
/** Settings a guest inherits from its mapped collection: never stored on the guest. */
const INHERITED = [
  'allow_guest_collections',
  'sharing_restrict_paths',
  'sharing_users_allow',
  'sharing_users_deny',
  'user_message',
  'user_message_link',
  'guest_auth_policy_id',
  'restrict_transfers_to_high_assurance',
  'disable_anonymous_writes',
  'delete_protected',
  'auto_delete_timeout',
];
const MAPPED_ONLY_INPUT = ['mapped_collection_id', 'user_credential_id', 'skip_auto_delete', 'activity_notification_policy'];
const IMMUTABLE = ['collection_type', 'collection_base_path', 'storage_gateway_id', 'mapped_collection_id'];

export function collectionFieldRules(type: string): FieldRules {
  return {
    fields: COLLECTION_FIELDS,
    readOnly: type === 'guest' ? [...READ_ONLY, ...INHERITED] : [...READ_ONLY, ...MAPPED_ONLY_INPUT],
    immutable: IMMUTABLE,
    booleans: BOOLEANS,
  };
}
