// A logged-in person's `gatehouse transfer`: a mapped collection's missing data_access consent names the login that gives it; after that login the task is accepted.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, storeName, type TestServer } from '../../server/test/helpers/server.ts';
import { isRoot, makeWorld, plant, type DataWorld } from '../../server/test/helpers/data.ts';
import { assertOk, cliLogin, run, tempHome } from './helpers.ts';

const password = 'correct horse battery staple';

describe(`gatehouse transfer as a logged-in user (${storeName})`, { skip: isRoot ? false : 'needs root (useradd, per-account workers)' }, () => {
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
    assertOk(
      await run(['permission', 'create', `${world.guestId}:/`, '--identity', 'dora@localhost', '--permissions', 'r'], {
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

  test('ConsentRequired names `gatehouse login --collection <mapped>`; after it the transfer is accepted', async () => {
    assertOk(await cliLogin(server, env, publicClientId, 'dora', password), 'plain login');
    const args = ['transfer', `${world.guestId}:/readme.txt`, `${world.mappedId}:/dora/readme.txt`];
    const refused = await run(args, env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /Missing required data_access consent/);
    // Only the mapped collection needs the consent; a guest never does.
    assert.match(refused.stderr, new RegExp(`Hint: run \`gatehouse login --collection ${world.mappedId}\`$`, 'm'));

    assertOk(await cliLogin(server, env, publicClientId, 'dora', password, ['--collection', world.mappedId]), 'login --collection');
    const accepted = await run(['-F', 'json', ...args], env);
    assertOk(accepted, 'transfer after consent');
    assert.equal(accepted.json.code, 'Accepted');
    const canceled = await run(['-F', 'json', 'task', 'cancel', accepted.json.task_id], env);
    assertOk(canceled, 'task cancel');
    assert.match(canceled.json.code, /^(Canceled|TaskComplete)$/);
  });
});
