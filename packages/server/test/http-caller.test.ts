// One request path: every service identifies its caller before it reads the body, so 401 comes before 400/422 alike, each in its own envelope.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { api, groupsToken, makeActor, type Actor } from './helpers/gcs.ts';
import { dataToken, makeWorld, rawRequest, transferToken } from './helpers/data.ts';

/** A route of each service that needs a token and takes a body, with the envelope member that carries its code. */
interface Case {
  service: string;
  method: string;
  path: () => string;
  /** a body its schema refuses */
  bad: unknown;
  token: () => Promise<string>;
  /** the code of a missing or bad token in this service's words */
  unauthorized: string;
  code: (body: any) => string;
}

describe(`the caller is identified before the body is read, in every service (${storeName})`, () => {
  let server: TestServer;
  let actor: Actor;
  const guest = randomUUID();
  const cases: Case[] = [
    {
      service: 'GCS Manager',
      method: 'POST',
      path: () => '/api/roles',
      bad: { DATA_TYPE: 'role#1.0.0', role: 42 },
      token: async () => actor.token,
      unauthorized: 'not_authorized',
      code: (b) => b.code,
    },
    {
      service: 'Groups',
      method: 'POST',
      path: () => '/v2/groups',
      bad: { name: 42 },
      token: () => groupsToken(server, actor),
      unauthorized: 'AUTHENTICATION_ERROR',
      code: (b) => b.code,
    },
    {
      service: 'Transfer access rules',
      method: 'POST',
      path: () => `/v0.10/endpoint/${guest}/access`,
      bad: { DATA_TYPE: 'access', principal_type: 42 },
      token: () => transferToken(server, actor),
      unauthorized: 'AuthenticationFailed',
      code: (b) => b.code,
    },
    {
      service: 'Transfer file operations',
      method: 'POST',
      path: () => `/v0.10/operation/endpoint/${guest}/mkdir`,
      bad: { DATA_TYPE: 'mkdir', path: 42 },
      token: () => transferToken(server, actor),
      unauthorized: 'AuthenticationFailed',
      code: (b) => b.code,
    },
    {
      service: 'Transfer delete',
      method: 'POST',
      path: () => '/v0.10/delete',
      bad: { DATA_TYPE: 'delete', DATA: 'not a list' },
      token: () => transferToken(server, actor),
      unauthorized: 'ClientError.AuthenticationFailed',
      code: (b) => b.code,
    },
  ];

  before(async () => {
    server = await startTestServer();
    actor = await makeActor(server, 'caller');
  });
  after(() => server?.stop());

  for (const c of cases) {
    test(`${c.service}: no token and a bad token are 401 whatever the body; a good token reaches the body's 4xx`, async () => {
      const missing = await api(server, undefined, c.method, c.path(), c.bad);
      assert.equal(missing.status, 401, JSON.stringify(missing.body));
      assert.equal(c.code(missing.body), c.unauthorized);
      const invalid = await api(server, 'not-a-token', c.method, c.path(), c.bad);
      assert.equal(invalid.status, 401, JSON.stringify(invalid.body));
      assert.equal(c.code(invalid.body), c.unauthorized);
      const good = await api(server, await c.token(), c.method, c.path(), c.bad);
      assert.ok(good.status === 400 || good.status === 422, `${good.status} ${JSON.stringify(good.body)}`);
    });
  }

  test('a token for another service is 401 before the body is read', async () => {
    const groups = await groupsToken(server, actor);
    const res = await api(server, groups, 'POST', `/v0.10/endpoint/${guest}/access`, { DATA_TYPE: 'access', principal_type: 42 });
    assert.equal(res.status, 401);
    assert.equal(res.body.code, 'AuthenticationFailed');
    assert.match(res.body.message, /not for transfer\.api\.globus\.org/);
  });

  test('routes that serve anonymous callers still refuse a bad token', async () => {
    assert.equal((await api(server, undefined, 'GET', '/api/endpoint')).status, 200);
    assert.equal((await api(server, 'not-a-token', 'GET', '/api/endpoint')).status, 401);
    assert.equal((await api(server, 'not-a-token', 'GET', '/api/info')).status, 200, '/api/info reads no token at all');
    assert.equal((await api(server, 'not-a-token', 'GET', `/v0.10/endpoint/${server.endpointId}`)).status, 401);
  });

  test('the data plane: a refused token is a 401 naming the collection, before a bad path is looked at', async () => {
    const world = await makeWorld(server);
    try {
      const path = `/data/${world.mappedId}/a/%2e%2e/b`;
      const get = (token: string) => rawRequest(server, { method: 'GET', path, headers: { authorization: `Bearer ${token}` } });
      for (const token of ['not-a-token', await transferToken(server, world.alice)]) {
        const refused = await get(token);
        assert.equal(refused.status, 401, refused.body.toString());
        assert.equal(refused.json().code, 'AuthenticationRequired');
        assert.match(String(refused.headers['www-authenticate']), new RegExp(`realm="${world.mappedId}", error="invalid_token"`));
        assert.ok(refused.json().authorization_parameters.required_scopes.includes(`https://auth.globus.org/scopes/${world.mappedId}/https`));
      }
      const good = await get(await dataToken(server, world.alice, world.mappedId, true));
      assert.equal(good.status, 400, good.body.toString());
      assert.equal(good.json().code, 'invalid_path');
    } finally {
      world.cleanup();
    }
  });
});
