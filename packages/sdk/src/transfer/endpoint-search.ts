// Endpoint search (GET /v0.10/endpoint_search): its options, the query they become, and the result documents.
import type { QueryParams } from '../core/transport.ts';
import type { TransferEndpoint } from './types.ts';

/** Every `filter_scope` of endpoint search (spec transfer-tasks.md §14.1); the server and the CLI take them from here. */
export const ENDPOINT_SEARCH_SCOPES = [
  'all',
  'my-endpoints',
  'my-gcp-endpoints',
  'recently-used',
  'in-use',
  'shared-by-me',
  'shared-with-me',
  'administered-by-me',
  'hide-no-permissions',
] as const;
export type EndpointSearchScope = (typeof ENDPOINT_SEARCH_SCOPES)[number];

/** Every `filter_entity_type`, in the exact case the service expects. */
export const ENDPOINT_SEARCH_ENTITY_TYPES = [
  'GCP_mapped_collection',
  'GCP_guest_collection',
  'GCSv5_endpoint',
  'GCSv5_mapped_collection',
  'GCSv5_guest_collection',
] as const;
export type EndpointSearchEntityType = (typeof ENDPOINT_SEARCH_ENTITY_TYPES)[number];

export interface EndpointSearchOptions {
  /** Default `all`, which needs a search text. */
  filterScope?: EndpointSearchScope;
  filterOwnerId?: string;
  /** Only collections hosted by this endpoint or mapped collection. */
  filterHostEndpoint?: string;
  /** Only non-functional records (GCS endpoints), or only functional ones; sent as 1/0. */
  filterNonFunctional?: boolean;
  filterEntityType?: EndpointSearchEntityType;
  limit?: number;
  offset?: number;
  queryParams?: QueryParams;
}

export function endpointSearchQuery(filterFulltext: string | undefined, options: EndpointSearchOptions): QueryParams {
  return {
    filter_fulltext: filterFulltext,
    filter_scope: options.filterScope,
    filter_owner_id: options.filterOwnerId,
    filter_host_endpoint: options.filterHostEndpoint,
    filter_non_functional: options.filterNonFunctional === undefined ? undefined : options.filterNonFunctional ? 1 : 0,
    filter_entity_type: options.filterEntityType,
    limit: options.limit,
    offset: options.offset,
    ...options.queryParams,
  };
}

/** One result: the endpoint record plus what search adds. */
export interface EndpointSearchRecord extends TransferEndpoint {
  /** relevance, higher is better */
  _rank: number;
  /** the caller's Transfer roles on it, e.g. `["activity_manager", "activity_monitor"]` */
  my_effective_roles: string[];
  /** `tlsftp://<collection host>:443` for collections, null for endpoints */
  tlsftp_server: string | null;
  non_functional_endpoint_id?: string | null;
  non_functional_endpoint_display_name?: string | null;
}

export interface EndpointSearchResult {
  DATA_TYPE: 'endpoint_list';
  DATA: EndpointSearchRecord[];
  offset: number;
  limit: number;
  has_next_page: boolean;
  [field: string]: unknown;
}
