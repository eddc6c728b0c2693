// Password verification runs on dedicated worker threads with a bounded queue, never on libuv's pool that file I/O needs.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMainThread, threadId } from 'node:worker_threads';
import { createClient } from '@gatehouse/server';
import { PasswordPool, PasswordPoolBusy, passwordPool } from '../src/auth/password-pool.ts';
import { startTestServer, makeUser, signIn, storeName, type TestServer } from './helpers/server.ts';

const SECRETS = pathToFileURL(fileURLToPath(new URL('../src/auth/secrets.ts', import.meta.url))).href;

/** In a fresh process with a one-thread libuv pool: how many of 12 concurrent verifications were still running when a file read finished. */
const ORDERING_PROBE = `
import fs from 'node:fs';
const { hashPassword, verifyPassword } = await import(${JSON.stringify(SECRETS)});
const stored = await hashPassword('the password');
let pending = 0;
const all = [];
for (let i = 0; i < 12; i++) {
  pending++;
  all.push(verifyPassword('guess ' + i, stored).then(() => pending--));
}
await fs.promises.readFile(new URL(${JSON.stringify(SECRETS)}));
const atRead = pending;
await Promise.all(all);
process.stdout.write(JSON.stringify({ atRead }));
`;

describe('the password pool', () => {
  it('a file read does not wait behind a storm of verifications (UV_THREADPOOL_SIZE=1)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-pool-'));
    const probe = path.join(dir, 'probe.mjs');
    fs.writeFileSync(probe, ORDERING_PROBE);
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const child = spawn(process.execPath, [probe], { env: { ...env, UV_THREADPOOL_SIZE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise((resolve) => child.on('close', resolve));
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0, err);
    const { atRead } = JSON.parse(out) as { atRead: number };
    // On libuv's pool (one thread) the read would queue behind all 12 scrypt runs and find none pending.
    assert.ok(atRead > 0, `the file read finished only after every verification (${atRead} pending)`);
  });

  it('bounds its queue: beyond it, PasswordPoolBusy at once instead of an ever longer wait', async () => {
    const pool = new PasswordPool(1, 2);
    try {
      const salt = new Uint8Array(16);
      const jobs = Array.from({ length: 6 }, (_, i) =>
        pool.scrypt(`p${i}`, salt, 32, { N: 1 << 14, r: 8, p: 1 }).then(
          () => 'done',
          (e: unknown) => (e instanceof PasswordPoolBusy ? 'busy' : String(e)),
        ),
      );
      assert.deepEqual(await Promise.all(jobs), ['done', 'done', 'done', 'busy', 'busy', 'busy']);
      assert.equal(pool.stats().completed, 3);
    } finally {
      await pool.close();
    }
  });
});

describe(`sign-ins use the pool (${storeName})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ passwordThreads: 3 });
    await makeUser(server, 'carol@localhost', 'carol-password-1');
  });
  after(() => server.stop());

  it('runs GATEHOUSE_PASSWORD_THREADS worker threads, and a sign-in is verified on them', async () => {
    const stats = passwordPool().stats();
    assert.equal(stats.threads, 3);
    assert.ok(isMainThread && stats.threadIds.every((id) => id !== threadId && id > 0), 'pool threads are workers, not the main thread');
    const redirect = 'https://app.example.org/cb';
    const id = (await server.store.tx((db) => createClient(db, { name: 'Portal', redirectUris: [redirect] }))).id;
    const before = passwordPool().stats().completed;
    const res = await signIn(server, { client_id: id, redirect_uri: redirect, scope: 'openid', response_type: 'code' }, 'carol', 'carol-password-1');
    assert.equal(res.status, 302);
    assert.equal(passwordPool().stats().completed, before + 1);
  });
});
