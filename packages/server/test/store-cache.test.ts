// The change feed and read-through caches: which statements count as writes, when a cached value is reused, and that it never hides a commit.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Store } from '../src/store/db.ts';
import { cached, type CacheSpec } from '../src/store/cache.ts';
import { writtenTables } from '../src/store/change-feed.ts';
import { createTestDatabase, storeName } from './helpers/server.ts';
import { eventually } from './helpers/wait.ts';
import { sql } from 'kysely';

const ENDPOINT_NAME: CacheSpec = { name: 'test-endpoint-name', tables: ['endpoints'], max: 4 };

describe(`read-through caches (${storeName})`, () => {
  let store: Store;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dir: string;
  let loads = 0;
  const name = () =>
    cached(store.db, ENDPOINT_NAME, 'ep', async () => {
      loads++;
      const row = await store.db.selectFrom('endpoints').select('document').where('id', '=', 'ep').executeTakeFirst();
      return { name: row ? (JSON.parse(row.document) as { display_name: string }).display_name : null };
    });
  /**
   * PostgreSQL echoes this process's own commits as notifications a moment later, and each echo makes the
   * caches reload: `write` waits for the echo of what it wrote before a test asserts reuse.
   */
  const write = async (table: string, run: () => Promise<unknown>) => {
    const echo = storeName === 'postgres' ? store.changes.nextNotification(table) : undefined;
    await run();
    await echo;
  };
  const rename = (db: Store['db'] | Parameters<Parameters<Store['tx']>[0]>[0], to: string) =>
    db
      .updateTable('endpoints')
      .set({ document: JSON.stringify({ display_name: to }) })
      .where('id', '=', 'ep')
      .execute();

  before(async () => {
    database = await createTestDatabase();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-cache-'));
    store = await Store.open({ dataDir: dir, databaseUrl: database?.url });
    await write('endpoints', () =>
      store.db
        .insertInto('endpoints')
        .values({ id: 'ep', owner_id: 'owner', document: JSON.stringify({ display_name: 'one' }), created_at: 0 })
        .execute(),
    );
  });
  after(async () => {
    await store.close();
    await database?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('names the tables a statement writes', () => {
    const db = store.db;
    assert.equal(writtenTables(db.selectFrom('endpoints').selectAll().toOperationNode()), undefined);
    assert.deepEqual(
      writtenTables(
        db
          .insertInto('collections')
          .values({} as never)
          .toOperationNode(),
      ),
      ['collections'],
    );
    assert.deepEqual(writtenTables(db.updateTable('gcs_roles as r').set({ role: 'x' }).toOperationNode()), ['gcs_roles']);
    assert.deepEqual(writtenTables(db.deleteFrom('identity_links').toOperationNode()), ['identity_links']);
    assert.equal(writtenTables(sql`select 1`.toOperationNode()), undefined);
    assert.equal(writtenTables(sql`delete from endpoints`.toOperationNode()), 'all');
  });

  it('reuses a value until its table is written, and freezes what it shares', async () => {
    loads = 0;
    const first = await name();
    assert.equal(first.name, 'one');
    assert.equal(await name(), first, 'second read is the cached object');
    assert.equal(loads, 1);
    assert.throws(() => ((first as { name: string }).name = 'mutated'), TypeError);
    // A write to an unrelated table leaves it cached.
    await write('identities', () =>
      store.db
        .insertInto('identities')
        .values({
          id: 'i1',
          username: 'u@x',
          username_key: 'u@x',
          name: null,
          email: null,
          identity_provider: 'p',
          identity_type: 'login',
          status: 'used',
          organization: null,
          password_hash: null,
          created_at: 0,
        } as never)
        .execute(),
    );
    assert.equal(await name(), first);
    await rename(store.db, 'two');
    assert.equal((await name()).name, 'two');
    assert.ok(loads >= 2);
  });

  it('reads the store directly inside a transaction, and a commit makes cached reads fresh', async () => {
    await name();
    const before = loads;
    await store.tx(async (trx) => {
      await rename(trx, 'three');
      const inside = await cached(trx, ENDPOINT_NAME, 'ep', async () => ({ name: 'loaded in tx' }));
      assert.equal(inside.name, 'loaded in tx', 'a transaction handle never uses the cache');
    });
    assert.equal((await name()).name, 'three');
    assert.ok(loads > before);
  });

  it('a read racing an uncommitted write is not kept past the commit', async () => {
    let commit!: () => void;
    let written!: () => void;
    const gate = new Promise<void>((r) => (commit = r));
    const wrote = new Promise<void>((r) => (written = r));
    const tx = store.tx(async (trx) => {
      await rename(trx, 'four');
      written();
      await gate;
    });
    await wrote;
    // On PostgreSQL this read runs beside the open transaction and sees the old name; on SQLite it waits
    // for the one connection. Either way, once the transaction commits the next read shows the new name.
    const started = loads;
    const racing = name();
    await eventually(() => loads > started, 'the racing read has begun');
    commit();
    await tx;
    await racing;
    assert.equal((await name()).name, 'four');
  });

  it('a rolled-back write changes nothing it could not reload', async () => {
    await assert.rejects(
      store.tx(async (trx) => {
        await rename(trx, 'never');
        throw new Error('roll back');
      }),
    );
    assert.equal((await name()).name, 'four');
  });
});
