// /api/endpoint/domain and /api/collections/{id}/domain: custom host names (stored; certificate material never rendered).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServiceContext } from '../../context.ts';
import { toJson } from '../../store/db.ts';
import { canManageDomains } from '../../authz/gcs.ts';
import { enforce, loadCaller } from '../caller.ts';
import { IdParams } from '../documents/request.ts';
import { gcsError, responses, result } from '../envelope.ts';
import { collectionDomain, domainDocument, endpointDomain } from '../documents/domain.ts';
import { loadCollection } from '../collection-repo.ts';

import { DomainBody, applyCollectionDomain, conflict, domainRecord, hostNameUsers, withoutDomain } from '../custom-domains.ts';

export async function domainRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const { store } = ctx;
  const collectionId = (request: FastifyRequest) => (request.params as { collection_id: string }).collection_id;

  app.get('/api/endpoint/domain', { schema: { response: responses(200), tags: ['gcs'] } }, async (request, reply) => {
    const caller = await loadCaller(store.db, request);
    enforce(canManageDomains(caller.held));
    const domain = endpointDomain(caller.endpoint);
    if (!domain) throw gcsError(404, 'The endpoint has no custom domain');
    return result(reply, [domainDocument(domain)]);
  });

  app.put('/api/endpoint/domain', { schema: { body: DomainBody, response: responses(200), tags: ['gcs'] } }, async (request, reply) => {
    const record = await domainRecord(request.body as Record<string, unknown>, ctx.config.tlsDomainCertDir);
    await store.tx(async (db) => {
      const caller = await loadCaller(db, request, { lockEndpoint: true });
      enforce(canManageDomains(caller.held));
      if (!record.wildcard) {
        const users = await hostNameUsers(db, record.domain_name);
        if (users.length) throw conflict(record.domain_name, users);
      }
      await db
        .updateTable('endpoints')
        .set({ document: toJson({ ...caller.endpoint.doc, domain: record }) })
        .where('id', '=', caller.endpoint.id)
        .execute();
    });
    return result(reply, [domainDocument(record)], { message: `Updated endpoint domain to ${record.domain_name}` });
  });

  app.delete('/api/endpoint/domain', { schema: { response: responses(200), tags: ['gcs'] } }, async (request, reply) => {
    await store.tx(async (db) => {
      const caller = await loadCaller(db, request, { lockEndpoint: true });
      enforce(canManageDomains(caller.held));
      const doc = { ...caller.endpoint.doc };
      delete doc.domain;
      await db
        .updateTable('endpoints')
        .set({ document: toJson(doc) })
        .where('id', '=', caller.endpoint.id)
        .execute();
    });
    return result(reply, [], { message: 'Reset endpoint domain to the default' });
  });

  app.get(
    '/api/collections/:collection_id/domain',
    { schema: { params: IdParams('collection_id'), response: responses(200), tags: ['gcs'] } },
    async (request, reply) => {
      const caller = await loadCaller(store.db, request);
      enforce(canManageDomains(caller.held));
      const domain = collectionDomain(await loadCollection(store.db, collectionId(request)));
      if (!domain) throw gcsError(404, 'The collection has no custom domain');
      return result(reply, [domainDocument(domain)]);
    },
  );

  app.put(
    '/api/collections/:collection_id/domain',
    { schema: { params: IdParams('collection_id'), body: DomainBody, response: responses(200), tags: ['gcs'] } },
    async (request, reply) => {
      const record = await domainRecord(request.body as Record<string, unknown>, ctx.config.tlsDomainCertDir);
      // The main origin's names always serve the APIs, so no collection can answer to them.
      const mainNames = ['localhost', ctx.config.domain.toLowerCase(), new URL(ctx.config.publicUrl).hostname.toLowerCase()];
      if (!record.wildcard && mainNames.includes(record.domain_name)) throw conflict(record.domain_name, []);
      await store.tx(async (db) => {
        const caller = await loadCaller(db, request);
        enforce(canManageDomains(caller.held));
        const collection = await loadCollection(db, collectionId(request), { forUpdate: true });
        const endpointName = endpointDomain(caller.endpoint);
        await applyCollectionDomain(db, collection, record, endpointName && !endpointName.wildcard ? endpointName.domain_name : undefined);
      });
      return result(reply, [domainDocument(record)], { message: `Updated collection domain to ${record.domain_name}` });
    },
  );

  app.delete(
    '/api/collections/:collection_id/domain',
    { schema: { params: IdParams('collection_id'), response: responses(200), tags: ['gcs'] } },
    async (request, reply) => {
      await store.tx(async (db) => {
        const caller = await loadCaller(db, request);
        enforce(canManageDomains(caller.held));
        const collection = await loadCollection(db, collectionId(request), { forUpdate: true });
        const { doc, domainName } = withoutDomain(collection);
        await db
          .updateTable('collections')
          .set({ document: toJson(doc), domain_name: domainName })
          .where('id', '=', collection.row.id)
          .execute();
      });
      return result(reply, [], { message: 'Reset collection domain to the default' });
    },
  );
}
