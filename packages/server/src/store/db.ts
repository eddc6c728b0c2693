// The state store: a Kysely handle on SQLite (embedded default) or PostgreSQL, migrated at open.
import fs from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import { Migrator } from 'kysely/migration';
import pg from 'pg';
import { NodeSqliteDialect } from './sqlite-dialect.ts';
import { ChangeFeed, ChangeTrackingPlugin, listenForChanges } from './change-feed.ts';
import { attachFeed } from './cache.ts';
import { migrations } from './migrations/index.ts';
import { lockName } from './locking.ts';
import type { Database } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';
export type Db = Kysely<Database> | Transaction<Database>;

// int8 (COUNT(*), bigint timestamps) as numbers: every value we store fits in 2^53.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

export interface StoreOptions {
  dataDir: string;
  databaseUrl?: string;
}

export class Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  readonly location: string;
  /** which tables changed, here or in another process: what the read-through caches go by */
  readonly changes: ChangeFeed;
  #listener?: { close(): Promise<void> };

  private constructor(db: Kysely<Database>, dialect: Dialect, location: string, changes: ChangeFeed) {
    this.db = db;
    this.dialect = dialect;
    this.location = location;
    this.changes = changes;
    attachFeed(db, changes);
  }

  /** Opens the store and applies pending migrations (forward-only, same on both dialects). */
  static async open(options: StoreOptions): Promise<Store> {
    let store: Store;
    const changes = new ChangeFeed();
    const plugins = [new ChangeTrackingPlugin(changes)];
    if (options.databaseUrl) {
      const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 10 });
      // An idle client dropped by the server (restart, failover) must not crash the process;
      // the pool replaces it on the next checkout.
      pool.on('error', (err) => process.emitWarning(`PostgreSQL idle client error: ${err.message}`));
      store = new Store(new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins }), 'postgres', redact(options.databaseUrl), changes);
    } else {
      fs.mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
      const file = path.join(options.dataDir, 'gatehouse.sqlite');
      const dialect = new NodeSqliteDialect(file);
      store = new Store(new Kysely<Database>({ dialect, plugins }), 'sqlite', file, changes);
      // Other processes on the same file: SQLite counts their commits for us.
      changes.watchExternal(() => dialect.changedElsewhere());
    }
    try {
      await store.migrate();
      if (options.databaseUrl) {
        const listener = listenForChanges(options.databaseUrl, changes, (message) => process.emitWarning(message));
        store.#listener = listener;
        await listener.ready;
      }
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  private async migrate(): Promise<void> {
    const dialect = this.dialect;
    const run = async (db: Kysely<any>) => {
      const migrator = new Migrator({
        db,
        provider: { getMigrations: async () => migrations(dialect) },
      });
      const { error, results } = await migrator.migrateToLatest();
      const failed = results?.find((r) => r.status === 'Error');
      if (error || failed) throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
    };
    if (this.dialect === 'postgres') {
      // Several processes may start together on one database: an advisory lock serializes migrations.
      await this.db.connection().execute(async (conn) => {
        await sql`select pg_advisory_lock(7313001)`.execute(conn);
        try {
          await run(conn);
        } finally {
          await sql`select pg_advisory_unlock(7313001)`.execute(conn);
        }
      });
    } else {
      await run(this.db);
    }
  }

  /** Runs fn in one transaction: a request's writes land together or not at all. */
  tx<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.changes.inTransaction(() => this.db.transaction().execute(fn));
  }

  /**
   * Serializes transactions that check-then-create across processes (first-start set-up): PostgreSQL
   * takes a transaction-scoped advisory lock; SQLite's `begin immediate` already holds the write lock.
   */
  lockInTransaction(trx: Transaction<Database>, name: string): Promise<void> {
    return lockName(trx, name);
  }

  async close(): Promise<void> {
    await this.#listener?.close();
    await this.db.destroy();
  }
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgresql';
  }
}

/** JSON columns are text on both dialects. */
export function toJson(value: unknown): string {
  return JSON.stringify(value);
}
export function fromJson<T>(text: string | null | undefined, fallback: T): T {
  if (text === null || text === undefined || text === '') return fallback;
  return JSON.parse(text) as T;
}
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
