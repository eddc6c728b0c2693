// Per-collection host names: wildcard and custom domains turn https_url into https://<collection host>, served by Host and SNI on the one listener (browser logins return there), through raw TLS, @globus/sdk gcs.https and our CollectionHTTPSClient.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { Agent, fetch as undiciFetch } from 'undici';
import { gcs as globusGcs, transfer as globusTransfer } from '@globus/sdk';
import { selfSigned } from './helpers/certs.ts';
import { followBrowserSignIn, makeUser, startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { api } from './helpers/gcs.ts';
import { addRule, dataToken, isRoot, makeWorld, plant, transferToken, type DataWorld } from './helpers/data.ts';
import { CollectionHTTPSClient } from '../../sdk/src/gcs/https.ts';
import { AccessTokenAuthorizer } from '../../sdk/src/authorizers/access-token.ts';

/** Every name resolves to this machine, as wildcard DNS for the data domain would arrange. */
const loopback = ((_host: string, options: unknown, callback?: unknown) => {
  const cb = (typeof options === 'function' ? options : callback) as (...args: unknown[]) => void;
  if (typeof options === 'object' && (options as { all?: boolean }).all) cb(null, [{ address: '127.0.0.1', family: 4 }]);
  else cb(null, '127.0.0.1', 4);
}) as unknown as net.LookupFunction;

interface HostResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json(): any;
  /** the SAN of the certificate the server presented for this name */
  san: string;
}

/** One request to `https://<host>:<port><path>` over a fresh TLS connection whose SNI and Host are `host`; the certificate must validate for `host` against `ca`. */
function viaHost(
  server: TestServer,
  host: string,
  o: { method?: string; path: string; headers?: Record<string, string>; body?: string; ca?: string },
): Promise<HostResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host,
        port: new URL(server.url).port,
        method: o.method ?? 'GET',
        path: o.path,
        headers: o.headers,
        ca: o.ca ?? server.ca,
        agent: false,
        lookup: loopback,
      },
      (res) => {
        const san = (res.socket as TLSSocket).getPeerCertificate().subjectaltname ?? '';
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const body = Buffer.concat(parts).toString();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body), san });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

