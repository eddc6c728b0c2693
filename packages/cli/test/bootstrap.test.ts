// Local bootstrap commands on a fresh data dir, no server running: users, clients and endpoint setup.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase } from '../../server/test/helpers/server.ts';
import { assertOk, run, tempHome } from './helpers.ts';

describe('local bootstrap commands', () => {
  let dataDir: string;
  let home: ReturnType<typeof tempHome>;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let env: Record<string, string | undefined>;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-cli-boot-'));
    home = tempHome();
    database = await createTestDatabase();
    env = { HOME: home.home, XDG_CONFIG_HOME: home.configHome, GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_DATABASE_URL: database?.url };
  });
  after(async () => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    home.cleanup();
    await database?.drop();
  });

  test('endpoint setup with a client owner, users, client list and delete', async () => {
    const client = await run(['auth', 'client', 'create', '--name', 'owner', '--json'], env);
    assertOk(client, 'auth client create');
    assert.match(client.json.client_id, /^[0-9a-f-]{36}$/);
    assert.equal(typeof client.json.client_secret, 'string');
    assert.equal(client.json.identity, `${client.json.client_id}@clients.auth.globus.org`);

    const setup = await run(['-F', 'json', 'endpoint', 'setup', 'My Endpoint', '--owner', client.json.identity], env);
    assertOk(setup, 'endpoint setup');
    assert.equal(setup.json.display_name, 'My Endpoint');
    assert.equal(setup.json.owner_id, client.json.client_id);

    // The endpoint's owner manages a local subscription (a group carrying a subscription id).
    const subs = await run(['-F', 'json', 'subscription', 'list'], env);
    assertOk(subs, 'subscription list');
    assert.equal(subs.json.length, 1);
    const groupId = subs.json[0].group_id;
    const fixedId = '6b6f6f6b-0000-4000-8000-000000000001';
    const attached = await run(['-F', 'json', 'subscription', 'attach', groupId, '--subscription-id', fixedId, '--name', 'Lab plan'], env);
    assertOk(attached, 'subscription attach');
    assert.equal(attached.json.subscription_info.name, 'Lab plan');
    assert.deepEqual(
      (await run(['-F', 'json', 'subscription', 'list'], env)).json.map((r: any) => r.subscription_id),
      [fixedId],
    );
    assertOk(await run(['subscription', 'detach', groupId], env), 'subscription detach');
    assert.deepEqual((await run(['-F', 'json', 'subscription', 'list'], env)).json, []);
    const badGroup = await run(['subscription', 'attach', '00000000-0000-4000-8000-000000000000'], env);
    assert.notEqual(badGroup.code, 0);
    assert.match(badGroup.stderr, /No group/);
    const join = await run(['-F', 'json', 'group-allow-join', groupId, 'on'], env);
    assertOk(join, 'group-allow-join');
    assert.equal(join.json.allow_join, true);

    const again = await run(['endpoint', 'setup', 'Second', '--owner', client.json.identity], env);
    assert.notEqual(again.code, 0, 'a data dir hosts one endpoint');
    assert.match(again.stderr, /already set up/);

    const user = await run(['-F', 'json', 'auth', 'user', 'create', 'alice', '--password-stdin', '--name', 'Alice'], env, 'wonderland\n');
    assertOk(user, 'auth user create');
    assert.equal(user.json.username, 'alice@localhost');
    assert.equal(user.json.password, undefined, 'a password given on stdin is never echoed');
    const carol = await run(['-F', 'json', 'auth', 'user', 'create', 'carol'], env);
    assertOk(carol, 'auth user create without a password');
    assert.match(carol.json.password, /^[A-Za-z0-9_-]{24}$/, 'a generated password is printed once');
    const empty = await run(['auth', 'user', 'create', 'bob', '--password-stdin'], env, '');
    assert.notEqual(empty.code, 0);
    assert.match(empty.stderr, /empty password/);

    const pub = await run(['auth', 'client', 'create', '--name', 'cli', '--public', '--json'], env);
    assertOk(pub, 'auth client create --public');
    assert.equal(pub.json.client_secret, null);
    assert.equal(pub.json.public_client, true);

    const list = await run(['-F', 'json', 'auth', 'client', 'list'], env);
    assertOk(list, 'auth client list');
    const ids = (list.json as Array<{ id: string }>).map((c) => c.id);
    assert.ok(ids.includes(client.json.client_id) && ids.includes(pub.json.client_id), list.stdout);
    const text = await run(['auth', 'client', 'list'], env);
    assert.match(text.stdout, /public_client/);

    const del = await run(['-F', 'json', 'auth', 'client', 'delete', pub.json.client_id], env);
    assertOk(del, 'auth client delete');
    assert.deepEqual(del.json, { client_id: pub.json.client_id, deleted: true });
    const gone = await run(['auth', 'client', 'delete', pub.json.client_id], env);
    assert.notEqual(gone.code, 0);
    const after = await run(['-F', 'json', 'auth', 'client', 'list'], env);
    assert.ok(!(after.json as Array<{ id: string }>).some((c) => c.id === pub.json.client_id));
  });

  test('endpoint setup refuses an unknown owner', async () => {
    const res = await run(['endpoint', 'setup', 'X', '--owner', 'nobody'], env);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /No identity nobody/);
  });
});
