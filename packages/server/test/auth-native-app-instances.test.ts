// Native app instances (globus-cli's template call) act only for the person who signs in through them; other clients need a person.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, makeClient, makeUser, basic, postForm, signInForCode, storeName, type TestServer } from './helpers/server.ts';

const TEMPLATE = '95fdeba8-fac2-42bd-a357-e068d82ff78e';
const MANAGE_PROJECTS = 'urn:globus:auth:scope:auth.globus.org:manage_projects';

async function templateCall(server: TestServer, name = 'Globus CLI', headers: Record<string, string> = {}) {
  const res = await server.fetch(`${server.url}/v2/api/clients`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ client: { template_id: TEMPLATE, name } }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

async function createClientCall(server: TestServer, token: string | undefined, client: Record<string, unknown>) {
  const res = await server.fetch(`${server.url}/v2/api/clients`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ client }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

describe(`native app instances (${storeName})`, () => {
  let server: TestServer;
  let now = Date.now();
  before(async () => {
    server = await startTestServer({ nativeAppInstanceRateLimit: 3, clock: () => now });
    await makeUser(server, 'alice@localhost', 'alice-password-1');
  });
  after(() => server.stop());

  it('makes an instance without a token, but refuses it the client_credentials grant', async () => {
    const made = await templateCall(server);
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const { client, secret } = made.body.included.client_credential;
    assert.ok(secret, 'globus-cli reads included.client_credential.secret');
    assert.ok(!made.body.client.grant_types.includes('client_credentials'));
    const token = await postForm(server, '/v2/oauth2/token', { grant_type: 'client_credentials', scope: 'openid' }, { authorization: basic(client, secret) });
    assert.equal(token.status, 400, JSON.stringify(token.body));
    assert.equal(token.body.error, 'unauthorized_client');
    assert.equal(token.body.errors[0].code, 'unauthorized_client');
  });

  it('acts for the person who signs in through it: code, refresh, and that person may create clients', async () => {
    const made = await templateCall(server);
    const { client, secret } = made.body.included.client_credential;
    const redirect = `${server.url}/v2/web/auth-code`;
    const code = await signInForCode(
      server,
      { client_id: client, redirect_uri: redirect, scope: `openid ${MANAGE_PROJECTS}`, response_type: 'code' },
      'alice',
      'alice-password-1',
    );
    const tokens = await postForm(
      server,
      '/v2/oauth2/token',
      { grant_type: 'authorization_code', code, redirect_uri: redirect },
      { authorization: basic(client, secret) },
    );
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    const refreshed = await postForm(
      server,
      '/v2/oauth2/token',
      { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token },
      { authorization: basic(client, secret) },
    );
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));

    const person = await createClientCall(server, tokens.body.access_token, { name: 'alice portal', redirect_uris: ['https://portal.example.org/cb'] });
    assert.equal(person.status, 201, JSON.stringify(person.body));
    assert.ok(person.body.client.grant_types.includes('client_credentials'), 'a person\u2019s own client is an ordinary confidential client');
    const own = person.body.included.client_credential;
    const cc = await postForm(
      server,
      '/v2/oauth2/token',
      { grant_type: 'client_credentials', scope: 'openid' },
      { authorization: basic(own.client, own.secret) },
    );
    assert.equal(cc.status, 200);
  });

  it('refuses every other client creation without a person\u2019s token', async () => {
    const anonymous = await createClientCall(server, undefined, { name: 'open registration' });
    assert.equal(anonymous.status, 401, JSON.stringify(anonymous.body));
    assert.equal(anonymous.body.errors[0].code, 'UNAUTHORIZED');
    const other = await createClientCall(server, undefined, { name: 'x', template_id: '00000000-0000-4000-8000-000000000000' });
    assert.equal(other.status, 400);
    // A client's own token is not a person.
    const robot = await makeClient(server, 'robot');
    const robotToken = await postForm(
      server,
      '/v2/oauth2/token',
      { grant_type: 'client_credentials', scope: MANAGE_PROJECTS },
      { authorization: basic(robot.id, robot.secret) },
    );
    assert.equal(robotToken.status, 200);
    const byRobot = await createClientCall(server, robotToken.body.access_token, { name: 'spawned' });
    assert.equal(byRobot.status, 403, JSON.stringify(byRobot.body));
  });

  it('limits instances per client address, counted in the store and shared by every process on it', async () => {
    // Another process on the same store (same SQLite file, same PostgreSQL database) shares the count.
    const twin = await startTestServer({ dataDir: server.dataDir, databaseUrl: server.databaseUrl, nativeAppInstanceRateLimit: 3, clock: () => now });
    try {
      now += 2 * 3600_000; // a fresh window: the instances made above no longer count
      assert.equal((await templateCall(server)).status, 201);
      assert.equal((await templateCall(twin)).status, 201);
      assert.equal((await templateCall(server)).status, 201);
      for (const s of [server, twin]) {
        const refused = await templateCall(s);
        assert.equal(refused.status, 429, JSON.stringify(refused.body));
        assert.equal(refused.body.errors[0].code, 'TOO_MANY_REQUESTS');
        assert.ok(Number(refused.headers.get('retry-after')) > 0);
      }
      now += 3601_000;
      assert.equal((await templateCall(twin)).status, 201, 'the window moves on');
    } finally {
      await twin.close();
      await twin.dispatcher.close();
    }
  });
});

describe(`GATEHOUSE_NATIVE_APP_TEMPLATES=off (${storeName})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ nativeAppTemplates: 'off' });
  });
  after(() => server.stop());

  it('turns template instances off', async () => {
    const refused = await templateCall(server);
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.match(refused.body.errors[0].detail, /turned off/);
  });
});