describe(`collection host names (${storeName})`, { skip: isRoot ? false : 'needs root (useradd, per-account workers)' }, () => {
  let server: TestServer;
  let world: DataWorld;
  let port: string;
  let publicUrl: string;
  let aliceMapped: string;
  let aliceGuest: string;
  let certDir: string;
  const collection = async (id: string) => (await api(server, world.admin.token, 'GET', `/api/collections/${id}`)).body.data[0];
  const hostOf = async (id: string) => new URL((await collection(id)).https_url as string).hostname;
  const setEndpointDomain = async (body: Record<string, unknown>) => {
    const res = await api(server, world.admin.token, 'PUT', '/api/endpoint/domain', { DATA_TYPE: 'domain#1.0.0', ...body });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const xhr = { 'x-requested-with': 'XMLHttpRequest' };

  before(async () => {
    certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-certs-'));
    server = await startTestServer({ domain: 'gatehouse.test', tlsDomainCertDir: certDir });
    port = new URL(server.url).port;
    publicUrl = `https://gatehouse.test:${port}`;
    world = await makeWorld(server, {
      tree: (root, { owner, alice }) => {
        plant(root, 'shared/docs/a.txt', 'guest file', owner);
        plant(root, 'alice/a.txt', '0123456789', alice);
      },
    });
    aliceMapped = await dataToken(server, world.alice, world.mappedId, true);
    aliceGuest = await dataToken(server, world.alice, world.guestId, false);
    await addRule(server, world.owner, world.guestId, { principal_type: 'identity', principal: world.alice.id, path: '/', permissions: 'rw' });
  });
  after(async () => {
    await server?.stop();
    world?.cleanup();
    if (certDir) fs.rmSync(certDir, { recursive: true, force: true });
  });

  test('without a wildcard domain, https_url is the /data prefix of the main origin', async () => {
    const mapped = await collection(world.mappedId);
    assert.equal(mapped.https_url, `${publicUrl}/data/${world.mappedId}`);
    assert.match(mapped.domain_name, /^m-[0-9a-f]{6}\.gatehouse\.test$/);
    assert.equal(mapped.manager_url, publicUrl);
    const record = await api(server, await transferToken(server, world.alice), 'GET', `/v0.10/endpoint/${world.guestId}`);
    assert.equal(record.body.https_server, `${publicUrl}/data/${world.guestId}`);
    assert.equal((await api(server, undefined, 'GET', '/api/info')).body.data[0].domain_name, 'gatehouse.test');
    // A browser that came by another name is first sent to the collection's https_url, then to Auth from there.
    const browser = await server.fetch(`${server.url}/data/${world.mappedId}/alice/a.txt`, { redirect: 'manual' });
    assert.equal(browser.status, 302);
    assert.equal(browser.headers.get('location'), `${mapped.https_url}/alice/a.txt`);
    const there = await viaHost(server, 'gatehouse.test', { path: `/data/${world.mappedId}/alice/a.txt` });
    assert.equal(there.status, 302);
    const login = new URL(String(there.headers.location));
    assert.equal(login.searchParams.get('redirect_uri'), `${mapped.https_url}/.well-known/gatehouse-login`);
    assert.match(String(there.headers['set-cookie']), new RegExp(`gatehouse_login_${login.searchParams.get('state')}=.*; Path=/data/${world.mappedId};`));
  });

  test('an endpoint wildcard domain gives every collection its own origin; Transfer https_server follows', async () => {
    await setEndpointDomain({ domain_name: '*.gatehouse.test', wildcard: true });
    const mapped = await collection(world.mappedId);
    const guest = await collection(world.guestId);
    assert.match(mapped.domain_name, /^m-[0-9a-f]{6}\.gatehouse\.test$/);
    assert.match(guest.domain_name, /^g-[0-9a-f]{6}\.gatehouse\.test$/);
    assert.equal(mapped.https_url, `https://${mapped.domain_name}:${port}`);
    assert.equal(guest.https_url, `https://${guest.domain_name}:${port}`);
    assert.equal(guest.tlsftp_url, `tlsftp://${guest.domain_name}:443`);
    assert.equal(mapped.manager_url, publicUrl, 'the Manager stays on the main origin');
    const record = await api(server, await transferToken(server, world.alice), 'GET', `/v0.10/endpoint/${world.guestId}`);
    assert.equal(record.body.https_server, guest.https_url);
    assert.equal(record.body.gcs_manager_url, publicUrl);
  });

  test('GET, HEAD, PUT and DELETE at the collection host, over TLS that validates for that name, equal the /data form', async () => {
    const mappedHost = await hostOf(world.mappedId);
    const guestHost = await hostOf(world.guestId);
    const got = await viaHost(server, mappedHost, { path: '/alice/a.txt', headers: bearer(aliceMapped) });
    assert.equal(got.status, 200);
    assert.equal(got.body, '0123456789');
    assert.match(got.san, /DNS:\*\.gatehouse\.test/);
    const viaPrefix = await server.fetch(`${server.url}/data/${world.mappedId}/alice/a.txt`, { headers: bearer(aliceMapped) });
    assert.equal(got.headers.etag, viaPrefix.headers.get('etag'));
    assert.equal(await viaPrefix.text(), got.body);
    const ranged = await viaHost(server, mappedHost, { path: '/alice/a.txt', headers: { ...bearer(aliceMapped), range: 'bytes=2-4' } });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.body, '234');

    const head = await viaHost(server, guestHost, { method: 'HEAD', path: '/docs/a.txt', headers: bearer(aliceGuest) });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '10');
    const put = await viaHost(server, guestHost, { method: 'PUT', path: '/docs/new%20file.txt', headers: bearer(aliceGuest), body: 'uploaded by host' });
    assert.equal(put.status, 201, put.body);
    const onDisk = path.join(world.root, 'shared/docs/new file.txt');
    assert.equal(fs.readFileSync(onDisk, 'utf8'), 'uploaded by host');
    assert.equal(fs.statSync(onDisk).uid, world.accounts.owner.uid, 'written as the guest owner account');
    const back = await viaHost(server, guestHost, { path: '/docs/new%20file.txt?download', headers: bearer(aliceGuest) });
    assert.equal(back.body, 'uploaded by host');
    assert.match(String(back.headers['content-disposition']), /^attachment; filename="new file\.txt"/);
    const del = await viaHost(server, guestHost, { method: 'DELETE', path: '/docs/new%20file.txt', headers: bearer(aliceGuest) });
    assert.equal(del.status, 204);
    assert.equal(fs.existsSync(onDisk), false);
  });

  test("enforcement at a collection host is the data plane's: challenges name that collection, other tokens and callers are refused", async () => {
    const mappedHost = await hostOf(world.mappedId);
    const guestHost = await hostOf(world.guestId);
    const anonymous = await viaHost(server, mappedHost, { path: '/', headers: xhr });
    assert.equal(anonymous.status, 401);
    assert.deepEqual(anonymous.json().authorization_parameters.required_scopes, [
      `https://auth.globus.org/scopes/${world.mappedId}/https`,
      `https://auth.globus.org/scopes/${world.mappedId}/data_access`,
    ]);
    const redirect = await viaHost(server, guestHost, { path: '/docs/a.txt' });
    assert.equal(redirect.status, 302);
    const login = new URL(String(redirect.headers.location));
    assert.equal(`${login.origin}${login.pathname}`, `${publicUrl}/v2/oauth2/authorize`, 'Auth stays on the main origin');
    assert.deepEqual(login.searchParams.getAll('client_id'), [server.endpointId]);
    // The browser is sent back to the collection's own origin, the one its document names.
    const guestUrl = (await collection(world.guestId)).https_url as string;
    assert.equal(guestUrl, `https://${guestHost}:${port}`);
    assert.equal(login.searchParams.get('redirect_uri'), `${guestUrl}/.well-known/gatehouse-login`);
    assert.match(String(redirect.headers['set-cookie']), new RegExp(`gatehouse_login_${login.searchParams.get('state')}=.*; Path=/;`));
    // Followed to its end by a browser that resolves the collection's name: sign-in, the callback on that host, the file.
    const dana = await makeUser(server, 'dana@localhost', 'dana-password-1');
    await addRule(server, world.owner, world.guestId, { principal_type: 'identity', principal: dana.id, path: '/', permissions: 'r' });
    const dispatcher = new Agent({ connect: { ca: server.ca, lookup: loopback } });
    try {
      const browserFetch = ((input: any, init?: any) => undiciFetch(input, { ...init, dispatcher })) as unknown as typeof fetch;
      const { res, hops } = await followBrowserSignIn(server, `${guestUrl}/docs/a.txt`, 'dana', 'dana-password-1', browserFetch);
      assert.equal(res.status, 200, hops.join(' → '));
      assert.equal(await res.text(), 'guest file');
      assert.ok(hops.includes(`${guestUrl}/docs/a.txt`) && hops.some((h) => h.startsWith(`${guestUrl}/.well-known/gatehouse-login?`)), hops.join(' → '));
    } finally {
      await dispatcher.close();
    }
    const wrongCollection = await viaHost(server, mappedHost, { path: '/alice/a.txt', headers: { ...bearer(aliceGuest), ...xhr } });
    assert.equal(wrongCollection.status, 401, 'a token for the guest does not open the mapped collection');
    const bobToken = await dataToken(server, world.bob, world.guestId, false);
    assert.equal((await viaHost(server, guestHost, { path: '/docs/a.txt', headers: bearer(bobToken) })).status, 403);
    const traversal = await viaHost(server, guestHost, { path: '/docs/%2e%2e/%2e%2e/alice/a.txt', headers: bearer(aliceGuest) });
    assert.equal(traversal.status, 400);
  });

  test('on a collection host only the data plane answers; the API stays on the main host names', async () => {
    const mappedHost = await hostOf(world.mappedId);
    for (const route of ['/api/info', '/v2/groups/my_groups', '/v0.10/endpoint/' + world.mappedId, '/healthz', '/openapi.json']) {
      const res = await viaHost(server, mappedHost, { path: route, headers: xhr });
      assert.equal(res.status, 401, route);
      assert.equal(res.json().code, 'AuthenticationRequired', route);
    }
    const asFile = await viaHost(server, mappedHost, { path: '/api/info', headers: bearer(aliceMapped) });
    assert.equal(asFile.status, 404);
    assert.equal(asFile.json().DATA_TYPE, undefined, 'a data-plane 404, not a GCS envelope');
    const info = await viaHost(server, 'gatehouse.test', { path: '/api/info' });
    assert.equal(info.status, 200);
    assert.equal(info.json().data[0].DATA_TYPE, 'info#1.0.0');
    assert.equal((await server.fetch(`${server.url}/api/info`)).status, 200);
  });

  test("an unknown name under the data domain gets the data plane's 404", async () => {
    for (const host of ['g-ffffff.gatehouse.test', 'nothing-here.gatehouse.test']) {
      const res = await viaHost(server, host, { path: '/api/info', headers: bearer(aliceGuest) });
      assert.equal(res.status, 404, host);
      const body = res.json();
      assert.equal(body.code, 'not_found');
      assert.match(body.message, new RegExp(`No collection '${host.replaceAll('.', '\\.')}'`));
      assert.equal(typeof body.request_id, 'string');
      assert.equal(body.DATA_TYPE, undefined);
    }
  });

  test('@globus/sdk gcs.https.get/update/remove, unchanged, on https_server from transfer.endpoint.get', async () => {
    const agent = new https.Agent({ ca: server.ca, lookup: loopback });
    const previous = process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER;
    process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER = `${server.url}/`;
    try {
      const sdk = { fetch: { options: { agent } } } as any;
      const record = await globusTransfer.endpoint.get(
        world.guestId,
        { headers: { Authorization: `Bearer ${await transferToken(server, world.alice)}` } },
        sdk,
      );
      const host = ((await record.json()) as any).https_server as string;
      assert.equal(host, `https://${await hostOf(world.guestId)}:${port}`);
      // The JS SDK takes the collection's https_server as `host` and the collection id as `endpoint_id`.
      const config = { host, endpoint_id: world.guestId };
      const auth = { headers: { Authorization: `Bearer ${aliceGuest}` } };
      const got = await globusGcs.https.get(config, '/docs/a.txt', auth, sdk);
      assert.equal(got.status, 200);
      assert.equal(await got.text(), 'guest file');
      const put = await globusGcs.https.update(config, '/docs/from-js-sdk.txt', { ...auth, body: 'js sdk upload' } as any, sdk);
      assert.equal(put.status, 201);
      assert.equal(fs.readFileSync(path.join(world.root, 'shared/docs/from-js-sdk.txt'), 'utf8'), 'js sdk upload');
      const download = await globusGcs.https.get(config, '/docs/from-js-sdk.txt', { ...auth, query: { download: true } }, sdk);
      assert.match(download.headers.get('content-disposition')!, /^attachment/);
      await download.text();
      const removed = await globusGcs.https.remove(config, '/docs/from-js-sdk.txt', auth, sdk);
      assert.equal(removed.status, 204);
      assert.equal(fs.existsSync(path.join(world.root, 'shared/docs/from-js-sdk.txt')), false);
      // The prefix form is why host names exist: the SDK resolves the absolute path against the origin and drops /data/<id>.
      const lost = await globusGcs.https.get({ host: `${server.url}/data/${world.guestId}`, endpoint_id: world.guestId }, '/docs/a.txt', auth, {
        fetch: { options: { agent: new https.Agent({ ca: server.ca }) } },
      } as any);
      assert.equal(lost.status, 404);
      await lost.text();
    } finally {
      if (previous === undefined) delete process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER;
      else process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER = previous;
      agent.destroy();
    }
  });

  test('@gatehouse/sdk CollectionHTTPSClient on the host-form https_url', async () => {
    const dispatcher = new Agent({ connect: { ca: server.ca, lookup: loopback } });
    try {
      const httpsUrl = (await collection(world.mappedId)).https_url as string;
      const client = new CollectionHTTPSClient(httpsUrl, {
        authorizer: new AccessTokenAuthorizer(aliceMapped),
        maxRetries: 0,
        fetch: ((input: any, init?: any) => undiciFetch(input, { ...init, dispatcher })) as any,
      });
      assert.equal(client.fileUrl('/alice/a b.txt'), `${httpsUrl}/alice/a%20b.txt`);
      await client.upload('/alice/a b.txt', 'from our sdk');
      assert.equal(fs.readFileSync(path.join(world.root, 'alice/a b.txt'), 'utf8'), 'from our sdk');
      assert.equal((await client.head('/alice/a b.txt')).size, 12);
      const ranged = await client.download('/alice/a b.txt', { range: { start: 5 } });
      assert.equal(ranged.status, 206);
      assert.equal(await new Response(ranged.stream).text(), 'our sdk');
      await client.delete('/alice/a b.txt');
      assert.equal(fs.existsSync(path.join(world.root, 'alice/a b.txt')), false);
    } finally {
      await dispatcher.close();
    }
  });

  test('custom collection domains with their own certificate (inline PEM, or *_path files in the certificate directory) are served by SNI', async () => {
    const files = selfSigned(certDir, 'files.lab.test');
    const share = selfSigned(certDir, 'share.lab.test');
    const mismatch = await api(server, world.admin.token, 'PUT', `/api/collections/${world.mappedId}/domain`, {
      DATA_TYPE: 'domain#1.0.0',
      domain_name: 'other.lab.test',
      wildcard: false,
      certificate: files.cert,
      private_key: files.key,
    });
    assert.equal(mismatch.status, 422);
    assert.match(JSON.stringify(mismatch.body), /does not cover other\.lab\.test/);
    const mainName = await api(server, world.admin.token, 'PUT', `/api/collections/${world.mappedId}/domain`, {
      DATA_TYPE: 'domain#1.0.0',
      domain_name: 'gatehouse.test',
      wildcard: false,
    });
    assert.equal(mainName.status, 409, 'the main origin name keeps serving the APIs');
    const putMapped = await api(server, world.admin.token, 'PUT', `/api/collections/${world.mappedId}/domain`, {
      DATA_TYPE: 'domain#1.0.0',
      domain_name: 'files.lab.test',
      wildcard: false,
      certificate: files.cert,
      private_key: files.key,
    });
    assert.equal(putMapped.status, 200, JSON.stringify(putMapped.body));
    const putGuest = await api(server, world.admin.token, 'PUT', `/api/collections/${world.guestId}/domain`, {
      DATA_TYPE: 'domain#1.0.0',
      domain_name: 'share.lab.test',
      wildcard: false,
      certificate_path: share.certPath,
      private_key_path: share.keyPath,
    });
    assert.equal(putGuest.status, 200, JSON.stringify(putGuest.body));
    assert.equal((await collection(world.mappedId)).https_url, `https://files.lab.test:${port}`);
    assert.equal((await collection(world.guestId)).https_url, `https://share.lab.test:${port}`);

    const mapped = await viaHost(server, 'files.lab.test', { path: '/alice/a.txt', headers: bearer(aliceMapped), ca: files.cert });
    assert.equal(mapped.status, 200);
    assert.equal(mapped.body, '0123456789');
    assert.equal(mapped.san, 'DNS:files.lab.test');
    const guest = await viaHost(server, 'share.lab.test', { path: '/docs/a.txt', headers: bearer(aliceGuest), ca: share.cert });
    assert.equal(guest.body, 'guest file');
    const browser = await viaHost(server, 'share.lab.test', { path: '/docs/a.txt', ca: share.cert });
    assert.equal(browser.status, 302);
    assert.equal(new URL(String(browser.headers.location)).searchParams.get('redirect_uri'), `https://share.lab.test:${port}/.well-known/gatehouse-login`);
    // The custom certificate, not the local CA's, is what the name gets.
    await assert.rejects(viaHost(server, 'files.lab.test', { path: '/alice/a.txt', ca: server.ca }), /self[- ]signed|unable to verify|certificate/i);

    assert.equal((await api(server, world.admin.token, 'DELETE', `/api/collections/${world.mappedId}/domain`)).status, 200);
    assert.equal((await api(server, world.admin.token, 'DELETE', `/api/collections/${world.guestId}/domain`)).status, 200);
    assert.match((await collection(world.mappedId)).https_url, new RegExp(`^https://m-[0-9a-f]{6}\\.gatehouse\\.test:${port}$`));
  });

  test('wildcard domains stored without a certificate get one from the local CA; a renamed collection leaves its old name within seconds', async () => {
    const oldMappedHost = await hostOf(world.mappedId);
    assert.equal((await viaHost(server, oldMappedHost, { path: '/alice/a.txt', headers: bearer(aliceMapped) })).status, 200);
    const shares = await api(server, world.admin.token, 'PUT', `/api/collections/${world.mappedId}/domain`, {
      DATA_TYPE: 'domain#1.0.0',
      domain_name: '*.shares.test',
      wildcard: true,
    });
    assert.equal(shares.status, 200, JSON.stringify(shares.body));
    const guestHost = await hostOf(world.guestId);
    assert.match(guestHost, /^g-[0-9a-f]{6}\.shares\.test$/);
    const guest = await viaHost(server, guestHost, { path: '/docs/a.txt', headers: bearer(aliceGuest) });
    assert.equal(guest.status, 200);
    assert.equal(guest.san, 'DNS:*.shares.test');
    const unknownGuest = await viaHost(server, 'g-ffffff.shares.test', { path: '/docs/a.txt', headers: bearer(aliceGuest) });
    assert.equal(unknownGuest.status, 404, "an unknown name under a mapped wildcard is the data plane's too");
    assert.equal(unknownGuest.san, 'DNS:*.shares.test');

    await setEndpointDomain({ domain_name: '*.data.test', wildcard: true });
    const mappedHost = await hostOf(world.mappedId);
    assert.match(mappedHost, /^m-[0-9a-f]{6}\.data\.test$/);
    const mapped = await viaHost(server, mappedHost, { path: '/alice/a.txt', headers: bearer(aliceMapped) });
    assert.equal(mapped.status, 200);
    assert.equal(mapped.san, 'DNS:*.data.test');
    // The old name is gone on the next request: host names are cached only until their rows change.
    const old = await viaHost(server, oldMappedHost, { path: '/alice/a.txt', headers: bearer(aliceMapped) });
    assert.equal(old.status, 404);
    assert.equal(old.json().code, 'not_found');
    assert.equal((await api(server, world.admin.token, 'DELETE', `/api/collections/${world.mappedId}/domain`)).status, 200);
  });

  test('a second server on the same store serves the same host names and certificates, with nothing to sync', async () => {
    const second = await startTestServer({ dataDir: server.dataDir, databaseUrl: server.databaseUrl, domain: 'gatehouse.test' });
    try {
      const guestHost = await hostOf(world.guestId);
      const res = await viaHost(second, guestHost, { path: '/docs/a.txt', headers: bearer(aliceGuest) });
      assert.equal(res.status, 200);
      assert.equal(res.body, 'guest file');
      assert.equal(res.san, 'DNS:*.data.test', 'the endpoint wildcard set through the first server, with a certificate from the shared local CA');
    } finally {
      await second.close();
      await second.dispatcher.close();
    }
  });

  test('a custom endpoint domain names the Manager: /api/info domain_name, gcs_manager_url, manager_url; collections go back to /data', async () => {
    await setEndpointDomain({ domain_name: 'gcs.lab.test', wildcard: false });
    const info = await viaHost(server, 'gcs.lab.test', { path: '/api/info' });
    assert.equal(info.status, 200, 'the Manager answers at its custom name, with a local-CA certificate for it');
    assert.equal(info.san, 'DNS:gcs.lab.test');
    assert.equal(info.json().data[0].domain_name, 'gcs.lab.test');
    const manager = `https://gcs.lab.test:${port}`;
    assert.equal((await api(server, world.admin.token, 'GET', '/api/endpoint')).body.data[0].gcs_manager_url, manager);
    const mapped = await collection(world.mappedId);
    assert.equal(mapped.manager_url, manager);
    assert.equal(mapped.https_url, `${publicUrl}/data/${world.mappedId}`, 'no wildcard domain: the prefix form again');
    const record = (await api(server, await transferToken(server, world.alice), 'GET', `/v0.10/endpoint/${world.mappedId}`)).body;
    assert.equal(record.gcs_manager_url, manager);
    assert.equal(record.DATA[0].hostname, 'gcs.lab.test');
    assert.equal((await api(server, world.admin.token, 'DELETE', '/api/endpoint/domain')).status, 200);
    assert.equal((await api(server, undefined, 'GET', '/api/info')).body.data[0].domain_name, 'gatehouse.test');
    assert.equal((await collection(world.mappedId)).manager_url, publicUrl);
  });
});
