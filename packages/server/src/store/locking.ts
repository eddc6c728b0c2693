// Row locks for read-modify-write: what a transaction reads in order to write it back, no other transaction may change meanwhile.
import { PostgresAdapter, sql } from 'kysely';
import type { Db } from './db.ts';
import type { Database } from './schema.ts';

/**
 * The query with `FOR UPDATE` on PostgreSQL, where READ COMMITTED would otherwise let two transactions
 * read the same row and the second write silently undo the first. SQLite needs no row lock: every
 * transaction begins IMMEDIATE (sqlite-dialect.ts), so it holds the one write lock from its first read
 * to its commit, and no other writer, in this process or another, can interleave.
 */
export function forUpdate<Q extends { forUpdate(): Q }>(db: Db, query: Q): Q {
  if (!db.isTransaction) throw new Error('forUpdate outside a transaction locks nothing');
  return db.getExecutor().adapter instanceof PostgresAdapter ? query.forUpdate() : query;
}

type KeyedTable = { [T in keyof Database]: Database[T] extends { id: string } ? T : never }[keyof Database];

/**
 * Locks one row by id, for the transaction's lifetime: the parent whose children a limit counts
 * (a mapped collection's guests, an identity's guests, a guest's access rules), or a row the
 * transaction reads through a loader that cannot take the lock itself. Locks are taken parent first.
 */
export async function lockRow(db: Db, table: KeyedTable, id: string): Promise<void> {
  await forUpdate(
    db,
    (db as Db)
      .selectFrom(table as 'collections')
      .select('id')
      .where('id', '=', id),
  ).execute();
}

/**
 * Serializes, until commit, the transactions that check for rows by a key and insert them when absent
 * (rows with no parent row to lock): PostgreSQL takes a transaction-scoped advisory lock on the name;
 * SQLite's immediate transaction already holds the one write lock.
 */
export async function lockName(db: Db, name: string): Promise<void> {
  if (!db.isTransaction) throw new Error('lockName outside a transaction locks nothing');
  if (db.getExecutor().adapter instanceof PostgresAdapter) await sql`select pg_advisory_xact_lock(hashtext(${name}))`.execute(db);
}
