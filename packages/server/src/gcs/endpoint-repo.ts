// The endpoint record: loaded from the store (cached, or locked for a write).
import type { Db } from '../store/db.ts';
import { fromJson } from '../store/db.ts';
import type { CacheSpec } from '../store/cache.ts';
import { forUpdate } from '../store/locking.ts';
import { read, type LoadOptions } from './repo-read.ts';
import { gcsError } from './envelope.ts';

export interface Endpoint {
  id: string;
  owner_id: string;
  doc: Record<string, unknown>;
  public: boolean;
}

const ENDPOINT_CACHE: CacheSpec = { name: 'endpoint', tables: ['endpoints'], max: 1 };

export async function loadEndpoint(db: Db, options: LoadOptions = {}): Promise<Endpoint> {
  const endpoint = await read(db, ENDPOINT_CACHE, '', options, async () => {
    const query = db.selectFrom('endpoints').selectAll();
    const row = await (options.forUpdate ? forUpdate(db, query) : query).executeTakeFirst();
    if (!row) return undefined;
    const doc = fromJson<Record<string, unknown>>(row.document, {});
    return { id: row.id, owner_id: row.owner_id, doc, public: doc.public !== false };
  });
  if (!endpoint) throw gcsError(404, 'This server has no endpoint');
  return endpoint;
}
