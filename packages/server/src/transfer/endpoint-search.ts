// GET /v0.10/endpoint_search: the GCS endpoint and its collections the caller may see, narrowed by scope and filters, ranked by full text, offset-paged (spec transfer-tasks.md §14).
import type { FastifyInstance } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../context.ts';
import type { Db } from '../store/db.ts';
import { Nullable } from '../http/schemas.ts';
import { effectiveRoles } from '../authz/effective-roles.ts';
import { inSearchScope, scopeNeeds, type SearchRecordFacts } from '../authz/endpoint-search.ts';
import { callerFor, endpointVisibility, gatewayAdmits, type Caller } from '../gcs/caller.ts';
import { findCollection, findCollections, type Collection } from '../gcs/collection-repo.ts';
import { loadEndpoint, type Endpoint } from '../gcs/endpoint-repo.ts';
import { findGateway } from '../gcs/gateway-repo.ts';
import { viewContext } from '../gcs/collection-view.ts';
import { collectionsWithAccessRule } from '../gcs/access-rules-lookup.ts';
import { endpointNotFound, transferErrors } from './errors.ts';
import { collectionRecord, endpointRecord, recordBase, type TransferEndpointRecord } from './endpoint-records.ts';
import { isoTime } from './access-documents.ts';
import { EndpointSearchQuery, MAX_RESULTS, parseEndpointSearch, type EndpointSearch } from './endpoint-search-query.ts';
import { queryTerms, rank, type SearchField } from './fulltext.ts';

/** A search result: the endpoint record plus the fields only search carries (§14.2); `fields=` may leave any out. */
const SearchResult = Type.Object(
  {
    DATA_TYPE: Type.Literal('endpoint'),
    id: Type.Optional(Type.String()),
    entity_type: Type.Optional(Type.String()),
    _rank: Type.Optional(Type.Number()),
    my_effective_roles: Type.Optional(Type.Array(Type.String())),
    tlsftp_server: Type.Optional(Nullable(Type.String())),
  },
  { additionalProperties: true },
);

const EndpointList = Type.Object({
  DATA_TYPE: Type.Literal('endpoint_list'),
  offset: Type.Integer(),
  limit: Type.Integer(),
  has_next_page: Type.Boolean(),
  DATA: Type.Array(SearchResult),
});

/** How many collections are read per query while scanning. */
const SCAN_BATCH = 500;
/** How many of the caller's latest tasks count as "recently used". */
const RECENT_TASKS = 200;

interface Candidate {
  record: TransferEndpointRecord;
  /** the GCS document it was rendered from (collections), for the domain name and tlsftp URL */
  doc: Record<string, unknown> | undefined;
  facts: SearchRecordFacts;
  rank: number;
  lastUsed: number | null;
}

