// Transfer API v0.10 wire documents as TypeScript types.

export type TransferEntityType =
  'GCSv5_endpoint' | 'GCSv5_mapped_collection' | 'GCSv5_guest_collection' | 'GCSv5_host' | 'GCP_mapped_collection' | 'GCP_guest_collection';

/** The `endpoint` document of GET /v0.10/endpoint/{id} (the fields clients rely on; others are kept). */
export interface TransferEndpoint {
  DATA_TYPE: 'endpoint';
  id: string;
  entity_type: TransferEntityType | string;
  display_name: string | null;
  canonical_name?: string;
  owner_id: string;
  owner_string: string;
  /** The Manager API origin of the GCS endpoint that hosts it. */
  gcs_manager_url: string | null;
  gcs_version?: string | null;
  /** For collections: the endpoint hosting them; for a guest collection see `host_endpoint_id` too. */
  host_endpoint_id?: string | null;
  mapped_collection_id?: string | null;
  subscription_id: string | null;
  public: boolean;
  high_assurance: boolean;
  https_server: string | null;
  default_directory: string | null;
  force_encryption: boolean;
  description?: string | null;
  organization?: string | null;
  department?: string | null;
  contact_email?: string | null;
  contact_info?: string | null;
  info_link?: string | null;
  keywords?: string | string[] | null;
  DATA: Array<Record<string, unknown>>;
  [field: string]: unknown;
}
