// GCSClient: the GCS Manager API of one endpoint (`https://<address>/api/`), one method per route Gatehouse serves.
import { BaseClient, urlPath } from '../core/base-client.ts';
import type { BaseClientOptions, RequestOptions } from '../core/base-client.ts';
import { gcsBaseUrl } from '../core/config.ts';
import { GCSAPIError } from '../core/errors.ts';
import { paginateMarker } from '../core/paging.ts';
import type { Paginator } from '../core/paging.ts';
import type { QueryParams } from '../core/transport.ts';
import { GCSCollectionScopes, GCSEndpointScopes } from '../scopes/builders.ts';
import type { GCSCollectionScopeSet, GCSEndpointScopeSet } from '../scopes/builders.ts';
import { GCS_DATA_TYPES } from './data.ts';
import type { DocumentInput } from './data.ts';
import { UnpackingGCSResponse, documentsOf } from './response.ts';
import type {
  GCSCheckResult,
  GCSCollection,
  GCSDomain,
  GCSDocument,
  GCSEndpoint,
  GCSInfo,
  GCSNode,
  GCSResult,
  GCSRole,
  GCSSharingPolicy,
  GCSStorageGateway,
  GCSUserCredential,
} from './types.ts';

export type GCSClientOptions = BaseClientOptions;

/** Marker paging: `pageSize` per request; `marker` resumes from a page another walk stopped at. */
export interface PageOptions {
  pageSize?: number;
  marker?: string;
  /** Stop after this many pages. */
  maxPages?: number;
}

export type CollectionFilter = 'mapped_collections' | 'guest_collections' | 'managed_by_me' | 'created_by_me';

/** Which collections a list or check covers; date filters such as `created_at>=2024-01-01` pass through as strings. */
export interface CollectionQuery {
  filter?: CollectionFilter | string | ReadonlyArray<CollectionFilter | string>;
  mappedCollectionId?: string;
  storageGatewayId?: string;
}

/** `domain#1.0.0` input: the host name, and certificate material unless it is already on the server. */
export interface DomainInput {
  domain_name: string;
  wildcard: boolean;
  certificate?: string;
  certificate_chain?: string;
  private_key?: string;
  /** files in the server's GATEHOUSE_TLS_DOMAIN_CERT_DIR (relative to it or absolute under it); refused when it is unset */
  certificate_path?: string;
  certificate_chain_path?: string;
  private_key_path?: string;
}

const collectionQuery = (q: CollectionQuery): QueryParams => ({
  filter: q.filter,
  mapped_collection_id: q.mappedCollectionId,
  storage_gateway_id: q.storageGatewayId,
});

/** A list page walker: `for await` yields documents, `.pages()` yields whole envelopes. */
export type GCSPaginator<T extends GCSDocument> = Paginator<GCSResult, T, string>;

type Ids = string | readonly string[];

export class GCSClient extends BaseClient {
  /** The address as given (`host[:port]` or a URL). */
  readonly address: string;

  /**
   * `address` is `host[:port]` or an `https://` URL; the base URL becomes `https://<address>/api/`
   * as in the Python SDK (an explicit `options.baseUrl` wins).
   */
  constructor(address: string, options: GCSClientOptions = {}) {
    super(options, { serviceName: 'globus_connect_server', baseUrl: options.baseUrl ?? gcsBaseUrl(address), errorClass: GCSAPIError });
    this.address = address;
  }

  /** `urn:globus:auth:scope:<endpointId>:manage_collections` and friends (no I/O). */
  static getGcsEndpointScopes(endpointId: string): GCSEndpointScopeSet {
    return GCSEndpointScopes(endpointId);
  }

  /** `https://auth.globus.org/scopes/<collectionId>/data_access` and friends (no I/O). */
  static getGcsCollectionScopes(collectionId: string): GCSCollectionScopeSet {
    return GCSCollectionScopes(collectionId);
  }

  private async unpack<T extends GCSDocument>(method: string, path: string, expected: string, options: RequestOptions = {}): Promise<UnpackingGCSResponse<T>> {
    const response = await this.request<GCSResult>({ ...options, method, path });
    return new UnpackingGCSResponse<T>(response.data, expected, response);
  }

  private async envelope(method: string, path: string, options: RequestOptions = {}): Promise<GCSResult> {
    return (await this.request<GCSResult>({ ...options, method, path })).data;
  }

