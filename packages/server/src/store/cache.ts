// Read-through caches of rarely written rows, one set per store, made stale by its change feed.
import type { ChangeFeed } from './change-feed.ts';
import { CHANGE_NOTIFIED_TABLES } from './migrations/0008_change_notifications.ts';

interface Entry {
  stamp: number;
  value: unknown;
}

export interface CacheSpec {
  /** one cache per name and store */
  name: string;
  /** the tables whose writes make an entry stale */
  tables: readonly string[];
  /** entries kept, least recently used dropped first */
  max: number;
}

const feeds = new WeakMap<object, ChangeFeed>();
const caches = new WeakMap<ChangeFeed, Map<string, Map<string, Entry>>>();
const checked = new WeakSet<CacheSpec>();

/** Called by the store for its root handle only: a transaction is another object, so it always reads the store. */
export function attachFeed(db: object, feed: ChangeFeed): void {
  feeds.set(db, feed);
  caches.set(feed, new Map());
}

/** Values are shared between requests: freezing makes an accidental in-place edit throw instead of leak. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function open(db: object, spec: CacheSpec): { stamp: number; entries: Map<string, Entry> } | undefined {
  if (!checked.has(spec)) {
    for (const t of spec.tables)
      if (!(CHANGE_NOTIFIED_TABLES as readonly string[]).includes(t)) throw new Error(`cache ${spec.name}: table ${t} has no change trigger`);
    checked.add(spec);
  }
  const feed = feeds.get(db);
  const stamp = feed?.stamp(spec.tables);
  if (!feed || stamp === undefined) return undefined;
  const byName = caches.get(feed)!;
  let entries = byName.get(spec.name);
  if (!entries) byName.set(spec.name, (entries = new Map()));
  return { stamp, entries };
}

function hit(entries: Map<string, Entry>, key: string, stamp: number): Entry | undefined {
  const entry = entries.get(key);
  if (!entry || entry.stamp !== stamp) return undefined;
  entries.delete(key);
  entries.set(key, entry);
  return entry;
}

function keep(entries: Map<string, Entry>, spec: CacheSpec, key: string, stamp: number, value: unknown): void {
  entries.delete(key);
  if (entries.size >= spec.max) entries.delete(entries.keys().next().value!);
  entries.set(key, { stamp, value: deepFreeze(value) });
}

/**
 * Returns the cached value for key, or loads, freezes and keeps it. Outside the store's root handle
 * (in a transaction) and while the feed is unreliable it simply loads.
 */
export async function cached<V>(db: object, spec: CacheSpec, key: string, load: () => Promise<V>): Promise<V> {
  const cache = open(db, spec);
  if (!cache) return load();
  const found = hit(cache.entries, key, cache.stamp);
  if (found) return found.value as V;
  // The stamp was taken before the read: a write landing meanwhile leaves this entry already stale.
  const value = await load();
  keep(cache.entries, spec, key, cache.stamp, value);
  return value;
}

/** As `cached` for many keys at once: the misses are loaded together (one query for a page). */
export async function cachedMany<V>(
  db: object,
  spec: CacheSpec,
  keys: string[],
  load: (missing: string[]) => Promise<Map<string, V>>,
): Promise<Map<string, V | undefined>> {
  const cache = open(db, spec);
  if (!cache) return load(keys);
  const out = new Map<string, V | undefined>();
  const missing: string[] = [];
  for (const key of keys) {
    const found = hit(cache.entries, key, cache.stamp);
    if (found) out.set(key, found.value as V | undefined);
    else missing.push(key);
  }
  if (missing.length) {
    const loaded = await load(missing);
    for (const key of missing) {
      const value = loaded.get(key);
      keep(cache.entries, spec, key, cache.stamp, value);
      out.set(key, value);
    }
  }
  return out;
}
