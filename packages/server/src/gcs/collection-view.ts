// The collection view a request renders with: per-request caches of gateways, mapped collections and gateway admission, visibility and documents.
import type { Db } from '../store/db.ts';
import { canAdministerCollection, canSeeGuestRootPath, canViewCollection, type Decision } from '../authz/gcs.ts';
import { gatewayAdmits, type Caller } from './caller.ts';
import { collectionDocument } from './documents/collection.ts';
import { endpointDomain } from './documents/domain.ts';
import { findCollection, findCollections, type Collection } from './collection-repo.ts';
import { findGateway, type Gateway } from './gateway-repo.ts';
import { hasAccessRule } from './access-rules-lookup.ts';

/** Per-request caches: listing many collections touches the same few gateways and mapped collections. */
export function viewContext(db: Db, caller: Caller) {
  const gateways = new Map<string, Promise<Gateway | undefined>>();
  const mapped = new Map<string, Promise<Collection | undefined>>();
  const allowed = new Map<string, Promise<boolean>>();
  const gateway = (id: string) => gateways.get(id) ?? (gateways.set(id, findGateway(db, id)), gateways.get(id)!);
  const mappedOf = (c: Collection) =>
    c.row.mapped_collection_id
      ? (mapped.get(c.row.mapped_collection_id) ??
        (mapped.set(c.row.mapped_collection_id, findCollection(db, c.row.mapped_collection_id)), mapped.get(c.row.mapped_collection_id)!))
      : Promise.resolve(undefined);
  const gatewayAllowed = (id: string) =>
    allowed.get(id) ??
    (allowed.set(
      id,
      (async () => {
        const g = await gateway(id);
        return Boolean(g && (await gatewayAdmits(caller, g)));
      })(),
    ),
    allowed.get(id)!);
  return {
    /** Loads the mapped collections of a page's guests in one query instead of one per guest. */
    async prefetch(collections: Collection[]): Promise<void> {
      const ids = [...new Set(collections.map((c) => c.row.mapped_collection_id).filter((id): id is string => !!id && !mapped.has(id)))];
      if (ids.length === 0) return;
      const found = new Map((await findCollections(db, ids)).map((c) => [c.row.id, c]));
      for (const id of ids) mapped.set(id, Promise.resolve(found.get(id)));
    },
    async visibility(c: Collection): Promise<Decision> {
      const quick = canViewCollection({
        held: caller.held,
        collection: c.ref,
        endpointPublic: caller.endpoint.public,
        gatewayAllowed: false,
        aclHolder: false,
      });
      if (quick.allowed) return quick;
      // The slower facts only where they count: gateway policies for mapped collections, Transfer ACLs for guests.
      const mapped = c.ref.collection_type === 'mapped';
      return canViewCollection({
        held: caller.held,
        collection: c.ref,
        endpointPublic: caller.endpoint.public,
        gatewayAllowed: mapped && (await gatewayAllowed(c.row.storage_gateway_id)),
        aclHolder: !mapped && (await hasAccessRule(db, caller.principals, c.row.id)),
      });
    },
    async render(c: Collection, includePrivate: boolean, publicUrl: string) {
      return collectionDocument(c, {
        gateway: await gateway(c.row.storage_gateway_id),
        mapped: await mappedOf(c),
        publicUrl,
        showPrivate: includePrivate && canAdministerCollection(caller.held, c.ref).allowed,
        showRootPath: c.ref.collection_type !== 'guest' || canSeeGuestRootPath(caller.held, c.ref),
        endpointDomain: endpointDomain(caller.endpoint),
      });
    },
  };
}