  /** Walks a list route by marker; items are the `data[]` documents named `expected`. */
  private list<T extends GCSDocument>(path: string, expected: string, query: QueryParams, page: PageOptions): GCSPaginator<T> {
    return paginateMarker<GCSResult, T>({
      fetchPage: (marker) => this.get<GCSResult>(path, { query: { ...query, page_size: page.pageSize, marker: marker ?? page.marker } }),
      items: (envelope) => documentsOf<T>(envelope, expected),
      maxPages: page.maxPages,
    });
  }

  // ---- info and endpoint -------------------------------------------------------------------

  /** GET /api/info — sent without Authorization; `data.client_id` is the endpoint's resource server. */
  getGcsInfo(): Promise<UnpackingGCSResponse<GCSInfo>> {
    return this.unpack('GET', 'info', 'info', { authorizer: null });
  }

  /** GET /api/endpoint */
  getEndpoint(): Promise<UnpackingGCSResponse<GCSEndpoint>> {
    return this.unpack('GET', 'endpoint', 'endpoint');
  }

  /** PATCH /api/endpoint — the updated document comes back only with `include: 'endpoint'`. */
  updateEndpoint(document: DocumentInput, options: { include?: 'endpoint' } = {}): Promise<UnpackingGCSResponse<GCSEndpoint>> {
    return this.unpack('PATCH', 'endpoint', 'endpoint', { json: document, query: { include: options.include } });
  }

  /** PUT /api/endpoint — replaces the document (absent fields revert to defaults). */
  putEndpoint(document: DocumentInput, options: { include?: 'endpoint' } = {}): Promise<UnpackingGCSResponse<GCSEndpoint>> {
    return this.unpack('PUT', 'endpoint', 'endpoint', { json: document, query: { include: options.include } });
  }

  /** PUT /api/endpoint/owner `endpoint_owner#1.0.0` — moves the endpoint owner role. */
  setEndpointOwner(identityId: string): Promise<GCSResult> {
    return this.envelope('PUT', 'endpoint/owner', { json: { DATA_TYPE: GCS_DATA_TYPES.endpointOwner, identity_id: identityId } });
  }

  /** PUT /api/endpoint/owner_string `owner_string#1.0.0` — advertise one of the caller's identities as owner. */
  setEndpointOwnerString(identityId: string): Promise<GCSResult> {
    return this.envelope('PUT', 'endpoint/owner_string', { json: { DATA_TYPE: GCS_DATA_TYPES.ownerString, identity_id: identityId } });
  }

  /** DELETE /api/endpoint/owner_string — back to the endpoint client identity. */
  resetEndpointOwnerString(): Promise<GCSResult> {
    return this.envelope('DELETE', 'endpoint/owner_string');
  }

  /** PUT /api/endpoint/subscription_id `endpoint_subscription#1.0.0` — a uuid, `"DEFAULT"`, or null to remove. */
  setEndpointSubscriptionId(subscriptionId: string | null): Promise<GCSResult> {
    return this.envelope('PUT', 'endpoint/subscription_id', { json: { DATA_TYPE: GCS_DATA_TYPES.endpointSubscription, subscription_id: subscriptionId } });
  }

  // ---- roles ---------------------------------------------------------------------------------

  /** GET /api/roles[?collection_id=…&include=all_roles] — endpoint roles without `collectionId`. */
  getRoleList(options: PageOptions & { collectionId?: string; include?: 'all_roles' } = {}): GCSPaginator<GCSRole> {
    return this.list('roles', 'role', { collection_id: options.collectionId, include: options.include }, options);
  }

  /** POST /api/roles `role#1.0.0` (answers 200, not 201). */
  createRole(document: DocumentInput): Promise<UnpackingGCSResponse<GCSRole>> {
    return this.unpack('POST', 'roles', 'role', { json: document });
  }

  /** GET /api/roles/{role_id} */
  getRole(roleId: string): Promise<UnpackingGCSResponse<GCSRole>> {
    return this.unpack('GET', urlPath`roles/${roleId}`, 'role');
  }

  /** DELETE /api/roles/{role_id} */
  deleteRole(roleId: string): Promise<GCSResult> {
    return this.envelope('DELETE', urlPath`roles/${roleId}`);
  }

  // ---- nodes ---------------------------------------------------------------------------------

