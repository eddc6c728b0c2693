// GET /v0.10/endpoint/{id}: the Transfer record of the GCS endpoint and of each collection it hosts.
import type { FastifyInstance } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../context.ts';
import { TRANSFER_RS } from '../auth/scopes.ts';
import { UUID_RE } from '../auth/uuid.ts';
import { endpointVisibility, callerFor } from '../gcs/caller.ts';
import { findCollection } from '../gcs/collection-repo.ts';
import { loadEndpoint } from '../gcs/endpoint-repo.ts';
import { endpointDocument } from '../gcs/documents/endpoint.ts';
import { endpointDomain } from '../gcs/documents/domain.ts';
import { endpointHostName, managerOrigin } from '../gcs/urls.ts';
import { MANAGER_VERSION } from '../gcs/constants.ts';
import { viewContext } from '../gcs/collection-view.ts';
import { endpointNotFound } from './errors.ts';

const GCS_VERSION = MANAGER_VERSION.split('-')[0];
const DESCRIPTIVE = ['description', 'organization', 'department', 'contact_email', 'contact_info', 'info_link', 'keywords'] as const;

export async function endpointLookupRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const { store, config } = ctx;
  const EndpointRecord = Type.Object({ DATA_TYPE: Type.Literal('endpoint'), id: Type.String(), entity_type: Type.String() }, { additionalProperties: true });

  app.get(
    '/v0.10/endpoint/:endpoint_id',
    // Public endpoints and collections are visible without a token, as in Globus.
    {
      config: { caller: { required: false, resourceServers: [TRANSFER_RS] } },
      schema: { params: Type.Object({ endpoint_id: Type.String({ maxLength: 64 }) }), response: { 200: EndpointRecord }, tags: ['transfer'] },
    },
    async (request) => {
      const id = (request.params as { endpoint_id: string }).endpoint_id.toLowerCase();
      if (!UUID_RE.test(id)) throw endpointNotFound(id);
      const auth = request.caller.auth;
      const endpoint = await loadEndpoint(store.db);
      const caller = await callerFor(store.db, endpoint, auth);
      const ownerString = String(endpoint.doc.owner_string ?? `${endpoint.id}@clients.auth.globus.org`);
      const common = {
        DATA_TYPE: 'endpoint' as const,
        owner_id: endpoint.id,
        owner_string: ownerString,
        gcs_manager_url: managerOrigin(config.publicUrl, endpointDomain(endpoint)),
        gcs_version: GCS_VERSION,
        subscription_id: (endpoint.doc.subscription_id as string | null | undefined) ?? null,
        activated: false,
        is_globus_connect: false,
        local_user_info_available: false,
        DATA: [{ DATA_TYPE: 'server', hostname: endpointHostName(endpoint, config.domain) }],
      };
      if (id === endpoint.id) {
        if (!(await endpointVisibility(store.db, caller)).allowed) throw endpointNotFound(id);
        const doc = endpointDocument(endpoint, common.gcs_manager_url);
        return {
          ...common,
          id,
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
      const collection = await findCollection(store.db, id);
      if (!collection) throw endpointNotFound(id);
      const view = viewContext(store.db, caller);
      // Invisible collections are indistinguishable from unknown ones.
      if (!(await view.visibility(collection)).allowed) throw endpointNotFound(id);
      const doc = await view.render(collection, false, config.publicUrl);
      const guest = collection.row.collection_type === 'guest';
      return {
        ...common,
        id,
        // A collection's advertised owner string wins over the endpoint's.
        owner_string: typeof collection.doc.owner_string === 'string' ? collection.doc.owner_string : ownerString,
        entity_type: guest ? 'GCSv5_guest_collection' : 'GCSv5_mapped_collection',
        display_name: doc.display_name,
        canonical_name: `${endpoint.id}#${id}`,
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
    },
  );
}
