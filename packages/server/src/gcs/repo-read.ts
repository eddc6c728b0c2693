// How the GCS repositories read a row: from the caches, or (forUpdate) locked from the store inside the request's transaction.
import type { Db } from '../store/db.ts';
import { cached, type CacheSpec } from '../store/cache.ts';

/** How a loader reads: `forUpdate` locks the row until the transaction ends (store/locking.ts), for a read that is written back. */
export interface LoadOptions {
  forUpdate?: boolean;
}

/** The cache for plain reads; a locking read always goes to the store (it is in a transaction, which the caches never serve). */
export function read<V>(db: Db, spec: CacheSpec, key: string, options: LoadOptions, load: () => Promise<V>): Promise<V> {
  return options.forUpdate ? load() : cached(db, spec, key, load);
}
