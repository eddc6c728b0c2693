// The Transfer `endpoint` document of the GCS endpoint and of each collection it hosts: shared by the endpoint lookup and endpoint search.
import { Type } from '@fastify/type-provider-typebox';
import type { ServerConfig } from '../config.ts';
import type { Endpoint } from '../gcs/endpoint-repo.ts';
import type { Collection } from '../gcs/collection-repo.ts';
import { endpointDocument } from '../gcs/documents/endpoint.ts';
import { endpointDomain } from '../gcs/documents/domain.ts';
import { endpointHostName, managerOrigin } from '../gcs/urls.ts';
import { MANAGER_VERSION } from '../gcs/constants.ts';

const GCS_VERSION = MANAGER_VERSION.split('-')[0];
const DESCRIPTIVE = ['description', 'organization', 'department', 'contact_email', 'contact_info', 'info_link', 'keywords'] as const;

/** The response schema of an endpoint record: typed where clients branch on it, the rest passes as it is. */
export const EndpointRecord = Type.Object(
  { DATA_TYPE: Type.Literal('endpoint'), id: Type.String(), entity_type: Type.String() },
  { additionalProperties: true },
);

export type TransferEndpointRecord = Record<string, unknown> & { DATA_TYPE: 'endpoint'; id: string; entity_type: string };

/** The fields every record of this endpoint shares (the endpoint's owner, manager URL, subscription, server). */
export function recordBase(config: Pick<ServerConfig, 'publicUrl' | 'domain'>, endpoint: Endpoint) {
  return {
    DATA_TYPE: 'endpoint' as const,
    owner_id: endpoint.id,
    owner_string: String(endpoint.doc.owner_string ?? `${endpoint.id}@clients.auth.globus.org`),
    gcs_manager_url: managerOrigin(config.publicUrl, endpointDomain(endpoint)),
    gcs_version: GCS_VERSION,
    subscription_id: (endpoint.doc.subscription_id as string | null | undefined) ?? null,
    activated: false,
    is_globus_connect: false,
    local_user_info_available: false,
    DATA: [{ DATA_TYPE: 'server', hostname: endpointHostName(endpoint, config.domain) }],
  };
}

export type RecordBase = ReturnType<typeof recordBase>;

/** The GCS endpoint's own record (entity_type GCSv5_endpoint, non-functional). */
export function endpointRecord(base: RecordBase, endpoint: Endpoint): TransferEndpointRecord {
  const doc = endpointDocument(endpoint, base.gcs_manager_url);
  return {
    ...base,
    id: endpoint.id,
    entity_type: 'GCSv5_endpoint',
    display_name: doc.display_name,
    canonical_name: `${endpoint.id}#${String(doc.display_name)}`,
    host_endpoint_id: null,
    high_assurance: false,
    non_functional: true,
    public: endpoint.public,
    https_server: null,
    shareable: false,
    acl_available: false,
    acl_editable: false,
    default_directory: null,
    force_encryption: false,
    ...Object.fromEntries(DESCRIPTIVE.map((f) => [f, doc[f] ?? null])),
  };
}

/** A collection's record, from its rendered GCS document (`doc`, as the caller may see it). */
export function collectionRecord(base: RecordBase, endpoint: Endpoint, collection: Collection, doc: Record<string, unknown>): TransferEndpointRecord {
  const guest = collection.row.collection_type === 'guest';
  return {
    ...base,
    id: collection.row.id,
    // A collection's advertised owner string wins over the endpoint's.
    owner_string: typeof collection.doc.owner_string === 'string' ? collection.doc.owner_string : base.owner_string,
    entity_type: guest ? 'GCSv5_guest_collection' : 'GCSv5_mapped_collection',
    display_name: doc.display_name,
    canonical_name: `${endpoint.id}#${collection.row.id}`,
    host_endpoint_id: guest ? collection.row.mapped_collection_id : null,
    high_assurance: doc.high_assurance === true,
    non_functional: false,
    public: doc.public === true,
    https_server: doc.enable_https === false ? null : doc.https_url,
    shareable: !guest && doc.allow_guest_collections === true,
    acl_available: guest,
    acl_editable: guest,
    mfa_required: doc.require_mfa === true,
    disable_verify: doc.disable_verify === true,
    force_verify: doc.force_verify === true,
    disable_anonymous_writes: doc.disable_anonymous_writes === true,
    default_directory: doc.default_directory ?? null,
    force_encryption: doc.force_encryption === true,
    ...Object.fromEntries(DESCRIPTIVE.map((f) => [f, doc[f] ?? null])),
  };
}
