// GET /v0.10/endpoint_search: the GCS endpoint and its collections the caller may see, narrowed by scope and filters, ranked by full text, offset-paged (spec transfer-tasks.md §14).
import type { FastifyInstance } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../context.ts';
import type { Db } from '../store/db.ts';
import { Nullable } from '../http/schemas.ts';
import { effectiveRoles } from '../authz/effective-roles.ts';
import { inSearchScope, type SearchRecordFacts } from '../authz/endpoint-search.ts';
import { callerFor, endpointVisibility, type Caller } from '../gcs/caller.ts';
import { findCollections, type Collection } from '../gcs/collection-repo.ts';
import { loadEndpoint, type Endpoint } from '../gcs/endpoint-repo.ts';
import { viewContext } from '../gcs/collection-view.ts';
import { collectionRecord, endpointRecord, recordBase, type RecordBase, type TransferEndpointRecord } from './endpoint-records.ts';
import { isoTime } from './access-documents.ts';
import { EndpointSearchQuery, MAX_RESULTS, parseEndpointSearch, type EndpointSearch } from './endpoint-search-query.ts';
import { hostScope, loadSearchFacts, type HostScope, type SearchFacts } from './endpoint-search-facts.ts';
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

/** A record that passed visibility, scope, owner filter and full text. */
interface Match {
  record: TransferEndpointRecord;
  /** the collection and the GCS document its record was rendered from; undefined for the endpoint */
  collection?: Collection;
  doc?: Record<string, unknown>;
  facts: SearchRecordFacts;
  rank: number;
  lastUsed: number | null;
}

