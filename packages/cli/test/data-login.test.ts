// A logged-in person's data access: `gatehouse login --collection` stores the collection's token; get/put/ls use it; without it a hint; sharing a directory with `collection create guest`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, storeName, type TestServer } from '../../server/test/helpers/server.ts';
import { isRoot, makeWorld, mkdirOwned, plant, type DataWorld } from '../../server/test/helpers/data.ts';
import { api } from '../../server/test/helpers/gcs.ts';
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

  test('re-login after a collection is deleted: its scope is dropped; asking for it is an error at once, and the browser gets a page', async () => {
    const made = await api(server, world.owner.token, 'POST', '/api/collections', {
      DATA_TYPE: 'collection#1.2.0',
      collection_type: 'guest',
      display_name: 'Short-lived',
      public: true,
      collection_base_path: '/shared',
      mapped_collection_id: world.mappedId,
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const doomed = made.body.data[0].id as string;
    assertOk(await cliLogin(server, env, publicClientId, 'dora', password, ['--collection', doomed]), 'login --collection');
    assert.equal((await api(server, world.owner.token, 'DELETE', `/api/collections/${doomed}`)).status, 200);

    const again = await cliLogin(server, env, publicClientId, 'dora', password);
    assertOk(again, 'login after the delete');
    assert.match(again.stderr, new RegExp(`Collection ${doomed} no longer exists: its access is not asked for again`));
    assert.ok(!again.json.resource_servers.includes(doomed));

    const asked = await run(['login', '--no-browser', '--client-id', publicClientId, '--collection', doomed], env);
    assert.equal(asked.code, 1);
    assert.match(asked.stderr, /The server refused the login: invalid_scope: /);
    assert.doesNotMatch(asked.stderr, /Open this URL/);

    // The same refusal in a browser: a redirect to the code page, which says why.
    const authorize = new URL(`${server.url}/v2/oauth2/authorize`);
    for (const [k, v] of Object.entries({
      client_id: publicClientId,
      redirect_uri: `${server.url}/v2/web/auth-code`,
      response_type: 'code',
      scope: `openid https://auth.globus.org/scopes/${doomed}/https`,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    }))
      authorize.searchParams.set(k, v);
    const refused = await server.fetch(authorize.toString(), { redirect: 'manual' });
    assert.equal(refused.status, 302);
    const landing = new URL(refused.headers.get('location')!);
    assert.equal(landing.pathname, '/v2/web/auth-code');
    assert.equal(landing.searchParams.get('error'), 'invalid_scope');
    const page = await server.fetch(landing.toString());
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await page.text(), /id="error-description">[^<]*\S/);
  });

  test('a signed-in person shares a directory of a mapped collection: collection create guest registers her credential and makes a guest she owns', async () => {
    const { alice } = world.accounts;
    mkdirOwned(world.root, 'alice-share', alice);
    plant(world.root, 'alice-share/data.txt', 'shared by dora', alice);
    // The gateway maps dora to the local account alice (an administrator's part of the first share).
    const doraId = (await cliLogin(server, env, publicClientId, 'dora', password)).json.identity_id as string;
    const gateway = await api(server, world.admin.token, 'GET', `/api/storage_gateways/${world.gatewayId}?include=private_policies`);
    const mappings = gateway.body.data[0].identity_mappings;
    mappings[0].mappings.push({ source: '{id}', match: doraId, output: alice.name, literal: true });
    assert.equal((await api(server, world.admin.token, 'PATCH', `/api/storage_gateways/${world.gatewayId}`, { identity_mappings: mappings })).status, 200);

    // Without the mapped collection's data_access consent: a hint naming the login that gives it.
    const refused = await run(['collection', 'create', 'guest', world.mappedId, '/alice-share', "Dora's share"], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`gatehouse login --collection ${world.mappedId}`));
    // Her credential on the gateway was registered on the way (it needs no consent), once.
    assert.match(refused.stderr, new RegExp(`^Registered user credential \\S+ \\(local account ${alice.name}\\) on storage gateway ${world.gatewayId}$`, 'm'));

    assertOk(await cliLogin(server, env, publicClientId, 'dora', password, ['--collection', world.mappedId]), 'login --collection MAPPED');
    const created = await run(['-F', 'json', 'collection', 'create', 'guest', world.mappedId, '/alice-share', "Dora's share"], env);
    assertOk(created, 'collection create guest');
    assert.doesNotMatch(created.stderr, /Registered user credential/);
    const guest = JSON.parse(created.stdout);
    assert.deepEqual(
      { type: guest.collection_type, owner: guest.identity_id, mapped: guest.mapped_collection_id, name: guest.display_name },
      { type: 'guest', owner: doraId, mapped: world.mappedId, name: "Dora's share" },
    );
    const ls = await run(['ls', `${guest.id}:/`], env);
    assertOk(ls, 'ls of the new guest');
    assert.match(ls.stdout, /^data\.txt$/m);
  });
});
