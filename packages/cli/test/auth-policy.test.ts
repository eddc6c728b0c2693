// `gatehouse auth policy create|list|show|update|delete` on the store of a running server, which then serves the result.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clientCredentials, getJson, makeClient, startTestServer, storeName, type TestServer } from '../../server/test/helpers/server.ts';
import { assertOk, run, tempHome } from './helpers.ts';

describe(`gatehouse auth policy (${storeName})`, () => {
  let server: TestServer;
  let home: ReturnType<typeof tempHome>;
  let env: Record<string, string | undefined>;
  const cli = (args: string[]) => run(['-F', 'json', 'auth', 'policy', ...args], env);

  before(async () => {
    server = await startTestServer();
    home = tempHome();
    env = { HOME: home.home, XDG_CONFIG_HOME: home.configHome, GATEHOUSE_DATA_DIR: server.dataDir, GATEHOUSE_DATABASE_URL: server.databaseUrl };
  });
  after(async () => {
    await server.stop();
    home.cleanup();
  });

  test('create, list, show, update and delete; the --owner may then manage it through the API', async () => {
    const owner = await makeClient(server, 'policy owner');
    const created = await cli([
      'create',
      '--display-name',
      'Campus',
      '--description',
      'campus identities only',
      '--include',
      'Uni.edu',
      '*.uni.edu',
      '--exclude',
      'guest.uni.edu',
      '--high-assurance',
      '--timeout',
      '900',
      '--owner',
      `${owner.id}@clients.auth.globus.org`,
    ]);
    assertOk(created, 'create');
    const policy = created.json;
    assert.deepEqual(
      { ...policy, id: undefined, project_id: undefined },
      {
        id: undefined,
        project_id: undefined,
        display_name: 'Campus',
        description: 'campus identities only',
        high_assurance: true,
        authentication_assurance_timeout: 900,
        required_mfa: false,
        domain_constraints_include: ['uni.edu', '*.uni.edu'],
        domain_constraints_exclude: ['guest.uni.edu'],
      },
    );

    const listed = await cli(['list']);
    assertOk(listed, 'list');
    assert.deepEqual(
      listed.json.map((p: { id: string }) => p.id),
      [policy.id],
    );
    const text = await run(['auth', 'policy', 'list'], env);
    assert.match(text.stdout, /Campus/);
    assert.deepEqual((await cli(['show', policy.id])).json, policy);

    const updated = await cli(['update', policy.id, '--include', '', '--timeout', 'none', '--display-name', 'Anyone recent']);
    assertOk(updated, 'update');
    assert.deepEqual(
      [
        updated.json.display_name,
        updated.json.domain_constraints_include,
        updated.json.domain_constraints_exclude,
        updated.json.authentication_assurance_timeout,
        updated.json.high_assurance,
      ],
      ['Anyone recent', null, ['guest.uni.edu'], null, true],
    );

    // The server reads the same store: the owner manages the policy through /v2/api/policies.
    const token = (await clientCredentials(server, owner, 'urn:globus:auth:scope:auth.globus.org:manage_projects')).access_token;
    const viaApi = await getJson(server, `/v2/api/policies/${policy.id}`, token);
    assert.equal(viaApi.status, 200, JSON.stringify(viaApi.body));
    assert.equal(viaApi.body.policy.display_name, 'Anyone recent');

    const deleted = await cli(['delete', policy.id]);
    assertOk(deleted, 'delete');
    assert.deepEqual(deleted.json, { policy_id: policy.id, deleted: true });
    assert.deepEqual((await cli(['list'])).json, []);
    assert.equal((await getJson(server, `/v2/api/policies/${policy.id}`, token)).status, 404);
  });

  test('refusals name the problem and exit non-zero', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['create', '--display-name', 'No description'], /--description are required/],
      [['create', '--display-name', 'x', '--description', 'y', '--include', 'not a domain'], /not a domain name/],
      [['create', '--display-name', 'x', '--description', 'y', '--timeout', 'soon'], /number of seconds/],
      [['create', '--display-name', 'x', '--description', 'y', '--owner', 'nobody@example.org'], /No identity nobody@example\.org/],
      [['show', '00000000-0000-4000-8000-000000000000'], /No policy/],
      [['update', 'not-a-uuid', '--description', 'z'], /No policy/],
      [['delete', '00000000-0000-4000-8000-000000000000'], /No policy/],
    ];
    // Independent commands: run side by side, each CLI start-up costs seconds.
    const results = await Promise.all(cases.map(([args]) => cli(args)));
    cases.forEach(([args, message], i) => {
      assert.notEqual(results[i].code, 0, args.join(' '));
      assert.match(results[i].stderr, message, args.join(' '));
    });
    assert.deepEqual((await cli(['list'])).json, [], 'nothing was created by a refused command');
  });
});