  /** GET /api/nodes */
  getNodeList(options: PageOptions = {}): GCSPaginator<GCSNode> {
    return this.list('nodes', 'node', {}, options);
  }

  /** GET /api/nodes/{node_id} */
  getNode(nodeId: string): Promise<UnpackingGCSResponse<GCSNode>> {
    return this.unpack('GET', urlPath`nodes/${nodeId}`, 'node');
  }

  /** POST /api/nodes `node#1.x` (answers 200). */
  createNode(document: DocumentInput): Promise<UnpackingGCSResponse<GCSNode>> {
    return this.unpack('POST', 'nodes', 'node', { json: document });
  }

  /** PATCH /api/nodes/{node_id} — the node comes back only with `include: 'node'`. */
  updateNode(nodeId: string, document: DocumentInput, options: { include?: 'node' } = {}): Promise<UnpackingGCSResponse<GCSNode>> {
    return this.unpack('PATCH', urlPath`nodes/${nodeId}`, 'node', { json: document, query: { include: options.include } });
  }

  /** PUT /api/nodes/{node_id} */
  putNode(nodeId: string, document: DocumentInput, options: { include?: 'node' } = {}): Promise<UnpackingGCSResponse<GCSNode>> {
    return this.unpack('PUT', urlPath`nodes/${nodeId}`, 'node', { json: document, query: { include: options.include } });
  }

  /** DELETE /api/nodes/{node_id} */
  deleteNode(nodeId: string): Promise<GCSResult> {
    return this.envelope('DELETE', urlPath`nodes/${nodeId}`);
  }

  // ---- storage gateways ---------------------------------------------------------------------

  /**
   * GET /api/storage_gateways[?include=private_policies,accounts] — yields gateways; `account#1.0.0`
   * documents (include=accounts) are in each page's envelope (`.pages()`).
   */
  getStorageGatewayList(options: PageOptions & { include?: Ids } = {}): GCSPaginator<GCSStorageGateway> {
    return this.list('storage_gateways', 'storage_gateway', { include: options.include }, options);
  }

  /** POST /api/storage_gateways `storage_gateway#1.x` (201) */
  createStorageGateway(document: DocumentInput): Promise<UnpackingGCSResponse<GCSStorageGateway>> {
    return this.unpack('POST', 'storage_gateways', 'storage_gateway', { json: document });
  }

  /** GET /api/storage_gateways/{id}[?include=…] */
  getStorageGateway(storageGatewayId: string, options: { include?: Ids } = {}): Promise<UnpackingGCSResponse<GCSStorageGateway>> {
    return this.unpack('GET', urlPath`storage_gateways/${storageGatewayId}`, 'storage_gateway', { query: { include: options.include } });
  }

  /** PATCH /api/storage_gateways/{id} */
  updateStorageGateway(storageGatewayId: string, document: DocumentInput): Promise<UnpackingGCSResponse<GCSStorageGateway>> {
    return this.unpack('PATCH', urlPath`storage_gateways/${storageGatewayId}`, 'storage_gateway', { json: document });
  }

  /** PUT /api/storage_gateways/{id} */
  putStorageGateway(storageGatewayId: string, document: DocumentInput): Promise<UnpackingGCSResponse<GCSStorageGateway>> {
    return this.unpack('PUT', urlPath`storage_gateways/${storageGatewayId}`, 'storage_gateway', { json: document });
  }

  /** DELETE /api/storage_gateways/{id} — refused (409) while collections use it. */
  deleteStorageGateway(storageGatewayId: string): Promise<GCSResult> {
    return this.envelope('DELETE', urlPath`storage_gateways/${storageGatewayId}`);
  }

  // ---- user credentials ---------------------------------------------------------------------

  /** GET /api/user_credentials[?storage_gateway=…&include=all] — note `storage_gateway`, not `storage_gateway_id`. */
  getUserCredentialList(options: PageOptions & { storageGateway?: string; include?: 'all' } = {}): GCSPaginator<GCSUserCredential> {
    return this.list('user_credentials', 'user_credential', { storage_gateway: options.storageGateway, include: options.include }, options);
  }

  /** POST /api/user_credentials `user_credential#1.0.0` (201; 409 when it already exists) */
  createUserCredential(document: DocumentInput): Promise<UnpackingGCSResponse<GCSUserCredential>> {
    return this.unpack('POST', 'user_credentials', 'user_credential', { json: document });
  }

