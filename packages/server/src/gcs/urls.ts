// Where the endpoint and collections answer: host names (custom, wildcard, assigned), origins, and the URLs a collection document advertises.
import type { Endpoint } from './endpoint-repo.ts';
import type { Collection } from './collection-repo.ts';
import { collectionDomain, endpointDomain, type DomainRecord } from './documents/domain.ts';

/**
 * The host name a collection answers to: a custom name as stored; otherwise its assigned label under
 * the nearest wildcard domain (the mapped collection's for a guest, then the endpoint's), else as assigned.
 */
export function effectiveDomainName(collection: Collection, mapped: Collection | undefined, endpointWildcard: DomainRecord | undefined): string {
  const stored = collection.row.domain_name;
  if (collection.doc.custom_domain === true || collection.doc.requested_domain === true) return stored;
  const label = stored.split('.')[0];
  const mappedDomain = mapped ? collectionDomain(mapped) : undefined;
  if (collection.row.collection_type === 'guest' && mappedDomain?.wildcard) return `${label}.${mappedDomain.domain_name}`;
  if (endpointWildcard?.wildcard) return `${label}.${endpointWildcard.domain_name}`;
  return stored;
}

/** `https://<host>` on the port clients use for the public URL (the one listener serves every host name). */
export function hostOrigin(host: string, publicUrl: string): string {
  const port = new URL(publicUrl).port;
  return `https://${host}${port ? `:${port}` : ''}`;
}

/** The endpoint's host name (`/api/info` `domain_name`): its custom domain unless that is a wildcard one, else the configured domain. */
export function endpointHostName(endpoint: Endpoint, defaultDomain: string): string {
  const domain = endpointDomain(endpoint);
  return domain && !domain.wildcard ? domain.domain_name : defaultDomain;
}

/** The GCS Manager's origin: a custom (non-wildcard) endpoint domain "is used for the endpoint itself", else the public URL. */
export function managerOrigin(publicUrl: string, endpointDomain: DomainRecord | undefined): string {
  return endpointDomain && !endpointDomain.wildcard ? hostOrigin(endpointDomain.domain_name, publicUrl) : publicUrl;
}

/**
 * Whether a collection is reached at its own host name rather than under /data on the main origin: only
 * when its name comes from a domain an administrator configured (and so has DNS for) — its custom domain,
 * its mapped collection's wildcard domain (guests), or the endpoint's wildcard domain.
 */
export function hasOwnHost(collection: Collection, mapped: Collection | undefined, endpointDomain: DomainRecord | undefined): boolean {
  if (collection.doc.custom_domain === true) return true;
  if (collection.row.collection_type === 'guest' && mapped && collectionDomain(mapped)?.wildcard) return true;
  return endpointDomain?.wildcard === true;
}

/**
 * The collection's `https_url`: the origin of its own host name, or the /data prefix of the main origin.
 * Whatever names the collection's HTTPS location to a client (its document, a browser's way back from Auth) says this.
 */
export function collectionHttpsUrl(
  collection: Collection,
  mapped: Collection | undefined,
  endpointDomain: DomainRecord | undefined,
  publicUrl: string,
  domainName = effectiveDomainName(collection, mapped, endpointDomain),
): string {
  return hasOwnHost(collection, mapped, endpointDomain) ? hostOrigin(domainName, publicUrl) : `${publicUrl}/data/${collection.row.id}`;
}

export function collectionUrls(collection: Collection, mapped: Collection | undefined, endpointDomain: DomainRecord | undefined, publicUrl: string) {
  const domainName = effectiveDomainName(collection, mapped, endpointDomain);
  return {
    domain_name: domainName,
    manager_url: managerOrigin(publicUrl, endpointDomain),
    https_url: collectionHttpsUrl(collection, mapped, endpointDomain, publicUrl, domainName),
    tlsftp_url: `tlsftp://${domainName}:443`,
  };
}
