// GET /v0.10/endpoint/{id}: the Transfer record of the GCS endpoint and of each collection it hosts.
import type { FastifyInstance } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../context.ts';
import { TRANSFER_RS } from '../auth/scopes.ts';
import { UUID_RE } from '../auth/uuid.ts';
import { endpointVisibility, callerFor } from '../gcs/caller.ts';
import { findCollection } from '../gcs/collection-repo.ts';
import { loadEndpoint } from '../gcs/endpoint-repo.ts';
import { viewContext } from '../gcs/collection-view.ts';
import { endpointNotFound } from './errors.ts';
import { EndpointRecord, collectionRecord, endpointRecord, recordBase } from './endpoint-records.ts';

export async function endpointLookupRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const { store, config } = ctx;

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
      const endpoint = await loadEndpoint(store.db);
      const caller = await callerFor(store.db, endpoint, request.caller.auth);
      const base = recordBase(config, endpoint);
      if (id === endpoint.id) {
        if (!(await endpointVisibility(store.db, caller)).allowed) throw endpointNotFound(id);
        return endpointRecord(base, endpoint);
      }
      const collection = await findCollection(store.db, id);
      if (!collection) throw endpointNotFound(id);
      const view = viewContext(store.db, caller);
      // Invisible collections are indistinguishable from unknown ones.
      if (!(await view.visibility(collection)).allowed) throw endpointNotFound(id);
      return collectionRecord(base, endpoint, collection, await view.render(collection, false, config.publicUrl));
    },
  );
}
