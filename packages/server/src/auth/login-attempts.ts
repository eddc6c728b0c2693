// Sign-in attempt counters in the store, one row per account and per client address, locked while a sign-in counts them.
import type { Store, Db } from '../store/db.ts';
import type { AttemptCounter } from '../authz/throttle.ts';

export const accountKey = (username: string) => `account:${username.toLowerCase()}`;
export const addressKey = (address: string) => `address:${address}`;

/**
 * The counters of `keys`, each row locked until the transaction ends (`FOR UPDATE` on PostgreSQL; SQLite's
 * immediate transaction already holds the write lock), so concurrent sign-ins in any process count one by one.
 */
export async function lockCounters(store: Store, db: Db, keys: string[]): Promise<Map<string, AttemptCounter>> {
  // Rows exist before they are locked: a lock on no row would let two first attempts both count from zero.
  await db
    .insertInto('login_attempts')
    .values(keys.map((key) => ({ key, failures: 0, last_failure_at: 0, blocked_until: 0 })))
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  let query = db.selectFrom('login_attempts').selectAll().where('key', 'in', keys).orderBy('key');
  if (store.dialect === 'postgres') query = query.forUpdate();
  const rows = await query.execute();
  return new Map(
    rows.map((r) => [r.key, { failures: Number(r.failures), last_failure_at: Number(r.last_failure_at), blocked_until: Number(r.blocked_until) }]),
  );
}

export async function saveCounter(db: Db, key: string, counter: AttemptCounter): Promise<void> {
  await db.updateTable('login_attempts').set(counter).where('key', '=', key).execute();
}