/** Collections the caller's tasks touched: when last (ms) and whether an unfinished task uses them. */
async function taskUse(db: Db, ownerId: string | undefined): Promise<Map<string, { lastUsed: number; inUse: boolean }>> {
  const use = new Map<string, { lastUsed: number; inUse: boolean }>();
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

/** The fields full text looks in, weighted (§14.3). */
function searchFields(record: TransferEndpointRecord, doc: Record<string, unknown> | undefined): SearchField[] {
  const text = (v: unknown) => (Array.isArray(v) ? v.join(' ') : typeof v === 'string' ? v : null);
  return [
    { text: text(record.display_name), weight: 10 },
    { text: text(record.canonical_name), weight: 5 },
    { text: text(record.keywords), weight: 4 },
    { text: text(record.owner_string), weight: 3 },
    { text: text(record.organization), weight: 2 },
    { text: text(record.department), weight: 2 },
    { text: text(doc?.domain_name), weight: 2 },
    { text: text(record.description), weight: 1 },
  ];
}

/** Which collections the host filter leaves: all of the endpoint's, a mapped collection's guests, or (no filter) all. */
async function hostScope(db: Db, caller: Caller, endpoint: Endpoint, hostId: string | undefined): Promise<{ mappedId?: string; endpointIncluded: boolean }> {
  if (hostId === undefined) return { endpointIncluded: true };
  if (hostId === endpoint.id) return { endpointIncluded: false };
  const host = await findCollection(db, hostId);
  // An invisible host is indistinguishable from an unknown one.
  if (!host || !(await viewContext(db, caller).visibility(host)).allowed) throw endpointNotFound(hostId);
  if (host.row.collection_type !== 'mapped') throw transferErrors.error('ClientError.BadRequest', `filter_host_endpoint '${hostId}' hosts no collections`);
  return { mappedId: host.row.id, endpointIncluded: false };
}

function typeAllowed(search: EndpointSearch, entityType: string, nonFunctional: boolean): boolean {
  if (search.entityType !== undefined && search.entityType !== entityType) return false;
  return search.nonFunctional === undefined || search.nonFunctional === nonFunctional;
}

/** The search fields of §14.2 beside the record. */
function result(c: Candidate, endpoint: Endpoint, endpointName: unknown, held: Caller['held'], collection: Collection | undefined) {
  const isCollection = collection !== undefined;
  return {
    ...c.record,
    name: c.record.id,
    username: c.record.owner_string,
    tlsftp_server: isCollection ? ((c.doc?.tlsftp_url as string | undefined) ?? null) : null,
    non_functional_endpoint_id: isCollection ? endpoint.id : null,
    non_functional_endpoint_display_name: isCollection ? endpointName : null,
    in_use: c.facts.inUse,
    last_accessed_time: c.lastUsed === null ? null : isoTime(Math.floor(c.lastUsed / 1000)),
    expires_in: -1,
    authentication_timeout_mins: (c.doc?.authentication_timeout_mins as number | null | undefined) ?? null,
    my_effective_roles: effectiveRoles(held, collection?.ref ?? null),
    _rank: Math.round(c.rank * 1000) / 1000,
  };
}

function project(doc: Record<string, unknown>, fields: string[] | undefined): Record<string, unknown> {
  if (!fields) return doc;
  return { DATA_TYPE: doc.DATA_TYPE, ...Object.fromEntries(fields.filter((f) => f in doc).map((f) => [f, doc[f]])) };
}

export async function endpointSearchRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const { store, config } = ctx;

  app.get('/v0.10/endpoint_search', { schema: { querystring: EndpointSearchQuery, response: { 200: EndpointList }, tags: ['transfer'] } }, async (request) => {
    const search = parseEndpointSearch(request.query as Record<string, string | undefined>);
    const db = store.db;
    const endpoint = await loadEndpoint(db);
    const caller = await callerFor(db, endpoint, request.caller.auth);
    const identitySet = caller.auth?.identitySet ?? [];
    const needs = scopeNeeds(search.scope);
    const [acl, use] = await Promise.all([
      needs.acl ? collectionsWithAccessRule(db, caller.principals) : Promise.resolve(new Set<string>()),
      taskUse(db, caller.auth?.identityId),
    ]);
    const host = await hostScope(db, caller, endpoint, search.hostEndpoint);
    const terms = search.fulltext === undefined ? [] : queryTerms(search.fulltext);
    const base = recordBase(config, endpoint);
    const view = viewContext(db, caller);
    const gatewayAllowed = new Map<string, Promise<boolean>>();
    const admits = (id: string) =>
      gatewayAllowed.get(id) ??
      (gatewayAllowed.set(
        id,
        findGateway(db, id).then((g) => (g ? gatewayAdmits(caller, g) : false)),
      ),
      gatewayAllowed.get(id)!);

    const found: Array<{ candidate: Candidate; collection?: Collection }> = [];
    /** Keeps a visible record when its scope, owner filter and full text agree. */
    const consider = (record: TransferEndpointRecord, doc: Record<string, unknown> | undefined, facts: SearchRecordFacts, collection?: Collection) => {
      if (!inSearchScope(search.scope, identitySet, facts)) return;
      if (search.ownerId !== undefined && record.owner_id !== search.ownerId && facts.ownerIdentity !== search.ownerId) return;
      const score = terms.length ? rank(terms, searchFields(record, doc)) : 0;
      if (score === null) return;
      const lastUsed = use.get(record.id)?.lastUsed ?? null;
      found.push({ candidate: { record, doc, facts, rank: score, lastUsed }, collection });
    };

    if (host.endpointIncluded && typeAllowed(search, 'GCSv5_endpoint', true) && (await endpointVisibility(db, caller)).allowed) {
      const record = endpointRecord(base, endpoint);
      consider(record, undefined, {
        kind: 'endpoint',
        public: endpoint.public,
        ownerIdentity: endpoint.owner_id,
        roles: effectiveRoles(caller.held, null),
        aclHolder: false,
        gatewayAllowed: false,
        recentlyUsed: false,
        inUse: false,
      });
    }

    const types = (['mapped', 'guest'] as const).filter((t) =>
      typeAllowed(search, t === 'mapped' ? 'GCSv5_mapped_collection' : 'GCSv5_guest_collection', false),
    );
    if (host.mappedId !== undefined && !types.includes('guest')) types.length = 0;
    let after: string | null = null;
    while (types.length > 0) {
      let query = db.selectFrom('collections').select('id').orderBy('id').limit(SCAN_BATCH);
      if (after !== null) query = query.where('id', '>', after);
      if (host.mappedId !== undefined) query = query.where('mapped_collection_id', '=', host.mappedId);
      else if (types.length === 1) query = query.where('collection_type', '=', types[0]);
      const ids = (await query.execute()).map((r) => r.id);
      if (ids.length === 0) break;
      after = ids[ids.length - 1];
      const batch = await findCollections(db, ids);
      await view.prefetch(batch);
      for (const c of batch) {
        if (!(await view.visibility(c)).allowed) continue;
        const kind = c.row.collection_type === 'guest' ? 'guest' : 'mapped';
        const facts: SearchRecordFacts = {
          kind,
          public: c.ref.public,
          ownerIdentity: c.row.identity_id,
          roles: effectiveRoles(caller.held, c.ref),
          aclHolder: acl.has(c.row.id),
          gatewayAllowed: needs.gateway && kind === 'mapped' ? await admits(c.row.storage_gateway_id) : false,
          recentlyUsed: use.has(c.row.id),
          inUse: use.get(c.row.id)?.inUse ?? false,
        };
        if (!inSearchScope(search.scope, identitySet, facts)) continue;
        const doc = await view.render(c, false, config.publicUrl);
        consider(collectionRecord(base, endpoint, c, doc), doc, facts, c);
      }
      if (ids.length < SCAN_BATCH) break;
    }

    // Best match first; recently-used by recency; then by name, so pages are stable.
    found.sort(
      (a, b) =>
        b.candidate.rank - a.candidate.rank ||
        (search.scope === 'recently-used' ? (b.candidate.lastUsed ?? 0) - (a.candidate.lastUsed ?? 0) : 0) ||
        String(a.candidate.record.display_name ?? '').localeCompare(String(b.candidate.record.display_name ?? '')) ||
        a.candidate.record.id.localeCompare(b.candidate.record.id),
    );
    const reachable = Math.min(found.length, MAX_RESULTS);
    const page = found.slice(search.offset, Math.min(search.offset + search.limit, reachable));
    const endpointName = endpointRecord(base, endpoint).display_name;
    return {
      DATA_TYPE: 'endpoint_list' as const,
      offset: search.offset,
      limit: search.limit,
      has_next_page: search.offset + search.limit < reachable,
      DATA: page.map(({ candidate, collection }) => project(result(candidate, endpoint, endpointName, caller.held, collection), search.fields)),
    };
  });
}
