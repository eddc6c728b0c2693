// GCS Manager API wire documents (result envelope, endpoint, roles, gateways, collections, credentials, policies, nodes) as TypeScript types.

/** Any typed GCS document: `DATA_TYPE` is `name#major.minor.patch`. Unknown fields are kept. */
export interface GCSDocument {
  DATA_TYPE: string;
  [field: string]: unknown;
}

/** The `result#1.x.0` envelope every Manager API route answers with, success or error. */
export interface GCSResult<D extends GCSDocument = GCSDocument> {
  DATA_TYPE: string;
  code: string;
  http_response_code: number;
  detail: unknown;
  message: string;
  data: D[];
  has_next_page: boolean;
  marker?: string | null;
  authorization_parameters?: Record<string, unknown> | null;
  [field: string]: unknown;
}

export interface PathRestrictionsDocument {
  DATA_TYPE?: string;
  none?: string[] | null;
  read?: string[] | null;
  read_write?: string[] | null;
}

export interface GCSInfo extends GCSDocument {
  api_version: string;
  /** The endpoint's Auth client id: the resource server of manage_collections tokens. */
  client_id: string;
  domain_name: string;
  endpoint_id: string;
  manager_version: string;
}

export interface GCSConnector extends GCSDocument {
  id: string;
  display_name: string;
  version?: string;
  is_ha?: boolean;
  is_baa?: boolean;
}

export type NetworkUse = 'normal' | 'minimal' | 'aggressive' | 'custom';

export interface GCSEndpoint extends GCSDocument {
  id: string;
  display_name: string;
  organization: string;
  department: string | null;
  description: string | null;
  contact_email: string | null;
  contact_info: string | null;
  info_link: string | null;
  keywords: string[] | null;
  public: boolean;
  allow_udt: boolean;
  network_use: NetworkUse;
  max_concurrency: number | null;
  max_parallelism: number | null;
  preferred_concurrency: number | null;
  preferred_parallelism: number | null;
  subscription_id: string | null;
  gridftp_control_channel_port: number | null;
  gcs_manager_url: string;
  earliest_last_access: string | null;
}

export type GCSRoleName = 'owner' | 'administrator' | 'access_manager' | 'activity_manager' | 'activity_monitor' | 'access_monitor';

export interface GCSRole extends GCSDocument {
  id: string;
  /** null for endpoint roles */
  collection: string | null;
  /** `urn:globus:auth:identity:<uuid>` or `urn:globus:groups:id:<uuid>` */
  principal: string;
  role: GCSRoleName;
}

export interface GCSNode extends GCSDocument {
  id: string;
  ip_addresses: string[];
  status: 'active' | 'inactive';
  incoming_port_range?: [number, number] | null;
  outgoing_port_range?: [number, number] | null;
}

export interface GCSStorageGateway extends GCSDocument {
  id: string;
  display_name: string;
  connector_id: string;
  high_assurance: boolean;
  require_mfa: boolean;
  admin_managed_credentials: boolean;
  allowed_domains: string[];
  authentication_timeout_mins: number;
  /** Private fields below appear only with include=private_policies for administrators. */
  identity_mappings?: GCSDocument[];
  restrict_paths?: PathRestrictionsDocument | null;
  users_allow?: string[];
  users_deny?: string[];
  policies: GCSDocument;
  process_user: string | null;
  load_dsi_module: string | null;
  network_use: NetworkUse;
  deleted: boolean;
}

/** `account#1.0.0`: one of the caller's mapped accounts (storage gateways with include=accounts). */
export interface GCSAccount extends GCSDocument {
  identity_id: string;
  storage_gateway_id: string;
  username: string;
}

export interface GCSCollection extends GCSDocument {
  id: string;
  collection_type: 'mapped' | 'guest';
  display_name: string;
  collection_base_path: string;
  /** Hidden on guest collections from callers who do not administer both guest and mapped collection. */
  root_path?: string;
  public: boolean;
  identity_id: string;
  storage_gateway_id: string;
  connector_id: string;
  mapped_collection_id?: string | null;
  user_credential_id?: string | null;
  domain_name: string;
  manager_url: string;
  https_url: string;
  tlsftp_url: string;
  high_assurance: boolean;
  require_mfa: boolean;
  authentication_timeout_mins: number;
  allow_guest_collections: boolean;
  sharing_restrict_paths?: PathRestrictionsDocument | null;
  sharing_users_allow?: string[] | null;
  sharing_users_deny?: string[] | null;
  enable_https: boolean;
  https_methods: string[];
  force_encryption: boolean;
  policies: GCSDocument;
  created_at: string;
  last_access: string | null;
  deleted: boolean;
}

export interface GCSUserCredential extends GCSDocument {
  id: string;
  identity_id: string;
  storage_gateway_id: string;
  connector_id: string;
  username: string;
  display_name: string;
  policies: GCSDocument;
  invalid: boolean;
  provisioned: boolean;
  home_directory: string | null;
  deleted: boolean;
}

export interface GCSSharingPolicy extends GCSDocument {
  id: string;
  /** The mapped collection the policy belongs to. */
  collection_id: string;
  /** Storage-gateway usernames it applies to; null = everyone. */
  users: string[] | null;
  sharing_restrict_paths: PathRestrictionsDocument;
}

/** `missing_required_role#1.0.0` entries: one per role that would have sufficed (no collection = endpoint role). */
export interface GCSMissingRole {
  role: GCSRoleName;
  collection?: string;
}

/** `check_result#1.0.0`: a collection's health; `error` is null when it is usable. */
export interface GCSCheckResult extends GCSDocument {
  id: string;
  message: string;
  error: Record<string, unknown> | null;
}

/** `domain#1.0.0`: a custom (or wildcard) host name; keys and certificates are never returned. */
export interface GCSDomain extends GCSDocument {
  domain_name: string;
  wildcard: boolean;
}
