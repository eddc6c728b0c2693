// The domain#1.0.0 document of the endpoint and of collections: the stored record, its public rendering, and where each keeps it.
import type { Endpoint } from '../endpoint-repo.ts';
import type { Collection } from '../collection-repo.ts';

/** A stored `domain#1.0.0`; certificate material and paths are private. */
export interface DomainRecord {
  domain_name: string;
  wildcard: boolean;
  [privateField: string]: unknown;
}

export function domainDocument(domain: DomainRecord) {
  return { DATA_TYPE: 'domain#1.0.0', domain_name: domain.domain_name, wildcard: domain.wildcard };
}

function domainOf(doc: Record<string, unknown>): DomainRecord | undefined {
  const d = doc.domain as DomainRecord | undefined;
  return d && typeof d.domain_name === 'string' ? d : undefined;
}

/** The endpoint's custom domain, if one is set. */
export function endpointDomain(endpoint: Endpoint): DomainRecord | undefined {
  return domainOf(endpoint.doc);
}

/** The collection's custom domain document (PUT /api/collections/{id}/domain), if one is set. */
export function collectionDomain(collection: Collection): DomainRecord | undefined {
  return domainOf(collection.doc);
}
