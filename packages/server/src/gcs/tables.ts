// Row types of the GCS Manager tables.
export interface EndpointRow {
  id: string;
  /** JSON of the endpoint document's stored fields (display_name, organization, …) */
  document: string;
  owner_id: string;
  created_at: number;
}

export interface GcsTables {
  endpoints: EndpointRow;
}
