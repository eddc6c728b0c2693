// What endpoint search loads to decide and rank: the caller's task use of collections, access-rule holdings, gateway admission, the host filter (spec transfer-tasks.md §14).
import type { Db } from '../store/db.ts';
import { scopeNeeds, type SearchScope } from '../authz/endpoint-search.ts';
import { gatewayAdmits, type Caller } from '../gcs/caller.ts';
import { findCollection } from '../gcs/collection-repo.ts';
import type { Endpoint } from '../gcs/endpoint-repo.ts';
import { findGateway } from '../gcs/gateway-repo.ts';
import { viewContext } from '../gcs/collection-view.ts';
import { collectionsWithAccessRule } from '../gcs/access-rules-lookup.ts';
import { endpointNotFound, transferErrors } from './errors.ts';

/** How many of the caller's latest tasks count as "recently used". */
const RECENT_TASKS = 200;

export interface TaskUse {
  /** ms since the epoch of the latest task on the collection */
  lastUsed: number;
  /** an ACTIVE or INACTIVE task uses it */
  inUse: boolean;
}

/** Collections the caller's latest tasks touched (either side). */
async function taskUse(db: Db, ownerId: string | undefined): Promise<Map<string, TaskUse>> {
  const use = new Map<string, TaskUse>();
  if (!ownerId) return use;
  const rows = await db
    .selectFrom('transfer_tasks')
    .select(['source_collection_id', 'destination_collection_id', 'status', 'requested_at'])
    .where('owner_id', '=', ownerId)
    .orderBy('requested_at', 'desc')
    .limit(RECENT_TASKS)
    .execute();
  for (const row of rows) {
    const open = row.status === 'ACTIVE' || row.status === 'INACTIVE';
    for (const id of [row.source_collection_id, row.destination_collection_id]) {
      if (!id) continue;
      const seen = use.get(id);
      use.set(id, { lastUsed: Math.max(seen?.lastUsed ?? 0, row.requested_at), inUse: (seen?.inUse ?? false) || open });
    }
  }
  return use;
}

export interface SearchFacts {
  /** guest collections on which an access rule applies to the caller (loaded only for the scopes that ask) */
  aclHolderOn: ReadonlySet<string>;
  use: ReadonlyMap<string, TaskUse>;
  /** whether a storage gateway admits the caller (asked only for the scopes that need it; cached per gateway) */
  gatewayAllowed(gatewayId: string): Promise<boolean>;
  needsGateway: boolean;
}

/** The facts a scope needs, each loaded once per request. */
export async function loadSearchFacts(db: Db, caller: Caller, scope: SearchScope): Promise<SearchFacts> {
  const needs = scopeNeeds(scope);
  const [aclHolderOn, use] = await Promise.all([
    needs.acl ? collectionsWithAccessRule(db, caller.principals) : Promise.resolve(new Set<string>()),
    taskUse(db, caller.auth?.identityId),
  ]);
  const admitted = new Map<string, Promise<boolean>>();
  return {
    aclHolderOn,
    use,
    needsGateway: needs.gateway,
    gatewayAllowed(gatewayId) {
      let known = admitted.get(gatewayId);
      if (!known) {
        known = findGateway(db, gatewayId).then((g) => (g ? gatewayAdmits(caller, g) : false));
        admitted.set(gatewayId, known);
      }
      return known;
    },
  };
}

/** What `filter_host_endpoint` leaves: every collection of the endpoint, one mapped collection's guests, or (no filter) everything. */
export interface HostScope {
  mappedId?: string;
  endpointIncluded: boolean;
}

export async function hostScope(db: Db, caller: Caller, endpoint: Endpoint, hostId: string | undefined): Promise<HostScope> {
  if (hostId === undefined) return { endpointIncluded: true };
  if (hostId === endpoint.id) return { endpointIncluded: false };
  const host = await findCollection(db, hostId);
  // An invisible host is indistinguishable from an unknown one.
  if (!host || !(await viewContext(db, caller).visibility(host)).allowed) throw endpointNotFound(hostId);
  if (host.row.collection_type !== 'mapped') throw transferErrors.error('ClientError.BadRequest', `filter_host_endpoint '${hostId}' hosts no collections`);
  return { mappedId: host.row.id, endpointIncluded: false };
}
