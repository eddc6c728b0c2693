// Collections: rows as domain objects, loaded one at a time or a page at once (cached, or locked), and removed with what hangs on them.
import type { Db } from '../store/db.ts';
import { fromJson } from '../store/db.ts';
import { cachedMany, type CacheSpec } from '../store/cache.ts';
import { forUpdate } from '../store/locking.ts';
import type { CollectionRef } from '../authz/gcs.ts';
import { notFound } from './envelope.ts';
import { read, type LoadOptions } from './repo-read.ts';
import type { CollectionRow } from './tables.ts';

export interface Collection {
  row: CollectionRow;
  doc: Record<string, unknown>;
  ref: CollectionRef;
}

const COLLECTION_CACHE: CacheSpec = { name: 'collection', tables: ['collections'], max: 10_000 };

export function toCollection(row: CollectionRow): Collection {
  return {
    row,
    doc: fromJson<Record<string, unknown>>(row.document, {}),
    ref: {
      id: row.id,
      collection_type: row.collection_type,
      mapped_collection_id: row.mapped_collection_id,
      storage_gateway_id: row.storage_gateway_id,
      public: row.public === 1,
      identity_id: row.identity_id,
    },
  };
}

export function findCollection(db: Db, id: string, options: LoadOptions = {}): Promise<Collection | undefined> {
  const key = id.toLowerCase();
  return read(db, COLLECTION_CACHE, key, options, async () => {
    const query = db.selectFrom('collections').selectAll().where('id', '=', key);
    const row = await (options.forUpdate ? forUpdate(db, query) : query).executeTakeFirst();
    return row ? toCollection(row) : undefined;
  });
}

/** Collections by id, in the order asked (absent ones left out): a page's rows from the cache, misses in one query. */
export async function findCollections(db: Db, ids: string[]): Promise<Collection[]> {
  const found = await cachedMany(db, COLLECTION_CACHE, ids, async (missing) => {
    const rows = await db.selectFrom('collections').selectAll().where('id', 'in', missing).execute();
    return new Map(rows.map((r) => [r.id, toCollection(r)]));
  });
  return ids.map((id) => found.get(id)).filter((c): c is Collection => c !== undefined);
}

export async function loadCollection(db: Db, id: string, options: LoadOptions = {}): Promise<Collection> {
  const c = await findCollection(db, id, options);
  if (!c) throw notFound('Collection', id);
  return c;
}

/** Removes a collection with its roles, its sharing policies and (mapped) its guests. */
export async function deleteCollection(db: Db, collection: Collection): Promise<void> {
  const guests = await db.selectFrom('collections').select('id').where('mapped_collection_id', '=', collection.row.id).execute();
  const ids = [collection.row.id, ...guests.map((g) => g.id)];
  await db.deleteFrom('gcs_roles').where('collection_id', 'in', ids).execute();
  await db.deleteFrom('sharing_policies').where('collection_id', '=', collection.row.id).execute();
  await db.deleteFrom('collections').where('id', 'in', ids).execute();
}
