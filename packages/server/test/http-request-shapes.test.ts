// Request shapes no route expects: a repeated single-valued query parameter and JSON nested past the bound are 400s in each API's envelope, never 500s.
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clientCredentials, getJson, startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { api, groupsToken } from './helpers/gcs.ts';
import { setupGuest, transferToken } from './transfer-access-helpers.ts';
import { MAX_JSON_DEPTH, jsonDepth } from '../src/http/json-body.ts';

const MANAGE_PROJECTS = 'urn:globus:auth:scope:auth.globus.org:manage_projects';

/** A JSON text whose one member holds objects nested `depth` deep. */
const nested = (member: string, depth: number) => `{"${member}":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;

function send(server: TestServer, token: string, method: string, route: string, body: string) {
  return getJson(server, route, token, { method, body, headers: { 'content-type': 'application/json' } });
}

describe('jsonDepth', () => {
  test('counts arrays and objects, not brackets inside strings, and stops past the limit', () => {
    assert.equal(jsonDepth('1'), 0);
    assert.equal(jsonDepth('{"a":[{"b":[]}]}'), 4);
    assert.equal(jsonDepth('{"a":"[[[[{{{{\\"[[["}'), 1);
    assert.equal(jsonDepth('['.repeat(100_000), 64), 65);
  });
});

describe(`request shapes no route expects (${storeName})`, () => {
  let server: TestServer;
  let world: Awaited<ReturnType<typeof setupGuest>>;
  let transfer: string;

  before(async () => {
    server = await startTestServer();
    world = await setupGuest(server);
    transfer = await transferToken(server, world.maker);
  });
  after(async () => {
    await server?.stop();
    if (world) fs.rmSync(world.root, { recursive: true, force: true });
  });

  test('a repeated single-valued query parameter is a 400 in the Transfer envelope', async () => {
    for (const op of ['stat', 'ls']) {
      const res = await getJson(server, `/v0.10/operation/endpoint/${world.guestId}/${op}?path=/a&path=/b`, transfer);
      assert.equal(res.status, 400, `${op}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.code, 'BadRequest');
      assert.equal(res.body.resource, `/operation/endpoint/${world.guestId}/${op}`);
      assert.match(res.body.message, /path/);
    }
    // A list parameter may still be repeated, as the SDKs send a list of filters: the request gets past
    // validation to the route (which refuses it here only because the guest's account is not on this host).
    const listed = await getJson(server, `/v0.10/operation/endpoint/${world.guestId}/ls?path=/&filter=type:file&filter=name:~x*`, transfer);
    assert.equal(listed.status, 403, JSON.stringify(listed.body));
    assert.match(listed.body.message, /Local account/);
  });

  test('a repeated single-valued query parameter is a 400 in the GCS envelope', async () => {
    const res = await api(server, world.admin.token, 'GET', `/api/collections?mapped_collection_id=${world.mappedId}&mapped_collection_id=${world.guestId}`);
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.http_response_code, 400);
  });

  test(`JSON nested deeper than ${MAX_JSON_DEPTH} is a 400 in each API's envelope`, async () => {
    const deep = 10_000;
    const depthMessage = new RegExp(`deeper than ${MAX_JSON_DEPTH}`);

    const gcs = await send(server, world.admin.token, 'PATCH', `/api/collections/${world.mappedId}`, nested('associated_flow_policy', deep));
    assert.equal(gcs.status, 400, JSON.stringify(gcs.body));
    assert.equal(gcs.body.http_response_code, 400);
    assert.match(gcs.body.message, depthMessage);

    const groups = await groupsToken(server, world.admin);
    const group = await api(server, groups, 'POST', '/v2/groups', { name: 'deep' });
    assert.equal(group.status, 201, JSON.stringify(group.body));
    const groupRes = await send(server, groups, 'PUT', `/v2/groups/${group.body.id}`, nested('description', deep));
    assert.equal(groupRes.status, 400, JSON.stringify(groupRes.body));
    assert.equal(groupRes.body.code, 'BAD_REQUEST');
    assert.match(groupRes.body.message, depthMessage);

    const auth = (await clientCredentials(server, world.admin, MANAGE_PROJECTS)).access_token as string;
    const policy = await api(server, auth, 'POST', '/v2/api/policies', { policy: { display_name: 'P', description: '' } });
    assert.equal(policy.status, 201, JSON.stringify(policy.body));
    const authRes = await send(server, auth, 'PUT', `/v2/api/policies/${policy.body.policy.id}`, `{"policy":${nested('description', deep)}}`);
    assert.equal(authRes.status, 400, JSON.stringify(authRes.body));
    assert.equal(authRes.body.errors[0].status, '400');
    assert.match(authRes.body.errors[0].detail, depthMessage);

    const transferRes = await send(server, transfer, 'POST', `/v0.10/endpoint/${world.guestId}/access`, nested('path', deep));
    assert.equal(transferRes.status, 400, JSON.stringify(transferRes.body));
    assert.equal(transferRes.body.code, 'BadRequest');
    assert.match(transferRes.body.message, depthMessage);

    // Within the bound the body is parsed and judged by the route as before.
    const shallow = await send(server, world.admin.token, 'PATCH', `/api/collections/${world.mappedId}`, nested('keywords', MAX_JSON_DEPTH - 1));
    assert.equal(shallow.status, 422, JSON.stringify(shallow.body));
    assert.doesNotMatch(shallow.body.message, depthMessage);
    const fine = await api(server, world.admin.token, 'PATCH', `/api/collections/${world.mappedId}`, { description: 'still [[[ fine' });
    assert.equal(fine.status, 200, JSON.stringify(fine.body));
  });
});
