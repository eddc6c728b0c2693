// Kysely dialect for Node's built-in node:sqlite, with one connection guarded by a mutex.
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  SelectQueryNode,
} from 'kysely';

function bind(parameters: readonly unknown[]): SQLInputValue[] {
  // node:sqlite binds no booleans or undefined; the schema stores flags as 0/1.
  return parameters.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p === undefined ? null : (p as SQLInputValue)));
}

const STATEMENT_CACHE_SIZE = 500;

class NodeSqliteConnection implements DatabaseConnection {
  readonly #db: DatabaseSync;
  // Kysely compiles the same SQL text for every request of a route; preparing it again costs more
  // than running it. Bounded LRU: ad-hoc statements (e.g. long IN lists) must not grow it forever.
  readonly #statements = new Map<string, { stmt: StatementSync; reader: boolean }>();
  constructor(db: DatabaseSync) {
    this.#db = db;
  }
  #prepare(sql: string): { stmt: StatementSync; reader: boolean } {
    let entry = this.#statements.get(sql);
    if (entry) {
      this.#statements.delete(sql);
    } else {
      const stmt = this.#db.prepare(sql);
      entry = { stmt, reader: stmt.columns().length > 0 };
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) this.#statements.delete(this.#statements.keys().next().value!);
    }
    this.#statements.set(sql, entry);
    return entry;
  }
  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const { stmt, reader } = this.#prepare(query.sql);
    const params = bind(query.parameters);
    if (reader) return { rows: stmt.all(...params) as R[] };
    const { changes, lastInsertRowid } = stmt.run(...params);
    return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
  }
  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(query.query)) throw new Error('node:sqlite streams only select queries');
    for (const row of this.#prepare(query.sql).stmt.iterate(...bind(query.parameters))) yield { rows: [row as R] };
  }
}

/** Serializes use of the single connection: a transaction holds it until commit or rollback. */
class Mutex {
  #tail: Promise<void> = Promise.resolve();
  lock(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const acquired = this.#tail.then(() => release);
    this.#tail = this.#tail.then(() => next);
    return acquired;
  }
}

class NodeSqliteDriver implements Driver {
  readonly #file: string;
  #db?: DatabaseSync;
  #connection?: NodeSqliteConnection;
  readonly #mutex = new Mutex();
  #release?: () => void;
  constructor(file: string) {
    this.#file = file;
  }
  async init(): Promise<void> {
    this.#db = new DatabaseSync(this.#file);
    this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;');
    this.#connection = new NodeSqliteConnection(this.#db);
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    // A query on the root handle inside a transaction would wait forever for the connection that
    // transaction holds: fail loudly instead of hanging.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('SQLite connection not released within 30 s: store.db used inside store.tx?')), 30_000);
      timer.unref();
    });
    const lock = this.#mutex.lock();
    try {
      this.#release = await Promise.race([lock, timeout]);
    } catch (error) {
      void lock.then((release) => release());
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return this.#connection!;
  }
  async beginTransaction(c: DatabaseConnection): Promise<void> {
    // IMMEDIATE takes the write lock up front, so two processes on one file cannot deadlock on upgrade.
    await c.executeQuery(CompiledQuery.raw('begin immediate'));
  }
  async commitTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('commit'));
  }
  async rollbackTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('rollback'));
  }
  async releaseConnection(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }
  async destroy(): Promise<void> {
    this.#db?.close();
  }
  #dataVersion?: StatementSync;
  #lastDataVersion?: unknown;
  /** Whether another connection (another process) committed since the last call: `PRAGMA data_version`. */
  changedElsewhere(): boolean {
    if (!this.#db?.isOpen) return false;
    this.#dataVersion ??= this.#db.prepare('PRAGMA data_version');
    const version = (this.#dataVersion.get() as { data_version: unknown }).data_version;
    const changed = this.#lastDataVersion !== undefined && version !== this.#lastDataVersion;
    this.#lastDataVersion = version;
    return changed;
  }
}

export class NodeSqliteDialect implements Dialect {
  readonly #file: string;
  #driver?: NodeSqliteDriver;
  constructor(file: string) {
    this.#file = file;
  }
  createDriver(): Driver {
    return (this.#driver = new NodeSqliteDriver(this.#file));
  }
  changedElsewhere(): boolean {
    return this.#driver?.changedElsewhere() ?? false;
  }
  createQueryCompiler() {
    return new SqliteQueryCompiler();
  }
  createAdapter() {
    return new SqliteAdapter();
  }
  createIntrospector(db: Kysely<any>) {
    return new SqliteIntrospector(db);
  }
}