  /** GET /api/user_credentials/{id} */
  getUserCredential(userCredentialId: string): Promise<UnpackingGCSResponse<GCSUserCredential>> {
    return this.unpack('GET', urlPath`user_credentials/${userCredentialId}`, 'user_credential');
  }

  /** PATCH /api/user_credentials/{id} */
  updateUserCredential(userCredentialId: string, document: DocumentInput): Promise<UnpackingGCSResponse<GCSUserCredential>> {
    return this.unpack('PATCH', urlPath`user_credentials/${userCredentialId}`, 'user_credential', { json: document });
  }

  /** PUT /api/user_credentials/{id} */
  putUserCredential(userCredentialId: string, document: DocumentInput): Promise<UnpackingGCSResponse<GCSUserCredential>> {
    return this.unpack('PUT', urlPath`user_credentials/${userCredentialId}`, 'user_credential', { json: document });
  }

  /** DELETE /api/user_credentials/{id} */
  deleteUserCredential(userCredentialId: string): Promise<GCSResult> {
    return this.envelope('DELETE', urlPath`user_credentials/${userCredentialId}`);
  }

  // ---- collections --------------------------------------------------------------------------

  /**
   * GET /api/collections[?filter=…&mapped_collection_id=…&storage_gateway_id=…&include=private_policies]
   * — every visible collection, page after page; all filters apply.
   */
  getCollectionList(options: PageOptions & CollectionQuery & { include?: 'private_policies' } = {}): GCSPaginator<GCSCollection> {
    return this.list('collections', 'collection', { ...collectionQuery(options), include: options.include }, options);
  }

  /** POST /api/collections `collection#1.x` (201) — MappedCollectionDocument or GuestCollectionDocument. */
  createCollection(document: DocumentInput): Promise<UnpackingGCSResponse<GCSCollection>> {
    return this.unpack('POST', 'collections', 'collection', { json: document });
  }

  /** GET /api/collections/{id}[?include=private_policies] */
  getCollection(collectionId: string, options: { include?: 'private_policies' } = {}): Promise<UnpackingGCSResponse<GCSCollection>> {
    return this.unpack('GET', urlPath`collections/${collectionId}`, 'collection', { query: { include: options.include } });
  }

  /** PATCH /api/collections/{id} — merges; a field set to null is removed. */
  updateCollection(collectionId: string, document: DocumentInput): Promise<UnpackingGCSResponse<GCSCollection>> {
    return this.unpack('PATCH', urlPath`collections/${collectionId}`, 'collection', { json: document });
  }

  /** PUT /api/collections/{id} — replaces the document. */
  putCollection(collectionId: string, document: DocumentInput): Promise<UnpackingGCSResponse<GCSCollection>> {
    return this.unpack('PUT', urlPath`collections/${collectionId}`, 'collection', { json: document });
  }

  /** DELETE /api/collections/{id} — a mapped collection takes its guests with it; 409 while delete_protected. */
  deleteCollection(collectionId: string): Promise<GCSResult> {
    return this.envelope('DELETE', urlPath`collections/${collectionId}`);
  }

  /** PUT /api/collections/{id}/owner_string `owner_string#1.0.0` */
  setCollectionOwnerString(collectionId: string, identityId: string): Promise<GCSResult> {
    return this.envelope('PUT', urlPath`collections/${collectionId}/owner_string`, {
      json: { DATA_TYPE: GCS_DATA_TYPES.ownerString, identity_id: identityId },
    });
  }

  /** DELETE /api/collections/{id}/owner_string */
  resetCollectionOwnerString(collectionId: string): Promise<GCSResult> {
    return this.envelope('DELETE', urlPath`collections/${collectionId}/owner_string`);
  }

  /** PUT /api/collections/{id}/owner `collection_owner#1.0.0` — mapped collections; the owner's administrator role moves too. */
  setCollectionOwner(collectionId: string, identityId: string): Promise<UnpackingGCSResponse<GCSCollection>> {
    return this.unpack('PUT', urlPath`collections/${collectionId}/owner`, 'collection', {
      json: { DATA_TYPE: GCS_DATA_TYPES.collectionOwner, identity_id: identityId },
    });
  }

