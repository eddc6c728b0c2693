// Concurrent writes to one stored document keep every acknowledged change, and limits hold under concurrency, on both stores and across two processes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  clientCredentials,
  getJson,
  makeClient,
  serveProcess,
  startTestServer,
  stopProcess,
  storeName,
  trustingFetch,
  type ServerProcess,
  type TestServer,
} from './helpers/server.ts';
import { api, dataAccess, grantRole, groupsToken, localName, makeActor, setupMapped, tokenWith, type Actor } from './helpers/gcs.ts';
import { statusCounts, together } from './helpers/races.ts';
import { GUEST_LIMITS } from '../src/authz/gcs.ts';

const MANAGE_PROJECTS = 'urn:globus:auth:scope:auth.globus.org:manage_projects';

/** A field of a document and the value round r gives it: each round changes every field. */
type Field = [name: string, value: (r: number) => unknown];

const text = (name: string): Field => [name, (r) => `${name} round ${r}`];

const COLLECTION_FIELDS: Field[] = [
  text('display_name'),
  text('organization'),
  text('department'),
  text('description'),
  text('contact_info'),
  text('user_message'),
  ['contact_email', (r) => `round${r}@example.org`],
  ['info_link', (r) => `https://example.org/round/${r}`],
  ['user_message_link', (r) => `https://example.org/message/${r}`],
  ['default_directory', (r) => `/round${r}/`],
  ['keywords', (r) => [`keyword-${r}`]],
  ['sharing_users_allow', (r) => [`allowed-${r}`]],
  ['sharing_users_deny', (r) => [`denied-${r}`]],
  ['acl_expiration_mins', (r) => 100 + r],
  ['auto_delete_timeout', (r) => 10 + r],
  ['preserve_modtime', (r) => ['inbound', 'outbound', 'all'][r % 3]],
  ['force_encryption', (r) => r % 2 === 0],
  ['disable_anonymous_writes', (r) => r % 2 === 0],
];

const GATEWAY_FIELDS: Field[] = [
  text('display_name'),
  text('process_user'),
  text('load_dsi_module'),
  ['users_allow', (r) => [`allowed-${r}`]],
  ['users_deny', (r) => [`denied-${r}`]],
  ['allowed_domains', (r) => [`round${r}.example.org`]],
  ['authentication_timeout_mins', (r) => 1000 + r],
  ['max_concurrency', (r) => 10 + r],
  ['max_parallelism', (r) => 20 + r],
  ['preferred_concurrency', (r) => 30 + r],
  ['preferred_parallelism', (r) => 40 + r],
];

const ENDPOINT_FIELDS: Field[] = [
  text('display_name'),
  text('organization'),
  text('department'),
  text('description'),
  text('contact_info'),
  ['contact_email', (r) => `round${r}@example.org`],
  ['info_link', (r) => `https://example.org/round/${r}`],
  ['keywords', (r) => [`keyword-${r}`]],
  ['allow_udt', (r) => r % 2 === 0],
  ['max_concurrency', (r) => 10 + r],
  ['max_parallelism', (r) => 20 + r],
  ['preferred_concurrency', (r) => 30 + r],
  ['preferred_parallelism', (r) => 40 + r],
  ['gridftp_control_channel_port', (r) => 2000 + r],
];

const AUTH_POLICY_FIELDS: Field[] = [
  text('display_name'),
  text('description'),
  ['required_mfa', (r) => r % 2 === 0],
  ['authentication_assurance_timeout', (r) => 600 + r],
  ['domain_constraints_include', (r) => [`in${r}.example.org`]],
  ['domain_constraints_exclude', (r) => [`out${r}.example.org`]],
];

const GROUP_POLICY_FIELDS: Field[] = [
  ['group_visibility', (r) => (r % 2 === 0 ? 'authenticated' : 'private')],
  ['group_members_visibility', (r) => (r % 2 === 0 ? 'members' : 'managers')],
  ['join_requests', (r) => r % 2 === 0],
  ['signup_fields', (r) => (r % 2 === 0 ? ['institution'] : ['department'])],
  ['authentication_assurance_timeout', (r) => 3600 + r],
];

const ROUNDS = 3;

/**
 * Every field of `fields` written by its own request, all at once, for ROUNDS rounds: after each round the
 * document must hold every value sent. Returns the changes lost, as `round: field` lines.
 */
async function lostUpdates(
  fields: Field[],
  write: (name: string, value: unknown) => Promise<{ status: number; body: unknown }>,
  read: () => Promise<Record<string, unknown>>,
): Promise<string[]> {
  const lost: string[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const answers = await together(fields.length, (i) => write(fields[i][0], fields[i][1](r)));
    for (const [i, a] of answers.entries()) assert.equal(a.status, 200, `${fields[i][0]}: ${JSON.stringify(a.body)}`);
    const doc = await read();
    for (const [name, value] of fields) if (JSON.stringify(doc[name]) !== JSON.stringify(value(r))) lost.push(`${r}: ${name}`);
  }
  return lost;
}

