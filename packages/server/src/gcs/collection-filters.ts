// Collection lists (/api/collections, /api/collections/check): the query schema, `filter=` parsing, and keyset pages of collections.
import { Type } from '@fastify/type-provider-typebox';
import type { Db } from '../store/db.ts';
import { ListParam, Uuid } from './documents/request.ts';
import { PagingQuery, gcsError } from './envelope.ts';
import { findCollections, type Collection } from './collection-repo.ts';

export const CollectionListQuery = Type.Object({
  filter: ListParam(),
  include: ListParam(),
  mapped_collection_id: Type.Optional(Uuid()),
  storage_gateway_id: Type.Optional(Uuid()),
  ...PagingQuery,
});

const DATE_FILTER = /^(last_access|created_at)(<=|>=|<|>|=)(\d{4}-\d{2}-\d{2})$/;
const NAMED_FILTERS = new Set(['mapped_collections', 'guest_collections', 'managed_by_me', 'created_by_me']);

export function parseFilters(values: string[]): { named: Set<string>; dates: Array<{ field: string; op: string; value: string }> } {
  const named = new Set<string>();
  const dates: Array<{ field: string; op: string; value: string }> = [];
  for (const raw of values) {
    const date = DATE_FILTER.exec(raw);
    if (date) dates.push({ field: date[1], op: date[2], value: date[3] });
    else if (NAMED_FILTERS.has(raw.replace(/-/g, '_'))) named.add(raw.replace(/-/g, '_'));
    else throw gcsError(400, `Unknown filter ${raw}`);
  }
  return { named, dates };
}

export function compareDate(actual: unknown, op: string, value: string): boolean {
  if (typeof actual !== 'string') return false;
  if (op === '<') return actual < value;
  if (op === '<=') return actual <= value;
  if (op === '>') return actual > value;
  if (op === '>=') return actual >= value;
  return actual === value;
}

/** The collection types a list's `filter=` leaves (mapped_collections / guest_collections narrow it). */
export function collectionTypes(named: Set<string>): string[] {
  return ['mapped', 'guest'].filter((t) => !named.has(t === 'mapped' ? 'guest_collections' : 'mapped_collections'));
}

/** Keyset pages of collections by id, narrowed by type, mapped collection, gateway and creator. */
export function collectionFetcher(db: Db, types: string[], q: { mapped_collection_id?: string; storage_gateway_id?: string }, createdBy?: string[]) {
  return async (after: string | null, limit: number): Promise<Collection[]> => {
    // Only the ids come from the keyset query; the documents from the collection cache (parsed once).
    let query = db.selectFrom('collections').select('id').orderBy('id').limit(limit);
    if (after !== null) query = query.where('id', '>', after);
    if (types.length === 1) query = query.where('collection_type', '=', types[0]);
    if (q.mapped_collection_id) query = query.where('mapped_collection_id', '=', q.mapped_collection_id.toLowerCase());
    if (q.storage_gateway_id) query = query.where('storage_gateway_id', '=', q.storage_gateway_id.toLowerCase());
    if (createdBy) query = query.where('identity_id', 'in', createdBy);
    return findCollections(
      db,
      (await query.execute()).map((r) => r.id),
    );
  };
}
