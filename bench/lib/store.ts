// Bench stores: a fresh SQLite data dir or PostgreSQL database, opened in the bench process for seeding, plus bulk SQL inserts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CompiledQuery } from 'kysely';
import pg from 'pg';
import { ensureInitialized, openStore, resolveConfig, type ServerConfig, type Store } from '@gatehouse/server';
import type { Db } from '../../packages/server/src/store/db.ts';
import { ensureLocalTls } from '../../packages/server/src/tls.ts';
import { GATEHOUSE_ENTRY, REFERENCE_ENTRY, spawnServer, type ChildServer } from './child.ts';

/** The node flags Gatehouse is served with (`npm start`, the `gatehouse` binary): a smaller young generation than Node's default. */
export const SERVE_NODE_FLAGS = '--max-semi-space-size=8';

export type StoreKind = 'sqlite' | 'postgres';

/** PostgreSQL runs only when asked for: GATEHOUSE_BENCH_DATABASE_URL, else DATABASE_URL (an admin connection; a fresh database is made per bench). */
export function benchDatabaseUrl(): string | undefined {
  return process.env.GATEHOUSE_BENCH_DATABASE_URL || process.env.DATABASE_URL || undefined;
}

export function storeKinds(): StoreKind[] {
  return benchDatabaseUrl() ? ['sqlite', 'postgres'] : ['sqlite'];
}

export interface BenchEnv {
  kind: StoreKind;
  dataDir: string;
  databaseUrl?: string;
  config: ServerConfig;
  endpointId: string;
  adminId: string;
  tls: { ca: string; certPath: string; keyPath: string };
  /** Opens the store in this process; close it before the server starts (SQLite: one writer). */
  open(): Promise<Store>;
  /** `entry` replaces the usual child entry (e.g. one that first drops privileges) */
  startGatehouse(env?: Record<string, string>, entry?: string): Promise<ChildServer>;
  startReference(): Promise<ChildServer>;
  cleanup(): Promise<void>;
}

async function createDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `gatehouse_bench_${randomBytes(5).toString('hex')}`;
  const run = async (text: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };
  await run(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`drop database if exists ${name} with (force)`) };
}

/** A data dir with TLS material and an initialized endpoint; the server and the reference share its certificate. */
export async function prepare(kind: StoreKind): Promise<BenchEnv> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-'));
  const database = kind === 'postgres' ? await createDatabase(benchDatabaseUrl()!) : undefined;
  const config = resolveConfig({ host: '127.0.0.1', port: 0, dataDir, databaseUrl: database?.url, logLevel: 'silent' }, {});
  // Made here rather than by the server so the reference server can use the same certificate.
  const material = await ensureLocalTls(dataDir, config.domain);
  const tlsDir = path.join(dataDir, 'tls');
  const store = await openStore(config);
  let endpoint: { id: string; owner_id: string };
  try {
    await ensureInitialized(store, config);
    endpoint = await store.db.selectFrom('endpoints').select(['id', 'owner_id']).executeTakeFirstOrThrow();
  } finally {
    await store.close();
  }
  const children: ChildServer[] = [];
  return {
    kind,
    dataDir,
    databaseUrl: database?.url,
    config,
    endpointId: endpoint.id,
    adminId: endpoint.owner_id,
    tls: { ca: fs.readFileSync(material.caPath!, 'utf8'), certPath: path.join(tlsDir, 'server.pem'), keyPath: path.join(tlsDir, 'server-key.pem') },
    open: () => openStore(config),
    async startGatehouse(env = {}, entry = GATEHOUSE_ENTRY) {
      // Node's flags as `npm start` and the `gatehouse` binary give them (package.json, packages/cli/bin).
      const nodeOptions = `${process.env.NODE_OPTIONS ?? ''} ${SERVE_NODE_FLAGS}`.trim();
      const child = await spawnServer(entry, [], { BENCH_DATA_DIR: dataDir, BENCH_DATABASE_URL: database?.url ?? '', NODE_OPTIONS: nodeOptions, ...env });
      children.push(child);
      return child;
    },
    async startReference() {
      const child = await spawnServer(REFERENCE_ENTRY, [path.join(tlsDir, 'server.pem'), path.join(tlsDir, 'server-key.pem')]);
      children.push(child);
      return child;
    },
    async cleanup() {
      await Promise.all(children.map((c) => c.stop()));
      await database?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The table's columns as the migrations made them: seeds adapt to schema changes instead of failing on them. */
export async function tableColumns(db: Db, table: string): Promise<Set<string>> {
  const tables = await db.introspection.getTables();
  const found = tables.find((t) => t.name === table);
  if (!found) throw new Error(`no table ${table}`);
  return new Set(found.columns.map((c) => c.name));
}

/**
 * Multi-row INSERTs of raw SQL, bypassing the query builder (whose per-value cost dominates at 1M rows).
 * Batches stay under both dialects' bound-parameter limits (SQLite 32766, PostgreSQL 65535).
 */
export async function insertRows(db: Db, dialect: StoreKind, table: string, columns: string[], rows: unknown[][]): Promise<void> {
  const perRow = columns.length;
  const batch = Math.max(1, Math.floor(30_000 / perRow));
  const head = `insert into ${table} (${columns.join(', ')}) values `;
  for (let start = 0; start < rows.length; start += batch) {
    const slice = rows.slice(start, start + batch);
    const params: unknown[] = [];
    const tuples: string[] = [];
    for (const row of slice) {
      const marks: string[] = [];
      for (const value of row) {
        params.push(value);
        marks.push(dialect === 'postgres' ? `$${params.length}` : '?');
      }
      tuples.push(`(${marks.join(', ')})`);
    }
    await db.executeQuery(CompiledQuery.raw(head + tuples.join(', '), params));
  }
}

/**
 * Seeding only (this connection closes before the server opens the store): a page cache big enough that
 * index inserts in random key order stay in memory instead of re-reading pages from the WAL.
 */
export async function bulkLoadSettings(db: Db, dialect: StoreKind): Promise<void> {
  if (dialect === 'sqlite') await db.executeQuery(CompiledQuery.raw('pragma cache_size = -524288', []));
}

/**
 * PostgreSQL: what autovacuum would do soon after a bulk load, so plans match a live server's.
 * SQLite: nothing, because the server never runs ANALYZE and its plans come from the schema alone.
 */
export async function analyze(db: Db, dialect: StoreKind): Promise<void> {
  if (dialect === 'postgres') await db.executeQuery(CompiledQuery.raw('analyze', []));
}

/** Runs one benchmark on every configured store (SQLite, then PostgreSQL when a URL is set). */
export async function forEachStore<R>(bench: (kind: StoreKind) => Promise<R[]>): Promise<R[]> {
  const rows: R[] = [];
  for (const kind of storeKinds()) rows.push(...(await bench(kind)));
  return rows;
}