/** What one search request works with. */
interface SearchRun {
  db: Db;
  publicUrl: string;
  search: EndpointSearch;
  caller: Caller;
  endpoint: Endpoint;
  base: RecordBase;
  facts: SearchFacts;
  terms: string[];
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

function typeAllowed(search: EndpointSearch, entityType: string, nonFunctional: boolean): boolean {
  if (search.entityType !== undefined && search.entityType !== entityType) return false;
  return search.nonFunctional === undefined || search.nonFunctional === nonFunctional;
}

/** A record in scope, then the owner filter and the full text; null when any of them leaves it out. */
function match(run: SearchRun, record: TransferEndpointRecord, facts: SearchRecordFacts, collection?: Collection, doc?: Record<string, unknown>): Match | null {
  const { search } = run;
  if (!inSearchScope(search.scope, run.caller.auth?.identitySet ?? [], facts)) return null;
  if (search.ownerId !== undefined && record.owner_id !== search.ownerId && facts.ownerIdentity !== search.ownerId) return null;
  const score = run.terms.length ? rank(run.terms, searchFields(record, doc)) : 0;
  if (score === null) return null;
  return { record, collection, doc, facts, rank: score, lastUsed: run.facts.use.get(record.id)?.lastUsed ?? null };
}

async function endpointMatch(run: SearchRun, host: HostScope): Promise<Match | null> {
  if (!host.endpointIncluded || !typeAllowed(run.search, 'GCSv5_endpoint', true)) return null;
  if (!(await endpointVisibility(run.db, run.caller)).allowed) return null;
  return match(run, endpointRecord(run.base, run.endpoint), {
    kind: 'endpoint',
    public: run.endpoint.public,
    ownerIdentity: run.endpoint.owner_id,
    roles: effectiveRoles(run.caller.held, null),
    aclHolder: false,
    gatewayAllowed: false,
    recentlyUsed: false,
    inUse: false,
  });
}

/** Scans the collections the host and type filters leave, in id batches, keeping the visible ones that match. */
async function collectionMatches(run: SearchRun, host: HostScope): Promise<Match[]> {
  const types = (['mapped', 'guest'] as const).filter((t) => typeAllowed(run.search, `GCSv5_${t}_collection`, false));
  if (types.length === 0 || (host.mappedId !== undefined && !types.includes('guest'))) return [];
  const view = viewContext(run.db, run.caller);
  const matches: Match[] = [];
  for (let after: string | null = null; ;) {
    let query = run.db.selectFrom('collections').select('id').orderBy('id').limit(SCAN_BATCH);
    if (after !== null) query = query.where('id', '>', after);
    if (host.mappedId !== undefined) query = query.where('mapped_collection_id', '=', host.mappedId);
    else if (types.length === 1) query = query.where('collection_type', '=', types[0]);
    const ids = (await query.execute()).map((r) => r.id);
    if (ids.length === 0) return matches;
    const batch = await findCollections(run.db, ids);
    await view.prefetch(batch);
    for (const c of batch) {
      if (!(await view.visibility(c)).allowed) continue;
      const kind = c.row.collection_type === 'guest' ? 'guest' : 'mapped';
      const facts: SearchRecordFacts = {
        kind,
        public: c.ref.public,
        ownerIdentity: c.row.identity_id,
        roles: effectiveRoles(run.caller.held, c.ref),
        aclHolder: run.facts.aclHolderOn.has(c.row.id),
        gatewayAllowed: run.facts.needsGateway && kind === 'mapped' ? await run.facts.gatewayAllowed(c.row.storage_gateway_id) : false,
        recentlyUsed: run.facts.use.has(c.row.id),
        inUse: run.facts.use.get(c.row.id)?.inUse ?? false,
      };
      // The scope first: rendering is the costly part.
      if (!inSearchScope(run.search.scope, run.caller.auth?.identitySet ?? [], facts)) continue;
      const doc = await view.render(c, false, run.publicUrl);
      const found = match(run, collectionRecord(run.base, run.endpoint, c, doc), facts, c, doc);
      if (found) matches.push(found);
    }
    if (ids.length < SCAN_BATCH) return matches;
    after = ids[ids.length - 1];
  }
}

/** Best match first; recently-used by recency; then by name and id, so that pages are stable. */
function order(scope: EndpointSearch['scope']) {
  const name = (m: Match) => String(m.record.display_name ?? '');
  return (a: Match, b: Match) =>
    b.rank - a.rank ||
    (scope === 'recently-used' ? (b.lastUsed ?? 0) - (a.lastUsed ?? 0) : 0) ||
    (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0) ||
    (a.record.id < b.record.id ? -1 : 1);
}

/** The search fields of §14.2 beside the record. */
function result(run: SearchRun, m: Match) {
  const isCollection = m.collection !== undefined;
  return {
    ...m.record,
    name: m.record.id,
    username: m.record.owner_string,
    tlsftp_server: isCollection ? ((m.doc?.tlsftp_url as string | undefined) ?? null) : null,
    non_functional_endpoint_id: isCollection ? run.endpoint.id : null,
    non_functional_endpoint_display_name: isCollection ? endpointRecord(run.base, run.endpoint).display_name : null,
    in_use: m.facts.inUse,
    last_accessed_time: m.lastUsed === null ? null : isoTime(Math.floor(m.lastUsed / 1000)),
    expires_in: -1,
    authentication_timeout_mins: (m.doc?.authentication_timeout_mins as number | null | undefined) ?? null,
    my_effective_roles: m.facts.roles,
    _rank: Math.round(m.rank * 1000) / 1000,
  };
}

/** `fields=`: only the listed keys (and DATA_TYPE). */
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
    const host = await hostScope(db, caller, endpoint, search.hostEndpoint);
    const run: SearchRun = {
      db,
      publicUrl: config.publicUrl,
      search,
      caller,
      endpoint,
      base: recordBase(config, endpoint),
      facts: await loadSearchFacts(db, caller, search.scope),
      terms: search.fulltext === undefined ? [] : queryTerms(search.fulltext),
    };
    const first = await endpointMatch(run, host);
    const matches = [...(first ? [first] : []), ...(await collectionMatches(run, host))].sort(order(search.scope));
    const reachable = Math.min(matches.length, MAX_RESULTS);
    return {
      DATA_TYPE: 'endpoint_list' as const,
      offset: search.offset,
      limit: search.limit,
      has_next_page: search.offset + search.limit < reachable,
      DATA: matches.slice(search.offset, Math.min(search.offset + search.limit, reachable)).map((m) => project(result(run, m), search.fields)),
    };
  });
}