  /** PUT /api/collections/{id}/subscription_admin_verified — for managers of the endpoint's subscription. */
  setSubscriptionAdminVerified(collectionId: string, verified: boolean): Promise<UnpackingGCSResponse<GCSCollection>> {
    return this.unpack('PUT', urlPath`collections/${collectionId}/subscription_admin_verified`, 'collection', {
      json: { DATA_TYPE: GCS_DATA_TYPES.subscriptionAdminVerified, subscription_admin_verified: verified },
    });
  }

  /** GET /api/collections/check — `check_result#1.0.0` per collection the caller administers. */
  checkCollections(options: PageOptions & CollectionQuery = {}): GCSPaginator<GCSCheckResult> {
    return this.list('collections/check', 'check_result', collectionQuery(options), options);
  }

  /** GET /api/collections/{id}/check */
  checkCollection(collectionId: string): Promise<UnpackingGCSResponse<GCSCheckResult>> {
    return this.unpack('GET', urlPath`collections/${collectionId}/check`, 'check_result');
  }

  /** POST /api/collections/batch_delete `batch#1.0.0` (202) — guest collections only; unknown ids are ignored. */
  batchDeleteCollections(collectionIds: readonly string[]): Promise<GCSResult> {
    return this.envelope('POST', 'collections/batch_delete', { json: { DATA_TYPE: GCS_DATA_TYPES.batch, ids: collectionIds } });
  }

  // ---- domains ------------------------------------------------------------------------------

  /** GET /api/endpoint/domain (404 without a custom domain) */
  getEndpointDomain(): Promise<UnpackingGCSResponse<GCSDomain>> {
    return this.unpack('GET', 'endpoint/domain', 'domain');
  }

  /** PUT /api/endpoint/domain `domain#1.0.0` */
  setEndpointDomain(domain: DomainInput): Promise<UnpackingGCSResponse<GCSDomain>> {
    return this.unpack('PUT', 'endpoint/domain', 'domain', { json: { DATA_TYPE: GCS_DATA_TYPES.domain, ...domain } });
  }

  /** DELETE /api/endpoint/domain — back to the default domain. */
  deleteEndpointDomain(): Promise<GCSResult> {
    return this.envelope('DELETE', 'endpoint/domain');
  }

  /** GET /api/collections/{id}/domain (404 without a custom domain) */
  getCollectionDomain(collectionId: string): Promise<UnpackingGCSResponse<GCSDomain>> {
    return this.unpack('GET', urlPath`collections/${collectionId}/domain`, 'domain');
  }

  /** PUT /api/collections/{id}/domain `domain#1.0.0` */
  setCollectionDomain(collectionId: string, domain: DomainInput): Promise<UnpackingGCSResponse<GCSDomain>> {
    return this.unpack('PUT', urlPath`collections/${collectionId}/domain`, 'domain', { json: { DATA_TYPE: GCS_DATA_TYPES.domain, ...domain } });
  }

  /** DELETE /api/collections/{id}/domain — back to the assigned name. */
  deleteCollectionDomain(collectionId: string): Promise<GCSResult> {
    return this.envelope('DELETE', urlPath`collections/${collectionId}/domain`);
  }

  // ---- sharing policies ---------------------------------------------------------------------

  /** GET /api/sharing_policies?collection_id=…[&username=…] — `username` keeps the policies that apply to that user. */
  getSharingPolicyList(collectionId: string, options: PageOptions & { username?: string } = {}): GCSPaginator<GCSSharingPolicy> {
    return this.list('sharing_policies', 'sharing_policy', { collection_id: collectionId, username: options.username }, options);
  }

  /** POST /api/sharing_policies `sharing_policy#1.0.0` (201) */
  createSharingPolicy(document: DocumentInput): Promise<UnpackingGCSResponse<GCSSharingPolicy>> {
    return this.unpack('POST', 'sharing_policies', 'sharing_policy', { json: document });
  }

  /** GET /api/sharing_policies/{id} */
  getSharingPolicy(sharingPolicyId: string): Promise<UnpackingGCSResponse<GCSSharingPolicy>> {
    return this.unpack('GET', urlPath`sharing_policies/${sharingPolicyId}`, 'sharing_policy');
  }

  /** DELETE /api/sharing_policies/{id} */
  deleteSharingPolicy(sharingPolicyId: string): Promise<GCSResult> {
    return this.envelope('DELETE', urlPath`sharing_policies/${sharingPolicyId}`);
  }
}
