// Client commands against a real server: client-credentials whoami, PKCE login, token file, groups round trip, logout.
import { GATEHOUSE_CLI_CLIENT_ID } from '@gatehouse/sdk';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, type TestServer } from '../../server/test/helpers/server.ts';
import { assertOk, cliLogin, run, tempHome } from './helpers.ts';

describe('client commands against a running server', () => {
  let server: TestServer;
  let home: ReturnType<typeof tempHome>;
  /** Local (store) commands: the server's data dir and database. */
  let local: Record<string, string | undefined>;
  /** Remote commands: server URL; the CA is found in the data dir. */
  let remote: Record<string, string | undefined>;
  let publicClientId: string;
  const password = 'correct horse battery staple';

  before(async () => {
    server = await startTestServer();
    home = tempHome();
    local = { HOME: home.home, XDG_CONFIG_HOME: home.configHome, GATEHOUSE_DATA_DIR: server.dataDir, GATEHOUSE_DATABASE_URL: server.databaseUrl };
    remote = { ...local, GATEHOUSE_URL: server.url };
    for (const name of ['alice', 'bob']) assertOk(await run(['auth', 'user', 'create', name, '--password-stdin'], local, `${password}\n`), `user ${name}`);
    const pub = await run(['auth', 'client', 'create', '--public', '--name', 'cli', '--json'], local);
    assertOk(pub, 'public client');
    publicClientId = pub.json.client_id;
  });
  after(async () => {
    await server.stop();
    home.cleanup();
  });

  test('whoami with GATEHOUSE_CLIENT_ID/SECRET prints the client identity', async () => {
    const client = await run(['auth', 'client', 'create', '--name', 'robot', '--json'], local);
    assertOk(client, 'client create');
    const env = { ...remote, GATEHOUSE_CLIENT_ID: client.json.client_id, GATEHOUSE_CLIENT_SECRET: client.json.client_secret };
    const json = await run(['-F', 'json', 'whoami'], env);
    assertOk(json, 'whoami json');
    assert.equal(json.json.sub, client.json.client_id);
    assert.equal(json.json.preferred_username, `${client.json.client_id}@clients.auth.globus.org`);
    const text = await run(['whoami'], env);
    assertOk(text, 'whoami text');
    assert.equal(text.stdout.trim(), `${client.json.client_id}@clients.auth.globus.org`);

    const wrong = await run(['whoami'], { ...env, GATEHOUSE_CLIENT_SECRET: 'nope' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /Client authentication failed/);
    assert.ok(!fs.existsSync(path.join(home.configHome, 'gatehouse', 'tokens.json')), 'client credentials are never stored');
  });

  test('TLS: explicit --ca works, and a missing CA fails with a hint', async () => {
    const client = await run(['auth', 'client', 'create', '--name', 'robot2', '--json'], local);
    const creds = { GATEHOUSE_CLIENT_ID: client.json.client_id, GATEHOUSE_CLIENT_SECRET: client.json.client_secret };
    const caFile = path.join(server.dataDir, 'tls', 'ca.pem');
    const elsewhere = { HOME: home.home, XDG_CONFIG_HOME: home.configHome, GATEHOUSE_DATA_DIR: path.join(home.home, 'no-such-dir'), ...creds };
    const ok = await run(['--server', server.url, '--ca', caFile, 'whoami'], elsewhere);
    assertOk(ok, 'whoami --ca');
    const untrusted = await run(['--server', server.url, 'whoami'], elsewhere);
    assert.equal(untrusted.code, 1);
    assert.match(untrusted.stderr, /--ca/);
  });

  test('not logged in: a clear error, non-zero exit', async () => {
    const res = await run(['group', 'list'], remote);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /Not logged in/);
  });

  test('login stores tokens 0600, whoami, groups round trip, logout revokes', async () => {
    const login = await cliLogin(server, remote, publicClientId, 'alice', password);
    assertOk(login, 'login');
    assert.equal(login.json.username, 'alice@localhost');
    assert.equal(login.json.server, new URL(server.url).origin);
    assert.ok(login.json.resource_servers.includes('groups.api.globus.org'));
    assert.ok(login.json.resource_servers.includes(server.endpointId), 'manage_collections for the endpoint from /api/info');

    const file = path.join(home.configHome, 'gatehouse', 'tokens.json');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')).logins[new URL(server.url).origin];
    assert.equal(stored.client_id, publicClientId);
    assert.ok(stored.tokens['auth.globus.org'].refresh_token);

    const who = await run(['whoami'], remote);
    assertOk(who, 'whoami');
    assert.equal(who.stdout.trim(), 'alice@localhost');
    const whoJson = await run(['whoami', '-F', 'json'], remote);
    assert.equal(whoJson.json.preferred_username, 'alice@localhost');

    // Groups round trip in JSON.
    const created = await run(['-F', 'json', 'group', 'create', 'Lab', '--description', 'our lab'], remote);
    assertOk(created, 'group create');
    const groupId = created.json.id as string;
    assert.equal(created.json.name, 'Lab');
    const list = await run(['-F', 'json', 'group', 'list'], remote);
    assertOk(list, 'group list');
    const mine = (list.json as any[]).find((g) => g.id === groupId);
    assert.ok(mine, list.stdout);
    assert.equal(mine.my_memberships[0].role, 'admin');

    const added = await run(['-F', 'json', 'group', 'member', 'add', groupId, 'bob@localhost', '--role', 'manager'], remote);
    assertOk(added, 'member add');
    assert.equal(added.json.add[0].username, 'bob@localhost');
    assert.equal(added.json.add[0].role, 'manager');
    let members = await run(['-F', 'json', 'group', 'member', 'list', groupId], remote);
    assertOk(members, 'member list');
    const bob = (members.json.memberships as any[]).find((m) => m.username === 'bob@localhost');
    assert.equal(bob?.status, 'active');
    const again = await run(['group', 'member', 'add', groupId, 'bob@localhost'], remote);
    assert.equal(again.code, 1, 'adding an active member is a per-item error');

    const removed = await run(['-F', 'json', 'group', 'member', 'remove', groupId, bob.identity_id], remote);
    assertOk(removed, 'member remove');
    assert.equal(removed.json.remove[0].identity_id, bob.identity_id);
    members = await run(['-F', 'json', 'group', 'member', 'list', groupId], remote);
    assert.ok(!(members.json.memberships as any[]).some((m) => m.username === 'bob@localhost' && m.status === 'active'), members.stdout);

    const unknown = await run(['group', 'member', 'add', groupId, 'nobody@localhost'], remote);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /No identity with username nobody@localhost/);

    const text = await run(['group', 'list'], remote);
    assert.match(text.stdout, /Lab/);

    // Logout revokes: the public client's own validation call says inactive, and the token no longer works.
    const before = await validate(stored.tokens['auth.globus.org'].access_token);
    assert.equal(before.active, true);
    const logout = await run(['-F', 'json', 'logout'], remote);
    assertOk(logout, 'logout');
    assert.equal(logout.json.logged_out, true);
    assert.deepEqual(logout.json.failed, []);
    for (const rs of Object.keys(stored.tokens)) {
      assert.equal((await validate(stored.tokens[rs].access_token)).active, false, rs);
    }
    const userinfo = await server.fetch(`${server.url}/v2/oauth2/userinfo`, {
      headers: { authorization: `Bearer ${stored.tokens['auth.globus.org'].access_token}` },
    });
    assert.equal(userinfo.status, 401);
    assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')).logins, {});
    const afterWho = await run(['whoami'], remote);
    assert.equal(afterWho.code, 1);
    assert.match(afterWho.stderr, /Not logged in/);
  });

  async function validate(token: string): Promise<{ active: boolean }> {
    const res = await server.fetch(`${server.url}/v2/oauth2/token/validate`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, client_id: publicClientId }).toString(),
    });
    return (await res.json()) as { active: boolean };
  }
});

