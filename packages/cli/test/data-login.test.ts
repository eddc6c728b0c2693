// A logged-in person's data access: `gatehouse login --collection` stores the collection's token; get/put/ls use it; without it a hint.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, storeName, type TestServer } from '../../server/test/helpers/server.ts';
import { isRoot, makeWorld, plant, type DataWorld } from '../../server/test/helpers/data.ts';
import { assertOk, cliLogin, run, tempHome } from './helpers.ts';

const password = 'correct horse battery staple';

describe(`data commands as a logged-in user (${storeName})`, { skip: isRoot ? false : 'needs root (useradd, per-account workers)' }, () => {
  let server: TestServer;
  let world: DataWorld;
  let home: ReturnType<typeof tempHome>;
  let env: Record<string, string | undefined>;
  let publicClientId: string;

  before(async () => {
    server = await startTestServer();
    home = tempHome();
    world = await makeWorld(server, { tree: (root, { owner }) => void plant(root, 'shared/readme.txt', 'hello guest world', owner) });
    const local = { HOME: home.home, XDG_CONFIG_HOME: home.configHome, GATEHOUSE_DATA_DIR: server.dataDir, GATEHOUSE_DATABASE_URL: server.databaseUrl };
    env = { ...local, GATEHOUSE_URL: server.url };
    assertOk(await run(['auth', 'user', 'create', 'dora', '--password-stdin'], local, `${password}\n`), 'user dora');
    const pub = await run(['auth', 'client', 'create', '--public', '--name', 'cli', '--json'], local);
    assertOk(pub, 'public client');
    publicClientId = pub.json.client_id;
    // The guest's owner shares it with dora by her bare username (as she logs in: dora@localhost), through the CLI.
    assertOk(
      await run(['permission', 'create', `${world.guestId}:/`, '--identity', 'dora', '--permissions', 'rw'], {
        ...env,
        GATEHOUSE_CLIENT_ID: world.owner.id,
        GATEHOUSE_CLIENT_SECRET: world.owner.secret,
      }),
      'permission create',
    );
  });
  after(async () => {
    await server?.stop();
    world?.cleanup();
    home?.cleanup();
  });

  test('without a collection token: a hint to log in with --collection', async () => {
    assertOk(await cliLogin(server, env, publicClientId, 'dora', password), 'plain login');
    const res = await run(['get', `${world.guestId}:/readme.txt`, path.join(home.home, 'r.txt')], env);
    assert.equal(res.code, 1);
    assert.match(res.stderr, new RegExp(`gatehouse login --collection ${world.guestId}`));
    // Transfer operations on a guest need no collection token: ls works already.
    const ls = await run(['ls', `${world.guestId}:/`], env);
    assertOk(ls, 'ls');
    assert.match(ls.stdout, /^readme\.txt$/m);
  });

  test('login --collection stores the collection token; get and put use it; a later login keeps it', async () => {
    const logged = await cliLogin(server, env, publicClientId, 'dora', password, ['--collection', world.guestId]);
    assertOk(logged, 'login --collection');
    assert.ok(logged.json.resource_servers.includes(world.guestId), JSON.stringify(logged.json));

    const file = path.join(home.home, 'readme.txt');
    const got = await run(['-F', 'json', 'get', `${world.guestId}:/readme.txt`, file], env);
    assertOk(got, 'get');
    assert.equal(fs.readFileSync(file, 'utf8'), 'hello guest world');

    fs.writeFileSync(path.join(home.home, 'dora.txt'), 'from dora');
    assertOk(await run(['put', path.join(home.home, 'dora.txt'), `${world.guestId}:/dora.txt`], env), 'put');
    assert.equal(fs.readFileSync(path.join(world.root, 'shared/dora.txt'), 'utf8'), 'from dora');

    const again = await cliLogin(server, env, publicClientId, 'dora', password);
    assertOk(again, 'second login');
    assert.ok(again.json.resource_servers.includes(world.guestId), 'the collection scope is asked for again');
    assertOk(await run(['get', '--no-resume', `${world.guestId}:/dora.txt`, path.join(home.home, 'back.txt')], env), 'get after re-login');
    assert.equal(fs.readFileSync(path.join(home.home, 'back.txt'), 'utf8'), 'from dora');
  });
});
