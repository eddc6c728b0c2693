// Row types of the GCS Manager tables: the endpoint and everything hosted on it.
export interface EndpointRow {
  id: string;
  /** JSON of the endpoint document's stored fields (display_name, organization, …) */
  document: string;
  owner_id: string;
  created_at: number;
}

export interface GcsRoleRow {
  id: string;
  /** null for endpoint roles */
  collection_id: string | null;
  /** collection id, or '' for endpoint roles: keeps the uniqueness index free of NULLs */
  scope_key: string;
  principal: string;
  role: string;
  /** 1 for the collection creator's administrator role, which cannot be deleted */
  protected: number;
  created_at: number;
}

export interface StorageGatewayRow {
  id: string;
  connector_id: string;
  /** JSON of the full (private) storage_gateway document, without id/DATA_TYPE */
  document: string;
  created_at: number;
}

export interface CollectionRow {
  id: string;
  collection_type: string;
  storage_gateway_id: string;
  mapped_collection_id: string | null;
  identity_id: string;
  user_credential_id: string | null;
  public: number;
  /** the host name in use: assigned (`m-…`/`g-…`), requested at creation, or a custom domain; unique */
  domain_name: string;
  /** JSON of the stored collection document fields */
  document: string;
  created_at: number;
}

export interface UserCredentialRow {
  id: string;
  identity_id: string;
  storage_gateway_id: string;
  username: string;
  document: string;
  created_at: number;
}

export interface SharingPolicyRow {
  id: string;
  collection_id: string;
  document: string;
  created_at: number;
}

export interface NodeRow {
  id: string;
  document: string;
  created_at: number;
}

export interface GcsTables {
  endpoints: EndpointRow;
  gcs_roles: GcsRoleRow;
  storage_gateways: StorageGatewayRow;
  collections: CollectionRow;
  user_credentials: UserCredentialRow;
  sharing_policies: SharingPolicyRow;
  gcs_nodes: NodeRow;
}
