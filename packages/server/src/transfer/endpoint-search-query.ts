// The query of GET /v0.10/endpoint_search (spec transfer-tasks.md §14.1): its schema, and its parsing into a checked search with Transfer's 400s.
import { ENDPOINT_SEARCH_ENTITY_TYPES, type EndpointSearchEntityType } from '@gatehouse/sdk';
import { Type } from '@fastify/type-provider-typebox';
import { UUID_RE } from '../auth/uuid.ts';
import { SEARCH_SCOPES, type SearchScope } from '../authz/endpoint-search.ts';
import { transferErrors } from './errors.ts';

const Text = (maxLength: number) => Type.Optional(Type.String({ maxLength }));

/** Every parameter arrives as text and is checked below, so that each refusal is Transfer's `ClientError.BadRequest`. */
export const EndpointSearchQuery = Type.Object(
  {
    filter_fulltext: Text(1000),
    filter_scope: Text(64),
    filter_owner_id: Text(64),
    filter_host_endpoint: Text(64),
    filter_non_functional: Text(8),
    filter_entity_type: Text(64),
    limit: Text(16),
    offset: Text(16),
    fields: Text(2000),
  },
  // Clients pass query_params through; unknown ones are ignored (§0.3).
  { additionalProperties: true },
);

export const ENTITY_TYPES = ENDPOINT_SEARCH_ENTITY_TYPES;
export type EntityType = EndpointSearchEntityType;

/** Page size when none is asked for; the most one page holds; how far any search reaches. */
export const DEFAULT_LIMIT = 25;
export const MAX_LIMIT = 100;
export const MAX_RESULTS = 1000;

export interface EndpointSearch {
  fulltext: string | undefined;
  scope: SearchScope;
  ownerId: string | undefined;
  hostEndpoint: string | undefined;
  nonFunctional: boolean | undefined;
  entityType: EntityType | undefined;
  limit: number;
  offset: number;
  /** only these keys of each record (§0.3), or all */
  fields: string[] | undefined;
}

const badRequest = (message: string) => transferErrors.error('ClientError.BadRequest', message);

/** `True`/`true`/`1` and their opposites, as the three clients spell booleans (§0.3). */
function flag(name: string, value: string): boolean {
  if (/^(true|1)$/i.test(value)) return true;
  if (/^(false|0)$/i.test(value)) return false;
  throw badRequest(`Invalid value for ${name}: '${value}' (expected 1 or 0)`);
}

function count(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d{1,9}$/.test(value)) throw badRequest(`Invalid value for ${name}: '${value}' (expected a non-negative integer)`);
  return Number(value);
}

function uuid(name: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!UUID_RE.test(value)) throw badRequest(`Invalid value for ${name}: '${value}' (expected a UUID)`);
  return value.toLowerCase();
}

const OWNER_CONFLICTS: readonly SearchScope[] = ['my-endpoints', 'my-gcp-endpoints', 'shared-by-me'];

/** The checked search, or the 400 that says what is wrong with the query. */
export function parseEndpointSearch(q: Record<string, string | undefined>): EndpointSearch {
  const scope = (q.filter_scope === undefined || q.filter_scope === '' ? 'all' : q.filter_scope.toLowerCase()) as SearchScope;
  if (!SEARCH_SCOPES.includes(scope)) throw badRequest(`Invalid filter_scope '${q.filter_scope}' (expected one of ${SEARCH_SCOPES.join(', ')})`);
  const fulltext = q.filter_fulltext?.trim() || undefined;
  if (scope === 'all' && fulltext === undefined) throw badRequest("filter_fulltext is required when filter_scope is 'all'");
  const ownerId = uuid('filter_owner_id', q.filter_owner_id);
  if (ownerId && OWNER_CONFLICTS.includes(scope)) throw badRequest(`filter_owner_id cannot be used with filter_scope '${scope}'`);
  const nonFunctional =
    q.filter_non_functional === undefined || q.filter_non_functional === '' ? undefined : flag('filter_non_functional', q.filter_non_functional);
  let entityType: EntityType | undefined;
  if (q.filter_entity_type !== undefined && q.filter_entity_type !== '') {
    entityType = ENTITY_TYPES.find((t) => t === q.filter_entity_type);
    if (!entityType) throw badRequest(`Invalid filter_entity_type '${q.filter_entity_type}' (expected one of ${ENTITY_TYPES.join(', ')})`);
  }
  if (entityType && nonFunctional !== undefined) throw badRequest('filter_non_functional and filter_entity_type are mutually exclusive');
  const limit = count('limit', q.limit, DEFAULT_LIMIT);
  const offset = count('offset', q.offset, 0);
  if (limit < 1 || limit > MAX_LIMIT) throw badRequest(`limit must be between 1 and ${MAX_LIMIT}`);
  if (offset + limit > MAX_RESULTS) throw badRequest(`offset + limit must not exceed ${MAX_RESULTS}`);
  const fields = q.fields
    ?.split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  return {
    fulltext,
    scope,
    ownerId,
    hostEndpoint: uuid('filter_host_endpoint', q.filter_host_endpoint),
    nonFunctional,
    entityType,
    limit,
    offset,
    fields: fields?.length ? fields : undefined,
  };
}