describe('groups as two logged-in users, and token refresh', () => {
  let server: TestServer;
  const homes: Array<ReturnType<typeof tempHome>> = [];
  let local: Record<string, string | undefined>;
  let alice: Record<string, string | undefined>;
  let bob: Record<string, string | undefined>;
  const password = 'correct horse battery staple';

  before(async () => {
    // Shorter than the renewal margin: every command's first request refreshes its token first.
    server = await startTestServer({ tokenLifetime: 30 });
    const [a, b] = [tempHome(), tempHome()];
    homes.push(a, b);
    local = { HOME: a.home, XDG_CONFIG_HOME: a.configHome, GATEHOUSE_DATA_DIR: server.dataDir, GATEHOUSE_DATABASE_URL: server.databaseUrl };
    for (const name of ['alice', 'bob']) assertOk(await run(['auth', 'user', 'create', name, '--password-stdin'], local, `${password}\n`), `user ${name}`);
    const pub = await run(['auth', 'client', 'create', '--public', '--name', 'cli', '--json'], local);
    const common = { GATEHOUSE_DATA_DIR: server.dataDir, GATEHOUSE_URL: server.url, GATEHOUSE_LOGIN_CLIENT_ID: pub.json.client_id };
    alice = { ...common, HOME: a.home, XDG_CONFIG_HOME: a.configHome };
    // bob logs in as README says, with no client of his own: the CLI's public client that every server keeps.
    bob = { ...common, GATEHOUSE_LOGIN_CLIENT_ID: undefined, HOME: b.home, XDG_CONFIG_HOME: undefined };
    assertOk(await cliLoginEnv(alice, 'alice'), 'alice login');
    assertOk(await cliLoginEnv(bob, 'bob'), 'bob login');
  });
  after(async () => {
    await server.stop();
    for (const h of homes) h.cleanup();
  });

  /** The login stored for this server in the token file of `env`'s user. */
  function storedLogin(env: Record<string, string | undefined>) {
    const file = path.join(env.XDG_CONFIG_HOME ?? path.join(env.HOME!, '.config'), 'gatehouse', 'tokens.json');
    return JSON.parse(fs.readFileSync(file, 'utf8')).logins[new URL(server.url).origin];
  }

  function cliLoginEnv(env: Record<string, string | undefined>, user: string) {
    return cliLogin(server, env, env.GATEHOUSE_LOGIN_CLIENT_ID, user, password);
  }

  test('without XDG_CONFIG_HOME the tokens live in ~/.config/gatehouse', () => {
    const file = path.join(bob.HOME!, '.config', 'gatehouse', 'tokens.json');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  });

  test('the CA trusted at login is remembered with it: later commands work from anywhere, no --ca, no data dir', async () => {
    const stored = storedLogin(alice);
    assert.equal(stored.ca, fs.readFileSync(path.join(server.dataDir, 'tls', 'ca.pem'), 'utf8'));
    const elsewhere = { ...alice, GATEHOUSE_DATA_DIR: path.join(alice.HOME!, 'no-such-data-dir') };
    const who = await run(['whoami'], elsewhere);
    assertOk(who, 'whoami away from the data dir');
    assert.equal(who.stdout.trim(), 'alice@localhost');
  });

  test('gatehouse token prints a valid access token, refreshed when due (for curl), per resource server', async () => {
    const stored = () => storedLogin(alice).tokens['transfer.api.globus.org'].access_token;
    const before = stored();
    const printed = await run(['token'], alice);
    assertOk(printed, 'token');
    const token = printed.stdout.trim();
    // Shorter-lived than the renewal margin: it was refreshed first, and the new one stored.
    assert.notEqual(token, before);
    assert.equal(stored(), token);
    const res = await server.fetch(`${server.url}/v0.10/task_list`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200, await res.text());
    const auth = await run(['-F', 'json', 'token', '--resource-server', 'auth.globus.org'], alice);
    assertOk(auth, 'token --resource-server auth.globus.org');
    const doc = JSON.parse(auth.stdout);
    assert.equal(doc.resource_server, 'auth.globus.org');
    const me = await server.fetch(`${server.url}/v2/oauth2/userinfo`, { headers: { authorization: `Bearer ${doc.access_token}` } });
    assert.equal(me.status, 200);
    assert.equal((await me.json()).preferred_username, 'alice@localhost');
    const none = await run(['token', '--resource-server', 'search.api.globus.org'], alice);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /No search\.api\.globus\.org token stored .*gatehouse login/);
  });

  test('login with no client id uses the public client the server made for the CLI at its start', async () => {
    const login = storedLogin(bob);
    assert.equal(login.client_id, GATEHOUSE_CLI_CLIENT_ID);
    const clients = await run(['-F', 'json', 'auth', 'client', 'list'], local);
    assertOk(clients, 'auth client list');
    const cli = (JSON.parse(clients.stdout) as Array<{ id: string; name: string; public_client: boolean }>).find((c) => c.id === GATEHOUSE_CLI_CLIENT_ID);
    assert.deepEqual(cli && { name: cli.name, public: cli.public_client }, { name: 'Gatehouse CLI', public: true });
    const who = await run(['whoami'], bob);
    assertOk(who, 'whoami');
    assert.equal(who.stdout.trim(), 'bob@localhost');
  });

  test('expired access tokens are refreshed and the new ones persisted', async () => {
    const file = path.join(alice.XDG_CONFIG_HOME!, 'gatehouse', 'tokens.json');
    const origin = new URL(server.url).origin;
    const before = JSON.parse(fs.readFileSync(file, 'utf8')).logins[origin].tokens['auth.globus.org'];
    const who = await run(['whoami'], alice);
    assertOk(who, 'whoami');
    assert.equal(who.stdout.trim(), 'alice@localhost');
    const afterRefresh = JSON.parse(fs.readFileSync(file, 'utf8')).logins[origin].tokens['auth.globus.org'];
    assert.notEqual(afterRefresh.access_token, before.access_token);
    assert.ok(afterRefresh.refresh_token);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assertOk(await run(['whoami'], alice), 'whoami with the refreshed refresh token');
  });

  test('create, update, set-policies, invite/accept, leave, join --request/approve, delete', async () => {
    const created = await run(['-F', 'json', 'group', 'create', 'Team'], alice);
    assertOk(created, 'create');
    const id = created.json.id as string;

    const updated = await run(['-F', 'json', 'group', 'update', id, '--description', 'the team'], alice);
    assertOk(updated, 'update');
    assert.equal(updated.json.name, 'Team');
    assert.equal(updated.json.description, 'the team');
    const nothing = await run(['group', 'update', id], alice);
    assert.equal(nothing.code, 2);

    const policies = await run(
      ['-F', 'json', 'group', 'set-policies', id, '--visibility', 'authenticated', '--join-requests', '--signup-fields', 'institution,department'],
      alice,
    );
    assertOk(policies, 'set-policies');
    assert.equal(policies.json.group_visibility, 'authenticated');
    assert.equal(policies.json.join_requests, true);
    assert.deepEqual([...policies.json.signup_fields].sort(), ['department', 'institution']);
    // Requests to join would need those fields filled in first; clear them for the join --request below.
    const cleared = await run(['-F', 'json', 'group', 'set-policies', id, '--signup-fields', ''], alice);
    assertOk(cleared, 'set-policies --signup-fields ""');
    assert.deepEqual(cleared.json.signup_fields, []);
    assert.equal(cleared.json.join_requests, true, 'unnamed policies keep their values');
    const shown = await run(['group', 'show', id], alice);
    assertOk(shown, 'show');
    assert.match(shown.stdout, /visibility:\s+authenticated/);
    assert.match(shown.stdout, /roles:\s+admin/);

    const invited = await run(['group', 'member', 'invite', id, 'bob@localhost'], alice);
    assertOk(invited, 'invite');
    assert.match(invited.stdout, /bob@localhost \([0-9a-f-]{36}\) invited to group/);
    const accepted = await run(['-F', 'json', 'group', 'invite', 'accept', id], bob);
    assertOk(accepted, 'accept');
    assert.equal(accepted.json.accept[0].status, 'active');
    const bobsGroups = await run(['-F', 'json', 'group', 'list'], bob);
    assert.ok((bobsGroups.json as any[]).some((g) => g.id === id));

    const left = await run(['-F', 'json', 'group', 'leave', id], bob);
    assertOk(left, 'leave');
    const request = await run(['-F', 'json', 'group', 'join', id, '--request'], bob);
    assertOk(request, 'join --request');
    assert.equal(request.json.request_join[0].status, 'pending');
    const approved = await run(['-F', 'json', 'group', 'member', 'approve', id, 'bob@localhost'], alice);
    assertOk(approved, 'approve');
    assert.equal(approved.json.approve[0].status, 'active');

    const forbidden = await run(['group', 'delete', id], bob);
    assert.equal(forbidden.code, 1);
    assert.match(forbidden.stderr, /HTTP status: 403/);
    const deleted = await run(['-F', 'json', 'group', 'delete', id], alice);
    assertOk(deleted, 'delete');
    const missing = await run(['-F', 'json', 'group', 'show', id], alice);
    assert.equal(missing.code, 1);
    assert.match(JSON.parse(missing.stderr).code, /NOT_FOUND/);
  });

  test('a refresh token revoked elsewhere: the error says to log in again', async () => {
    const file = path.join(bob.HOME!, '.config', 'gatehouse', 'tokens.json');
    const login = JSON.parse(fs.readFileSync(file, 'utf8')).logins[new URL(server.url).origin];
    const res = await server.fetch(`${server.url}/v2/oauth2/token/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: login.tokens['auth.globus.org'].refresh_token, client_id: login.client_id }).toString(),
    });
    assert.equal(res.status, 200);
    const who = await run(['whoami'], bob);
    assert.equal(who.code, 1);
    assert.match(who.stderr, /invalid_grant/);
    assert.match(who.stderr, /gatehouse login/);
  });

  test('auth user list and set-password: the new password signs in, the old one no longer does', async () => {
    const listed = await run(['-F', 'json', 'auth', 'user', 'list'], local);
    assertOk(listed, 'auth user list');
    const names = (JSON.parse(listed.stdout) as Array<{ username: string }>).map((u) => u.username);
    assert.ok(
      ['alice@localhost', 'bob@localhost'].every((n) => names.includes(n)),
      names.join(),
    );
    assert.ok(!names.some((n) => n.endsWith('@clients.auth.globus.org')), 'clients are not users');
    const fresh = 'a brand new passphrase';
    assertOk(await run(['auth', 'user', 'set-password', 'bob', '--password-stdin'], local, `${fresh}\n`), 'set-password');
    await assert.rejects(cliLoginEnv(bob, 'bob'), 'the old password is refused');
    assertOk(await cliLogin(server, bob, bob.GATEHOUSE_LOGIN_CLIENT_ID, 'bob', fresh), 'login with the new password');
    const nobody = await run(['auth', 'user', 'set-password', 'nobody', '--password-stdin'], local, 'x\n');
    assert.equal(nobody.code, 1);
    assert.match(nobody.stderr, /No local user nobody/);
  });
});