describe(`concurrent updates of one document (${storeName})`, () => {
  let server: TestServer;
  let admin: Actor;
  let gatewayId: string;
  let mappedId: string;

  before(async () => {
    server = await startTestServer();
    admin = await makeActor(server, 'ep admin');
    await grantRole(server, admin.id, 'administrator');
    ({ gatewayId, mappedId } = await setupMapped(server, admin));
  });
  after(async () => server?.stop());

  test(`${COLLECTION_FIELDS.length * ROUNDS} concurrent collection PATCHes, each setting another field: every change is kept`, async () => {
    const lost = await lostUpdates(
      COLLECTION_FIELDS,
      (name, value) => api(server, admin.token, 'PATCH', `/api/collections/${mappedId}`, { DATA_TYPE: 'collection#1.16.0', [name]: value }),
      async () => (await api(server, admin.token, 'GET', `/api/collections/${mappedId}?include=private_policies`)).body.data[0],
    );
    assert.deepEqual(lost, []);
  });

  test('allow_guest_collections: false sent among 20 other PATCHes is kept, 5 rounds', async () => {
    const reverted: number[] = [];
    for (let round = 0; round < 5; round++) {
      assert.equal((await api(server, admin.token, 'PATCH', `/api/collections/${mappedId}`, { allow_guest_collections: true })).status, 200);
      const answers = await together(21, (i) =>
        api(
          server,
          admin.token,
          'PATCH',
          `/api/collections/${mappedId}`,
          i === 10 ? { allow_guest_collections: false } : { description: `other change ${round}.${i}` },
        ),
      );
      assert.deepEqual(statusCounts(answers), { 200: 21 });
      const doc = (await api(server, admin.token, 'GET', `/api/collections/${mappedId}`)).body.data[0];
      if (doc.allow_guest_collections !== false) reverted.push(round);
    }
    assert.deepEqual(reverted, [], 'rounds in which allow_guest_collections came back');
  });

  test(`${GATEWAY_FIELDS.length * ROUNDS} concurrent storage gateway PATCHes: every change is kept`, async () => {
    const lost = await lostUpdates(
      GATEWAY_FIELDS,
      (name, value) => api(server, admin.token, 'PATCH', `/api/storage_gateways/${gatewayId}`, { DATA_TYPE: 'storage_gateway#1.3.0', [name]: value }),
      async () => (await api(server, admin.token, 'GET', `/api/storage_gateways/${gatewayId}?include=private_policies`)).body.data[0],
    );
    assert.deepEqual(lost, []);
  });

  test(`${ENDPOINT_FIELDS.length * ROUNDS} concurrent endpoint PATCHes: every change is kept`, async () => {
    const lost = await lostUpdates(
      ENDPOINT_FIELDS,
      (name, value) => api(server, admin.token, 'PATCH', '/api/endpoint', { DATA_TYPE: 'endpoint#1.2.0', [name]: value }),
      async () => (await api(server, admin.token, 'GET', '/api/endpoint')).body.data[0],
    );
    assert.deepEqual(lost, []);
  });

  test('the same role created 10 times at once: one is created, the others are told it exists', async () => {
    const principal = `urn:globus:auth:identity:${randomUUID()}`;
    for (const collection of [null, mappedId]) {
      const answers = await together(10, () =>
        api(server, admin.token, 'POST', '/api/roles', {
          DATA_TYPE: 'role#1.0.0',
          collection,
          principal,
          role: collection ? 'access_manager' : 'activity_monitor',
        }),
      );
      assert.deepEqual(
        statusCounts(answers),
        { 200: 1, 409: 9 },
        JSON.stringify(answers.filter((a) => a.status !== 200 && a.status !== 409).map((a) => a.body)),
      );
      const listed = await api(server, admin.token, 'GET', `/api/roles?include=all_roles${collection ? `&collection_id=${collection}` : ''}`);
      assert.equal(listed.body.data.filter((r: { principal: string }) => r.principal === principal).length, 1);
    }
  });

  test('one client asking for the same dependent consent 10 times at once: each scope node is consented once', async () => {
    const client = await makeClient(server, 'consenting at once');
    const scope = `urn:globus:auth:scope:transfer.api.globus.org:all[${dataAccess(mappedId)}]`;
    await together(10, () => clientCredentials(server, client, scope));
    const token = (await clientCredentials(server, client, 'openid')).access_token as string;
    const res = await getJson(server, `/v2/api/identities/${client.id}/consents?all=true`, token);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const names = (res.body.consents as Array<{ scope_name: string }>).map((c) => c.scope_name).sort();
    assert.deepEqual(names, [...new Set(names)], JSON.stringify(res.body.consents));
  });

  test(`${AUTH_POLICY_FIELDS.length * ROUNDS} concurrent Auth policy updates: every change is kept`, async () => {
    const token = (await clientCredentials(server, admin, MANAGE_PROJECTS)).access_token as string;
    const created = await api(server, token, 'POST', '/v2/api/policies', { policy: { display_name: 'P', description: '' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.policy.id;
    const lost = await lostUpdates(
      AUTH_POLICY_FIELDS,
      (name, value) => api(server, token, 'PUT', `/v2/api/policies/${id}`, { policy: { [name]: value } }),
      async () => (await api(server, token, 'GET', `/v2/api/policies/${id}`)).body.policy,
    );
    assert.deepEqual(lost, []);
  });

  test(`${GROUP_POLICY_FIELDS.length * ROUNDS} concurrent group policy updates: every change is kept`, async () => {
    const token = await groupsToken(server, admin);
    const created = await api(server, token, 'POST', '/v2/groups', { name: 'concurrent' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id;
    const lost = await lostUpdates(
      GROUP_POLICY_FIELDS,
      (name, value) => api(server, token, 'PUT', `/v2/groups/${id}/policies`, { [name]: value }),
      async () => (await api(server, token, 'GET', `/v2/groups/${id}/policies`)).body,
    );
    assert.deepEqual(lost, []);
  });
});

describe(`the guest collection limit under concurrency, two processes on one store (${storeName})`, () => {
  let server: TestServer;
  let other: ServerProcess;
  let otherFetch: ReturnType<typeof trustingFetch>;

  before(async () => {
    server = await startTestServer();
    other = await serveProcess(server.dataDir, server.databaseUrl);
    otherFetch = trustingFetch(fs.readFileSync(other.info.ca_certificate, 'utf8'));
  });
  after(async () => {
    if (other) await stopProcess(other);
    await otherFetch?.dispatcher.close();
    await server?.stop();
  });

  test(`an identity 3 short of ${GUEST_LIMITS.perOwner} guests gets exactly 3 more, whichever process and mapped collection it asks`, async () => {
    const admin = await makeActor(server, 'ep admin');
    await grantRole(server, admin.id, 'administrator');
    const roots = [fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-limit-a-')), fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-limit-b-'))];
    const worlds = [await setupMapped(server, admin, { collection_base_path: roots[0] }), await setupMapped(server, admin, { collection_base_path: roots[1] })];
    const maker = await makeActor(server, 'guest maker');
    const tokens: string[] = [];
    for (const w of worlds) {
      tokens.push(await tokenWith(server, maker, dataAccess(w.mappedId)));
      const cred = await api(server, tokens.at(-1)!, 'POST', '/api/user_credentials', { storage_gateway_id: w.gatewayId, username: localName(maker) });
      assert.equal(cred.status, 201, JSON.stringify(cred.body));
    }
    // The guests the identity already has, written straight into the store: creating them one by one would take minutes.
    const missing = 3;
    const credential = (
      await server.store.db
        .selectFrom('user_credentials')
        .select('id')
        .where('identity_id', '=', maker.id)
        .where('storage_gateway_id', '=', worlds[0].gatewayId)
        .executeTakeFirstOrThrow()
    ).id;
    const now = Math.floor(Date.now() / 1000);
    const rows = Array.from({ length: GUEST_LIMITS.perOwner - missing }, (_, i) => ({
      id: randomUUID(),
      collection_type: 'guest',
      storage_gateway_id: worlds[0].gatewayId,
      mapped_collection_id: worlds[0].mappedId,
      identity_id: maker.id,
      user_credential_id: credential,
      public: 1,
      domain_name: `g-seed${i}.example.org`,
      document: JSON.stringify({ display_name: `seed ${i}`, collection_base_path: '/' }),
      created_at: now,
    }));
    await server.store.tx(async (db) => {
      for (let i = 0; i < rows.length; i += 200)
        await db
          .insertInto('collections')
          .values(rows.slice(i, i + 200))
          .execute();
    });

    // Twenty at once: half through this process, half through the other, alternating mapped collections.
    const answers = await together(20, (i) => {
      const w = i % 2;
      const body = JSON.stringify({
        DATA_TYPE: 'collection#1.2.0',
        collection_type: 'guest',
        display_name: `race ${i}`,
        public: true,
        collection_base_path: '/',
        mapped_collection_id: worlds[w].mappedId,
      });
      const init = { method: 'POST', body, headers: { authorization: `Bearer ${tokens[w]}`, 'content-type': 'application/json' } };
      return i < 10
        ? getJson(server, '/api/collections', undefined, init)
        : otherFetch.fetch(`${other.url}/api/collections`, init).then(async (res) => ({ status: res.status, body: await res.json() }));
    });
    assert.deepEqual(
      statusCounts(answers),
      { 201: missing, 403: 20 - missing },
      JSON.stringify(answers.filter((a) => a.status !== 201 && a.status !== 403).map((a) => a.body)),
    );
    for (const a of answers) if (a.status === 403) assert.equal((a.body as any).detail?.DATA_TYPE, 'limit_exceeded#1.0.0');
    const owned = await server.store.db
      .selectFrom('collections')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('identity_id', '=', maker.id)
      .where('collection_type', '=', 'guest')
      .executeTakeFirstOrThrow();
    assert.equal(Number(owned.n), GUEST_LIMITS.perOwner);
    for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
  });
});
