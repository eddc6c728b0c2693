// Storage gateways: rows as domain objects (document with defaults, mapping policy), loaded cached or locked.
import type { Db } from '../store/db.ts';
import { fromJson } from '../store/db.ts';
import type { CacheSpec } from '../store/cache.ts';
import { forUpdate } from '../store/locking.ts';
import type { GatewayPolicy } from '../authz/gcs.ts';
import { knownFields, withDefaults } from './documents/request.ts';
import { GATEWAY_FIELDS } from './bodies.ts';
import { GATEWAY_DEFAULTS } from './documents/storage-gateway.ts';
import { notFound } from './envelope.ts';
import { read, type LoadOptions } from './repo-read.ts';
import type { StorageGatewayRow } from './tables.ts';

export interface Gateway {
  row: StorageGatewayRow;
  doc: Record<string, unknown>;
  policy: GatewayPolicy;
}

const GATEWAY_CACHE: CacheSpec = { name: 'storage-gateway', tables: ['storage_gateways'], max: 1_000 };

export function toGateway(row: StorageGatewayRow): Gateway {
  // Only the document's own fields, whatever an earlier version stored beside them.
  const doc = withDefaults(GATEWAY_DEFAULTS, knownFields(fromJson<Record<string, unknown>>(row.document, {}), GATEWAY_FIELDS));
  return { row, doc, policy: { ...(doc as unknown as GatewayPolicy), connector_id: row.connector_id } };
}

export function findGateway(db: Db, id: string, options: LoadOptions = {}): Promise<Gateway | undefined> {
  const key = id.toLowerCase();
  return read(db, GATEWAY_CACHE, key, options, async () => {
    const query = db.selectFrom('storage_gateways').selectAll().where('id', '=', key);
    const row = await (options.forUpdate ? forUpdate(db, query) : query).executeTakeFirst();
    return row ? toGateway(row) : undefined;
  });
}

export async function loadGateway(db: Db, id: string, options: LoadOptions = {}): Promise<Gateway> {
  const gateway = await findGateway(db, id, options);
  if (!gateway) throw notFound('Storage gateway', id);
  return gateway;
}
