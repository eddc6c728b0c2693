// Sign-in throttling: per account and per client address, counted in the store before the password is checked, with doubling waits.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from '@gatehouse/server';
import { passwordPool } from '../src/auth/password-pool.ts';
import { startTestServer, makeUser, signIn, storeName, type TestServer } from './helpers/server.ts';

const REDIRECT = 'https://app.example.org/callback';

async function portal(server: TestServer) {
  const id = (await server.store.tx((db) => createClient(db, { name: 'Portal', redirectUris: [REDIRECT] }))).id;
  return { client_id: id, redirect_uri: REDIRECT, scope: 'openid', response_type: 'code' };
}

describe(`sign-in limits per account (${storeName})`, () => {
  let server: TestServer;
  let params: Record<string, string>;
  let now = Date.parse('2026-01-01T00:00:00Z');
  before(async () => {
    server = await startTestServer({ clock: () => now });
    await makeUser(server, 'alice@localhost', 'alice-password-1');
    params = await portal(server);
  });
  after(() => server.stop());

  it('counts an unknown account the same way, so the answer tells nothing about who exists', async () => {
    for (let i = 0; i < 6; i++) assert.equal((await signIn(server, params, 'nobody', `guess-${i}`)).status, 401);
    assert.equal((await signIn(server, params, 'nobody', 'guess')).status, 429);
  });

  it('gives a few free attempts, then a wait that doubles from 30 s to 15 min, answered 429 with the reason', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await signIn(server, params, 'alice', `wrong-${i}`)).status, 401, `free attempt ${i + 1}`);
    // The sixth failure starts the first wait.
    assert.equal((await signIn(server, params, 'alice', 'wrong-5')).status, 401);
    const verifiedBefore = passwordPool().stats().completed;
    const blocked = await signIn(server, params, 'alice', 'alice-password-1');
    assert.equal(blocked.status, 429, 'even the right password waits');
    assert.equal(blocked.headers.get('retry-after'), '30');
    assert.match(await blocked.text(), /Too many failed sign-in attempts for this account\. Try again in 30 seconds/);
    assert.equal(passwordPool().stats().completed, verifiedBefore, 'a refused attempt never reaches scrypt');

    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      now += Number((await signIn(server, params, 'alice', 'x')).headers.get('retry-after') ?? 0) * 1000;
      assert.equal((await signIn(server, params, 'alice', `wrong-again-${i}`)).status, 401);
      const next = await signIn(server, params, 'alice', 'alice-password-1');
      assert.equal(next.status, 429);
      waits.push(Number(next.headers.get('retry-after')));
    }
    assert.deepEqual(waits, [60, 120, 240, 480, 900, 900, 900]);
    assert.match(await (await signIn(server, params, 'alice', 'x')).text(), /Try again in 15 minutes/);
  });

  it('a success after the wait starts the account over', async () => {
    now += 900_000;
    const ok = await signIn(server, params, 'alice', 'alice-password-1');
    assert.equal(ok.status, 302, await ok.text());
    // Counting from zero again: a failure now is answered, not refused (this is the address's 20th failure).
    assert.equal((await signIn(server, params, 'alice', 'wrong-after')).status, 401);
    assert.equal((await signIn(server, params, 'alice', 'alice-password-1')).status, 302);
  });
});

describe(`sign-in limits per client address, shared by every process on the store (${storeName})`, () => {
  let server: TestServer;
  let twin: TestServer;
  let params: Record<string, string>;
  let now = Date.parse('2026-01-01T00:00:00Z');
  before(async () => {
    server = await startTestServer({ clock: () => now });
    twin = await startTestServer({ dataDir: server.dataDir, databaseUrl: server.databaseUrl, clock: () => now });
    await makeUser(server, 'bob@localhost', 'bob-password-1');
    params = await portal(server);
  });
  after(async () => {
    await twin.close();
    await twin.dispatcher.close();
    await server.stop();
  });

  it('a password spray over many accounts from one address is slowed down, whichever process answers', async () => {
    // 20 free failures per address, each on another account (no account reaches its own limit), half on each process.
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => signIn(i % 2 ? twin : server, params, `user${i}`, 'Summer2026!').then((r) => assert.equal(r.status, 401))),
    );
    const row = await server.store.db.selectFrom('login_attempts').selectAll().where('key', '=', 'address:127.0.0.1').executeTakeFirstOrThrow();
    assert.equal(Number(row.failures), 20, 'concurrent failures on two processes are all counted (the row is locked while counted)');
    assert.equal((await signIn(twin, params, 'user20', 'Summer2026!')).status, 401, 'the 21st failure starts the wait');
    for (const s of [server, twin]) {
      const blocked = await signIn(s, params, 'bob', 'bob-password-1');
      assert.equal(blocked.status, 429);
      assert.match(await blocked.text(), /from this address/);
    }
    now += 30_000;
    const ok = await signIn(server, params, 'bob', 'bob-password-1');
    assert.equal(ok.status, 302, 'after the wait the right password works');
  });
});
