// The GCS commands (endpoint, storage-gateway, collection, sharing-policy, user-credentials) run as the real CLI against a real server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, storeName, type TestServer } from '../../server/test/helpers/server.ts';
import { grantRole, localName, makeActor, makeSubscription, type Actor } from '../../server/test/helpers/gcs.ts';
import { cliAs, tempHome } from './helpers.ts';

const MAPPING = JSON.stringify({
  DATA_TYPE: 'expression_identity_mapping#1.0.0',
  mappings: [{ source: '{username}', match: '(.*)@clients\\.auth\\.globus\\.org', output: 'local-{0}' }],
});

describe(`gatehouse GCS commands (${storeName})`, () => {
  let server: TestServer;
  let home: ReturnType<typeof tempHome>;
  let admin: Actor;
  let user: Actor;
  let gatewayId: string;
  let mappedId: string;

  /** The CLI as `actor` (client credentials); JSON unless `format` says text. */
  const { cli, ok } = cliAs(
    () => server,
    () => home,
  );

  before(async () => {
    server = await startTestServer();
    home = tempHome();
    admin = await makeActor(server, 'cli admin');
    user = await makeActor(server, 'cli user');
    await grantRole(server, admin.id, 'administrator');
    const gateway = await ok(admin, ['storage-gateway', 'create', 'posix', 'Research FS', '--identity-mapping', MAPPING]);
    gatewayId = gateway.json.id;
    mappedId = (await ok(admin, ['collection', 'create', gatewayId, '/data', 'Project data', '--allow-guest-collections'])).json.id;
  });
  after(async () => {
    await server.stop();
    home.cleanup();
  });

  test('endpoint show, update, owner string, subscription', async () => {
    assert.equal((await ok(admin, ['endpoint', 'show'])).json.id, server.endpointId);
    assert.match((await ok(admin, ['endpoint', 'show'], 'text')).stdout, /^display_name:\s+\S/m);
    const updated = await ok(admin, ['endpoint', 'update', '--description', 'shared data', '--keywords', 'a,b', '--keywords', 'c', '--public']);
    assert.equal(updated.json.description, 'shared data');
    assert.deepEqual(updated.json.keywords, ['a', 'b', 'c']);
    assert.equal((await cli(admin, ['endpoint', 'update'])).code, 2, 'nothing to update is a usage error');

    assert.match((await ok(admin, ['endpoint', 'set-owner-string', admin.id], 'text')).stdout, new RegExp(`owner string to ${admin.username}`));
    assert.match((await ok(admin, ['endpoint', 'reset-owner-string'], 'text')).stdout, /Reset endpoint owner string/);

    const subscription = await makeSubscription(server, admin);
    assert.match((await ok(admin, ['endpoint', 'set-subscription-id', subscription], 'text')).stdout, new RegExp(subscription));
    assert.equal((await ok(admin, ['endpoint', 'show'])).json.subscription_id, subscription);
    assert.equal((await cli(admin, ['endpoint', 'set-subscription-id', 'not-a-subscription'])).code, 2);
  });

  test('endpoint role create, list, show, delete', async () => {
    // A username is looked up in Auth, as globus-connect-server does.
    const created = await ok(admin, ['endpoint', 'role', 'create', 'activity_monitor', user.username]);
    assert.equal(created.json.principal, `urn:globus:auth:identity:${user.id}`);
    const group = '5a1d3e6c-0b6e-4d5f-9f4e-3f1c2b7a9d10';
    const byGroup = await ok(admin, ['endpoint', 'role', 'create', 'activity_manager', group, '--principal-type', 'group']);
    assert.equal(byGroup.json.principal, `urn:globus:groups:id:${group}`);
    await ok(admin, ['endpoint', 'role', 'delete', byGroup.json.id]);
    const all = await ok(admin, ['endpoint', 'role', 'list', '--all-roles']);
    assert.ok(all.json.some((r: { id: string }) => r.id === created.json.id));
    assert.deepEqual(
      (await ok(user, ['endpoint', 'role', 'list'])).json.map((r: { role: string }) => r.role),
      ['activity_monitor'],
    );
    assert.match((await ok(admin, ['endpoint', 'role', 'list', '--all-roles'], 'text')).stdout, /^id\s+\| role\s+\| principal/m);
    assert.equal((await ok(admin, ['endpoint', 'role', 'show', created.json.id])).json.role, 'activity_monitor');
    assert.match((await ok(admin, ['endpoint', 'role', 'delete', created.json.id], 'text')).stdout, /Deleted role/);
    assert.equal((await cli(admin, ['endpoint', 'role', 'create', 'owner', user.id])).code, 1, 'owner is not offered: it moves with set-owner');
  });

  test('storage-gateway list, show, update, update posix, delete', async () => {
    assert.ok((await ok(admin, ['storage-gateway', 'list'])).json.some((g: { id: string }) => g.id === gatewayId));
    assert.match((await ok(admin, ['storage-gateway', 'list'], 'text')).stdout, /Research FS/);
    assert.equal((await ok(admin, ['storage-gateway', 'show', gatewayId, '--include-private-policies'])).json.identity_mappings.length, 1);
    assert.equal((await ok(user, ['storage-gateway', 'show', gatewayId, '--include-private-policies'])).json.identity_mappings, undefined);

    const spare = (await ok(admin, ['storage-gateway', 'create', 'posix', 'Spare', '--domain', 'example.org', '--groups-deny', 'wheel'])).json;
    assert.deepEqual(spare.allowed_domains, ['example.org']);
    assert.deepEqual(spare.policies.groups_deny, ['wheel']);
    assert.deepEqual((await ok(admin, ['storage-gateway', 'update', spare.id, '--users-deny', 'root'])).json.users_deny, ['root']);
    assert.equal((await ok(admin, ['storage-gateway', 'update', 'posix', spare.id, '--display-name', 'Renamed'])).json.display_name, 'Renamed');
    assert.match((await ok(admin, ['storage-gateway', 'delete', spare.id], 'text')).stdout, /Deleted storage gateway/);
  });

  test('collection list, show, update, owner strings, roles, delete', async () => {
    const listed = await ok(admin, ['collection', 'list', '--filter', 'mapped-collections']);
    assert.deepEqual(
      listed.json.map((c: { id: string }) => c.id),
      [mappedId],
    );
    assert.deepEqual((await ok(admin, ['collection', 'list', '--filter', 'guest-collections'])).json, []);
    assert.match((await ok(admin, ['collection', 'list'], 'text')).stdout, /Project data \| mapped/);
    const shown = await ok(admin, ['collection', 'show', mappedId, '--include-private-policies']);
    assert.equal(shown.json.allow_guest_collections, true);
    const updated = await ok(admin, ['collection', 'update', mappedId, '--description', 'results', '--sharing-user-deny', 'root', '--disable-https']);
    assert.equal(updated.json.description, 'results');
    assert.deepEqual(updated.json.sharing_users_deny, ['root']);
    assert.equal(updated.json.enable_https, false);

    assert.match((await ok(admin, ['collection', 'set-owner-string', mappedId, admin.id], 'text')).stdout, /owner string/);
    assert.match((await ok(admin, ['collection', 'reset-owner-string', mappedId], 'text')).stdout, /Reset collection owner string/);

    const role = (await ok(admin, ['collection', 'role', 'create', mappedId, 'access_manager', user.id])).json;
    assert.equal(role.collection, mappedId);
    const roles = (await ok(admin, ['collection', 'role', 'list', mappedId, '--all-roles'])).json.map((r: { role: string }) => r.role).sort();
    assert.deepEqual(roles, ['access_manager', 'administrator']);
    assert.equal((await ok(admin, ['collection', 'role', 'show', role.id])).json.role, 'access_manager');
    await ok(admin, ['collection', 'role', 'delete', role.id]);

    const doomed = (await ok(admin, ['collection', 'create', gatewayId, '/tmp', 'Doomed', '--private'])).json;
    assert.equal(doomed.public, false);
    const refused = await cli(admin, ['collection', 'delete', doomed.id], 'text');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /delete protected\nresource_conflict: \{"resources":\[.*\]\}\nHTTP status: 409\ncode: conflict/);
    await ok(admin, ['collection', 'update', doomed.id, '--no-delete-protected']);
    assert.match((await ok(admin, ['collection', 'delete', doomed.id], 'text')).stdout, /Deleted collection/);
  });

  test('user-credentials create posix, list, show, delete', async () => {
    const created = (await ok(user, ['user-credentials', 'create', 'posix', gatewayId])).json;
    assert.equal(created.username, localName(user), 'the username defaults to the gateway mapping');
    assert.deepEqual(
      (await ok(user, ['user-credentials', 'list', '--storage-gateway', gatewayId])).json.map((c: { id: string }) => c.id),
      [created.id],
    );
    assert.match((await ok(user, ['user-credentials', 'list'], 'text')).stdout, new RegExp(localName(user)));
    assert.equal((await ok(user, ['user-credentials', 'show', created.id])).json.identity_id, user.id);
    const again = await cli(user, ['user-credentials', 'create', 'posix', gatewayId], 'text');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists[\s\S]*HTTP status: 409/);
    await ok(user, ['user-credentials', 'delete', created.id]);
    assert.deepEqual((await ok(user, ['user-credentials', 'list'])).json, []);
  });

  test('sharing-policy create, list, show, delete', async () => {
    const created = (await ok(admin, ['sharing-policy', 'create', mappedId, '--read-write', '/projects/', '--read', '/shared/', '--users', 'alice'])).json;
    assert.deepEqual(created.users, ['alice']);
    assert.deepEqual(created.sharing_restrict_paths.read_write, ['/projects/']);
    assert.deepEqual(
      (await ok(admin, ['sharing-policy', 'list', mappedId])).json.map((p: { id: string }) => p.id),
      [created.id],
    );
    assert.deepEqual((await ok(admin, ['sharing-policy', 'list', mappedId, '--username', 'bob'])).json, []);
    assert.match((await ok(admin, ['sharing-policy', 'list', mappedId], 'text')).stdout, /alice \| read_write=\/projects\/ read=\/shared\//);
    assert.equal((await ok(admin, ['sharing-policy', 'show', created.id])).json.collection_id, mappedId);
    await ok(admin, ['sharing-policy', 'delete', created.id]);
    assert.equal((await cli(admin, ['sharing-policy', 'create', mappedId])).code, 2, 'paths are required');
  });

  test('API errors read as the admin would see them, with the missing role named', async () => {
    const text = await cli(user, ['storage-gateway', 'create', 'posix', 'Mine'], 'text');
    assert.equal(text.code, 1);
    assert.equal(
      text.stderr,
      'Error: Caller is missing a required role\nMissing role (any one suffices): owner on the endpoint, administrator on the endpoint\nHTTP status: 403\ncode: permission_denied\n',
    );
    const onCollection = await cli(user, ['collection', 'update', mappedId, '--description', 'mine'], 'text');
    assert.match(onCollection.stderr, new RegExp(`Missing role \\(any one suffices\\): .*administrator on collection ${mappedId}`));

    const json = await cli(user, ['storage-gateway', 'create', 'posix', 'Mine']);
    assert.equal(json.code, 1);
    const body = JSON.parse(json.stderr);
    assert.equal(body.code, 'permission_denied');
    assert.deepEqual(body.detail.roles.map((r: { role: string }) => r.role).sort(), ['administrator', 'owner']);

    const invalid = await cli(admin, ['collection', 'create', gatewayId, 'relative/path', 'Bad'], 'text');
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /^Error: Data Validation Error\n {2}collection_base_path: .+\nHTTP status: 422\ncode: unprocessable_entity\n$/);
  });
});
