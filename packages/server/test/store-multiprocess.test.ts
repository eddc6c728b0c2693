// Two server processes on one store: a token issued by one is accepted by the other, and revocation is seen at once.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  CLI,
  createTestDatabase,
  trustingFetch,
  storeName,
  basic,
  serveProcess as serve,
  stopProcess as stop,
  type ServerProcess as Proc,
} from './helpers/server.ts';
import { eventually } from './helpers/wait.ts';
import { Store } from '../src/store/db.ts';

describe(`two server processes on one store (${storeName})`, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dirs: string[] = [];
  let a: Proc;
  let b: Proc;
  before(async () => {
    database = await createTestDatabase();
    if (database) {
      dirs = [fs.mkdtempSync(path.join(os.tmpdir(), 'gh-a-')), fs.mkdtempSync(path.join(os.tmpdir(), 'gh-b-'))];
      // Both start at once on an empty database: migrations and first-start set-up must not collide.
      [a, b] = await Promise.all([serve(dirs[0], database.url), serve(dirs[1], database.url)]);
    } else {
      // SQLite: two processes on one data dir (WAL; writers serialize on the file lock).
      dirs = [fs.mkdtempSync(path.join(os.tmpdir(), 'gh-ab-'))];
      a = await serve(dirs[0]);
      b = await serve(dirs[0]);
    }
  });
  after(async () => {
    for (const p of [a, b]) if (p) await stop(p);
    await database?.drop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('shares one endpoint, tokens and revocations', async () => {
    assert.equal(a.info.endpoint_id, b.info.endpoint_id);
    const admins = [a.info.admin_password, b.info.admin_password].filter(Boolean);
    const env = { ...process.env, GATEHOUSE_DATA_DIR: dirs[0], ...(database ? { GATEHOUSE_DATABASE_URL: database.url } : {}) };
    assert.equal(admins.length, 1, 'exactly one process created the admin user');
    // Create a client through the local command against the same database.
    const created = spawn(process.execPath, [CLI, 'auth', 'client', 'create', '--name', 'shared', '--json'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    created.stdout!.on('data', (d) => (out += d));
    await once(created, 'exit');
    const client = JSON.parse(out);
    const fa = trustingFetch(fs.readFileSync(a.info.ca_certificate, 'utf8'));
    const fb = trustingFetch(fs.readFileSync(b.info.ca_certificate, 'utf8'));
    const form = (body: Record<string, string>) => ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client.client_id, client.client_secret) },
      body: new URLSearchParams(body).toString(),
    });

    const issued = (await (
      await fa.fetch(
        `${a.url}/v2/oauth2/token`,
        form({ grant_type: 'client_credentials', scope: 'openid urn:globus:auth:scope:auth.globus.org:view_identity_set' }),
      )
    ).json()) as any;
    assert.ok(issued.access_token);
    const userinfo = await fb.fetch(`${b.url}/v2/oauth2/userinfo`, { headers: { authorization: `Bearer ${issued.access_token}` } });
    assert.equal(userinfo.status, 200, 'B accepts a token issued by A');
    assert.equal(((await userinfo.json()) as any).sub, client.client_id);

    // id_tokens from either process verify against either JWKS: one signing key for all.
    const jwksA = await (await fa.fetch(`${a.url}/jwk.json`)).json();
    const jwksB = await (await fb.fetch(`${b.url}/jwk.json`)).json();
    assert.deepEqual(jwksA, jwksB);

    const revoked = await fb.fetch(`${b.url}/v2/oauth2/token/revoke`, form({ token: issued.access_token }));
    assert.equal(revoked.status, 200);
    const refused = await fa.fetch(`${a.url}/v2/oauth2/userinfo`, { headers: { authorization: `Bearer ${issued.access_token}` } });
    assert.equal(refused.status, 401, 'A sees the revocation made on B');
    await fa.dispatcher.close();
    await fb.dispatcher.close();
  });

  it('sees a write made by another process in its cached reads', async () => {
    const displayName = async (p: Proc) => {
      const f = trustingFetch(fs.readFileSync(p.info.ca_certificate, 'utf8'));
      try {
        const res = await f.fetch(`${p.url}/api/endpoint`);
        assert.equal(res.status, 200);
        return ((await res.json()) as any).data[0].display_name as string;
      } finally {
        await f.dispatcher.close();
      }
    };
    // Both processes have the endpoint cached; a third writer (this test) renames it behind their backs.
    const before = await displayName(a);
    assert.equal(await displayName(b), before);
    const store = await Store.open({ dataDir: dirs[0], databaseUrl: database?.url });
    try {
      const row = await store.db.selectFrom('endpoints').selectAll().executeTakeFirstOrThrow();
      await store.db
        .updateTable('endpoints')
        .set({ document: JSON.stringify({ ...JSON.parse(row.document), display_name: 'renamed elsewhere' }) })
        .where('id', '=', row.id)
        .execute();
    } finally {
      await store.close();
    }
    // PostgreSQL delivers the change notification asynchronously (milliseconds); wait for it, boundedly.
    for (const p of [a, b])
      await eventually(async () => (await displayName(p)) === 'renamed elsewhere', 'the rename is seen by every process', { timeoutMs: 5000 });
  });

  it('shuts down gracefully on SIGTERM with exit code 0', async () => {
    assert.equal(await stop(a), 0);
    assert.equal(await stop(b), 0);
  });
});
