// Per-table change versions: they tell this process's caches to reload, whichever process wrote the rows.
import { AsyncLocalStorage } from 'node:async_hooks';
import type {
  KyselyPlugin,
  OperationNode,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryId,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';
import pg from 'pg';

/** The PostgreSQL channel the change triggers of migration 0008 notify, with the table name as payload. */
export const CHANGE_CHANNEL = 'gatehouse_changes';

/**
 * Versions only grow. A cache entry remembers the stamp taken before its rows were read and is used
 * while the stamp is unchanged, so a write that lands during the read is never hidden.
 */
export class ChangeFeed {
  readonly #versions = new Map<string, number>();
  /** bumped when anything may have changed without a table being named */
  #epoch = 0;
  /** false while changes made elsewhere could go unseen: every read then goes to the store */
  #reliable = true;
  #externalCheck?: () => boolean;
  readonly #pending = new AsyncLocalStorage<Set<string>>();

  #lastExternalCheck = 0;

  /**
   * SQLite: a synchronous probe that says whether another connection committed since the last call.
   * Asked at most once a millisecond: another process's write is seen within 1 ms, as on PostgreSQL,
   * where the notification travels about as long.
   */
  watchExternal(check: () => boolean): void {
    this.#externalCheck = check;
  }

  setReliable(reliable: boolean): void {
    this.#reliable = reliable;
    this.#epoch++;
  }

  changed(table: string): void {
    this.#versions.set(table, (this.#versions.get(table) ?? 0) + 1);
  }

  #notifiedWaiters = new Map<string, (() => void)[]>();

  /** A change another connection announced (PostgreSQL's notification, which also echoes this process's own commits). */
  notified(table: string): void {
    this.changed(table);
    const waiters = this.#notifiedWaiters.get(table);
    this.#notifiedWaiters.delete(table);
    for (const resolve of waiters ?? []) resolve();
  }

  /**
   * Resolves at the next notification for `table`: how a process (or a test) knows that a commit made
   * elsewhere, or the echo of its own, has reached this feed.
   */
  nextNotification(table: string): Promise<void> {
    return new Promise((resolve) => {
      const waiters = this.#notifiedWaiters.get(table) ?? [];
      waiters.push(resolve);
      this.#notifiedWaiters.set(table, waiters);
    });
  }

  changedAll(): void {
    this.#epoch++;
  }

  /** The current state of these tables, or undefined when caching is off (PostgreSQL listener down). */
  stamp(tables: readonly string[]): number | undefined {
    if (!this.#reliable) return undefined;
    if (this.#externalCheck) {
      const now = performance.now();
      if (now - this.#lastExternalCheck >= 1) {
        this.#lastExternalCheck = now;
        if (this.#externalCheck()) this.#epoch++;
      }
    }
    let sum = this.#epoch;
    for (const t of tables) sum += this.#versions.get(t) ?? 0;
    return sum;
  }

  /**
   * Runs a transaction body with its written tables collected, and marks them changed again after
   * commit: a read in another request between the write and the commit may have cached old rows.
   */
  async inTransaction<T>(run: () => Promise<T>): Promise<T> {
    const written = new Set<string>();
    try {
      return await this.#pending.run(written, run);
    } finally {
      for (const t of written) this.changed(t);
      if (written.has('*')) this.changedAll();
    }
  }

  noteWrite(tables: string[] | 'all'): void {
    if (tables === 'all') {
      this.changedAll();
      this.#pending.getStore()?.add('*');
      return;
    }
    const pending = this.#pending.getStore();
    for (const t of tables) {
      this.changed(t);
      pending?.add(t);
    }
  }
}

function tableName(node: OperationNode | undefined): string | undefined {
  if (!node) return undefined;
  const n = node as { kind: string; table?: { identifier?: { name?: string } } | OperationNode; node?: OperationNode };
  if (n.kind === 'TableNode') return (n.table as { identifier?: { name?: string } }).identifier?.name;
  if (n.kind === 'AliasNode') return tableName(n.node);
  return undefined;
}

/** The tables a statement writes; 'all' when it cannot tell (raw SQL other than a select, DDL). */
export function writtenTables(node: RootOperationNode): string[] | 'all' | undefined {
  switch (node.kind) {
    case 'SelectQueryNode':
      return undefined;
    case 'InsertQueryNode':
      return [tableName(node.into)].filter((t): t is string => !!t);
    case 'UpdateQueryNode':
      return [tableName(node.table)].filter((t): t is string => !!t);
    case 'DeleteQueryNode':
      return node.from.froms.map(tableName).filter((t): t is string => !!t);
    case 'RawNode':
      return /^\s*(select|with|pragma|begin|commit|rollback|savepoint|release)\b/i.test(node.sqlFragments.join('?')) ? undefined : 'all';
    default:
      return 'all';
  }
}

/** Marks the tables of every executed write as changed in this process, after the statement ran. */
export class ChangeTrackingPlugin implements KyselyPlugin {
  readonly #feed: ChangeFeed;
  readonly #writes = new WeakMap<QueryId, string[] | 'all'>();
  constructor(feed: ChangeFeed) {
    this.#feed = feed;
  }
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const tables = writtenTables(args.node);
    if (tables) this.#writes.set(args.queryId, tables);
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const tables = this.#writes.get(args.queryId);
    if (tables) this.#feed.noteWrite(tables);
    return args.result;
  }
}

/**
 * Listens for the change notifications of other processes (and this one's) on PostgreSQL. While the
 * listening connection is down the feed is unreliable, so caches step aside; on reconnect every cache
 * is dropped, as notifications may have been missed.
 */
export function listenForChanges(
  connectionString: string,
  feed: ChangeFeed,
  onError: (message: string) => void,
): { ready: Promise<void>; close(): Promise<void> } {
  let client: pg.Client | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let delay = 250;
  let firstAttempt!: () => void;
  const ready = new Promise<void>((resolve) => (firstAttempt = resolve));

  const connect = async () => {
    const c = new pg.Client({ connectionString });
    client = c;
    const lost = (why: string) => {
      if (client !== c) return;
      client = undefined;
      feed.setReliable(false);
      c.end().catch(() => undefined);
      if (closed) return;
      onError(`change listener lost (${why}); caches off until it reconnects`);
      timer = setTimeout(() => void connect(), delay);
      delay = Math.min(delay * 2, 10_000);
    };
    c.on('error', (err) => lost(err.message));
    c.on('end', () => lost('connection ended'));
    c.on('notification', (msg) => {
      if (msg.channel === CHANGE_CHANNEL && msg.payload) feed.notified(msg.payload);
    });
    try {
      await c.connect();
      await c.query(`listen ${CHANGE_CHANNEL}`);
      if (closed) {
        await c.end();
        return;
      }
      delay = 250;
      feed.setReliable(true);
    } catch (error) {
      lost((error as Error).message);
    } finally {
      firstAttempt();
    }
  };
  feed.setReliable(false);
  void connect();
  return {
    ready,
    async close() {
      closed = true;
      clearTimeout(timer);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
