// The seed-000 token grant performed by the real @globus/sdk as an outside client: one token per resource server.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { auth } from '@globus/sdk';
import { startTestServer, makeClient, storeName, getJson, type TestServer } from './helpers/server.ts';
import { grantRole, makeActor, setupMapped, dataAccess } from './helpers/gcs.ts';
import { findByUsername } from '@gatehouse/server';

describe(`Auth via @globus/sdk (${storeName})`, () => {
  let server: TestServer;
  let agent: https.Agent;
  let mappedId: string;
  const previous = process.env.GLOBUS_SDK_SERVICE_URL_AUTH;
  before(async () => {
    server = await startTestServer();
    agent = new https.Agent({ ca: server.ca });
    process.env.GLOBUS_SDK_SERVICE_URL_AUTH = `${server.url}/`;
    const admin = await makeActor(server, 'endpoint admin');
    await grantRole(server, admin.id, 'administrator');
    ({ mappedId } = await setupMapped(server, admin));
  });
  after(async () => {
    if (previous === undefined) delete process.env.GLOBUS_SDK_SERVICE_URL_AUTH;
    else process.env.GLOBUS_SDK_SERVICE_URL_AUTH = previous;
    agent.destroy();
    await server.stop();
  });

  const sdk = () => ({ fetch: { options: { agent } } }) as any;

  it('client credentials for manage_collections[data_access]: one token per resource server and the consent tree', async () => {
    const client = await makeClient(server, 'seed-000 client');
    const manage = `urn:globus:auth:scope:${server.endpointId}:manage_collections`;
    const res = await auth.oauth2.token.token(
      {
        payload: {
          grant_type: 'client_credentials',
          scope: `openid urn:globus:auth:scope:auth.globus.org:view_identity_set ${manage}[${dataAccess(mappedId)}]`,
        } as any,
        headers: { Authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}` },
      },
      sdk(),
    );
    assert.equal(res.status, 200);
    const body = (await res.json()) as any;
    assert.equal(body.resource_server, 'auth.globus.org');
    assert.equal(body.other_tokens.length, 1);
    const gcs = body.other_tokens[0];
    assert.equal(gcs.resource_server, server.endpointId);
    assert.equal(gcs.scope, manage);

    const consents = await auth.identities.consents.getAll(
      client.id,
      { query: { all: true } as any, headers: { Authorization: `Bearer ${body.access_token}` } },
      sdk(),
    );
    assert.equal(consents.status, 200);
    const list = ((await consents.json()) as any).consents;
    const root = list.find((c: any) => c.scope_name === manage);
    const dep = list.find((c: any) => c.scope_name === dataAccess(mappedId));
    assert.deepEqual(dep.dependency_path, [root.id, dep.id]);

    // The GCS token carries the dependency: the server sees the data_access consent on it.
    const info = await getJson(server, `/api/collections/${mappedId}`, gcs.access_token);
    assert.equal(info.status, 200);
  });

  it('identities lookup, introspection and revocation through the SDK functions', async () => {
    const client = await makeClient(server, 'resource server');
    const basicAuth = { Authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}` };
    const tok = (await (
      await auth.oauth2.token.token(
        { payload: { grant_type: 'client_credentials', scope: 'urn:globus:auth:scope:auth.globus.org:view_identities' } as any, headers: basicAuth },
        sdk(),
      )
    ).json()) as any;
    const admin = await findByUsername(server.store.db, 'admin@localhost');
    const ids = await auth.identities.getAll(
      { query: { usernames: 'admin@localhost' } as any, headers: { Authorization: `Bearer ${tok.access_token}` } },
      sdk(),
    );
    assert.deepEqual(
      ((await ids.json()) as any).identities.map((i: any) => i.id),
      [admin!.id],
    );

    const intro = await auth.oauth2.token.introspect({ payload: { token: tok.access_token, include: 'identity_set' } as any, headers: basicAuth }, sdk());
    assert.equal(((await intro.json()) as any).active, true);
    const revoked = await auth.oauth2.token.revoke({ payload: { token: tok.access_token } as any, headers: basicAuth }, sdk());
    assert.equal(revoked.status, 200);
    const after = await auth.oauth2.token.introspect({ payload: { token: tok.access_token } as any, headers: basicAuth }, sdk());
    assert.deepEqual(await after.json(), { active: false });
  });
});
