// Before routing, over raw TLS: the absolute-form authority decides the host (a collection host serves only the data plane), and parser, URL, Host and shutdown errors leave as JSON in the path's API envelope.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import tls from 'node:tls';
import { startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { api, grantRole, makeActor, setupMapped, type Actor } from './helpers/gcs.ts';

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  json(): any;
}

function parse(raw: string): RawResponse {
  const split = raw.indexOf('\r\n\r\n');
  assert.ok(split > 0, `not an HTTP response: ${JSON.stringify(raw.slice(0, 200))}`);
  const [statusLine, ...lines] = raw.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) headers[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
  const text = raw.slice(split + 4);
  return { status: Number(statusLine.split(' ')[1]), headers, text, json: () => JSON.parse(text) };
}

/** Opens a TLS connection (SNI `servername`) and resolves once it is ready. */
async function connect(server: TestServer, servername = 'gatehouse.test'): Promise<tls.TLSSocket> {
  const socket = tls.connect({ host: '127.0.0.1', port: Number(new URL(server.url).port), servername, rejectUnauthorized: false });
  await once(socket, 'secureConnect');
  return socket;
}

/** Sends `bytes` exactly as given on a fresh TLS connection and reads the response until the server closes. */
async function raw(server: TestServer, bytes: string, servername?: string): Promise<RawResponse> {
  const socket = await connect(server, servername);
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  const closed = once(socket, 'close');
  socket.write(bytes);
  await closed;
  return parse(received);
}

const HOST = 'Host: gatehouse.test\r\nConnection: close\r\n';
const XHR = 'X-Requested-With: XMLHttpRequest\r\n';

/** Asserts a JSON body with a request id matching the x-request-id header, and returns it. */
function jsonWithId(res: RawResponse, status: number): any {
  assert.equal(res.status, status, res.text);
  assert.match(res.headers['content-type'] ?? '', /^application\/json/);
  const body = res.json();
  const id = body.request_id ?? body.errors?.[0]?.id;
  assert.equal(typeof id, 'string', res.text);
  assert.equal(id, res.headers['x-request-id']);
  assert.equal(body.statusCode, undefined, 'not a bare Fastify error');
  return body;
}

/** Which envelope a body is in. */
function envelopeOf(body: any): string {
  if (body.DATA_TYPE === 'result#1.0.0') return 'gcs';
  if (Array.isArray(body.errors) && typeof body.error === 'string') return body.errors[0].code === body.error ? 'oauth' : 'auth-api';
  if (typeof body.resource === 'string') return 'transfer';
  if (typeof body.detail === 'string' && /^[A-Z_]+$/.test(body.code)) return 'groups';
  if (Object.keys(body).sort().join() === 'code,message,request_id') return 'plain';
  return `unknown: ${JSON.stringify(body)}`;
}

describe(`before routing (${storeName})`, () => {
  let server: TestServer;
  let admin: Actor;
  let collectionHost: string;
  let mappedId: string;
  let port: string;

  before(async () => {
    server = await startTestServer({ domain: 'gatehouse.test' });
    port = new URL(server.url).port;
    admin = await makeActor(server, 'edge admin');
    await grantRole(server, admin.id, 'administrator');
    mappedId = (await setupMapped(server, admin)).mappedId;
    collectionHost = (await api(server, admin.token, 'GET', `/api/collections/${mappedId}`)).body.data[0].domain_name;
    assert.match(collectionHost, /^m-[0-9a-f]{6}\.gatehouse\.test$/);
  });
  after(async () => {
    await server?.stop();
  });

  test('absolute-form: the authority, not Host, names the host, and a collection host never reaches the Manager API', async () => {
    const viaCollection = [
      // The authority is the collection host, Host the main one.
      `GET https://${collectionHost}:${port}/api/info HTTP/1.1\r\n${HOST}${XHR}\r\n`,
      // Both name the collection host.
      `GET https://${collectionHost}/api/info HTTP/1.1\r\nHost: ${collectionHost}\r\nConnection: close\r\n${XHR}\r\n`,
    ];
    for (const request of viaCollection) {
      for (const servername of ['gatehouse.test', collectionHost]) {
        const body = jsonWithId(await raw(server, request, servername), 401);
        assert.equal(body.code, 'AuthenticationRequired', 'the data plane challenges; /api/info there is a file path');
        assert.equal(body.DATA_TYPE, undefined);
        assert.deepEqual(body.authorization_parameters.required_scopes, [
          `https://auth.globus.org/scopes/${mappedId}/https`,
          `https://auth.globus.org/scopes/${mappedId}/data_access`,
        ]);
      }
    }
    // The same request in origin form to the collection host answers the same.
    const originForm = jsonWithId(
      await raw(server, `GET /api/info HTTP/1.1\r\nHost: ${collectionHost}\r\nConnection: close\r\n${XHR}\r\n`, collectionHost),
      401,
    );
    assert.equal(originForm.code, 'AuthenticationRequired');
    // An authority naming the main host is the main host's request, whatever Host says (RFC 9112 §3.2.2).
    const main = await raw(server, `GET https://gatehouse.test:${port}/api/info HTTP/1.1\r\nHost: ${collectionHost}\r\nConnection: close\r\n\r\n`);
    assert.equal(main.status, 200);
    assert.equal(main.json().data[0].DATA_TYPE, 'info#1.0.0');
    // Userinfo in the authority, `*`, and authority-form name no one host: refused (the last already by Node's parser).
    for (const target of [`https://user@${collectionHost}/api/info`, '*', `gatehouse.test:${port}`]) {
      const body = jsonWithId(await raw(server, `GET ${target} HTTP/1.1\r\n${HOST}\r\n`), 400);
      assert.equal(envelopeOf(body), 'plain', target);
      assert.match(body.message, /request target must be a path or an absolute https URL|Malformed HTTP request/);
    }
  });

  test("requests Node's parser refuses are answered in the envelope of the path's API", async () => {
    const cases: Array<[string, string, string]> = [
      ['/api/info', HOST, 'gcs'],
      ['/v2/groups/my_groups', HOST, 'groups'],
      ['/v2/oauth2/token', HOST, 'oauth'],
      ['/v2/api/identities', HOST, 'auth-api'],
      ['/v0.10/endpoint_search', HOST, 'transfer'],
      [`/data/${mappedId}/a.txt`, HOST, 'plain'],
      ['/api/info', `Host: ${collectionHost}\r\nConnection: close\r\n`, 'plain'],
      ['/healthz', HOST, 'plain'],
    ];
    for (const [path, host, envelope] of cases) {
      const body = jsonWithId(await raw(server, `GET ${path} HTTP/1.1\r\n${host}Bad Header: 1\r\n\r\n`), 400);
      assert.equal(envelopeOf(body), envelope, `${path} ${host}`);
      assert.match(JSON.stringify(body), /Malformed HTTP request: Invalid header token/);
    }
    const gcs = jsonWithId(await raw(server, `GET /api/info HTTP/1.1\r\n${HOST}Bad Header: 1\r\n\r\n`), 400);
    assert.equal(gcs.code, 'bad_request');
    assert.equal(gcs.http_response_code, 400);
    const oauth = jsonWithId(await raw(server, `GET /v2/oauth2/token HTTP/1.1\r\n${HOST}Bad Header: 1\r\n\r\n`), 400);
    assert.equal(oauth.error, 'invalid_request');
    const method = jsonWithId(await raw(server, `G@T /api/info HTTP/1.1\r\n${HOST}\r\n`), 400);
    assert.equal(envelopeOf(method), 'gcs');
  });

  test('a missing or repeated Host is a 400 in the envelope of the path', async () => {
    const missing = jsonWithId(await raw(server, 'GET /api/info HTTP/1.1\r\nConnection: close\r\n\r\n'), 400);
    assert.equal(envelopeOf(missing), 'gcs');
    assert.equal(missing.message, 'Missing Host header');
    const twice = jsonWithId(
      await raw(server, `GET /v2/groups/my_groups HTTP/1.1\r\nHost: gatehouse.test\r\nHost: ${collectionHost}\r\nConnection: close\r\n\r\n`),
      400,
    );
    assert.equal(envelopeOf(twice), 'groups');
    assert.equal(twice.message, 'More than one Host header');
  });

  test('headers too large: 431 as JSON with a request id', async () => {
    const body = jsonWithId(await raw(server, `GET /api/info HTTP/1.1\r\n${HOST}X-Big: ${'a'.repeat(20000)}\r\n\r\n`), 431);
    // The head spans TLS records and Node hands over only the last: the path is not known, so neutral JSON.
    assert.equal(envelopeOf(body), 'plain');
    assert.equal(body.code, 'request_header_fields_too_large');
    assert.match(body.message, /exceed 16384 bytes/);
    const longUrl = jsonWithId(await raw(server, `GET /api/${'a'.repeat(20000)} HTTP/1.1\r\n${HOST}\r\n`), 431);
    assert.equal(longUrl.code, 'request_header_fields_too_large');
  });

  test("Fastify's URL errors (malformed percent-encoding, over-long parameters) leave in the path's envelope", async () => {
    const badUrl = jsonWithId(await raw(server, `GET /api/collections/%zz HTTP/1.1\r\n${HOST}\r\n`), 400);
    assert.equal(envelopeOf(badUrl), 'gcs');
    assert.match(badUrl.message, /is not a valid url component/);
    const groups = jsonWithId(await raw(server, `GET /v2/groups/${'a'.repeat(200)} HTTP/1.1\r\n${HOST}\r\n`), 414);
    assert.equal(envelopeOf(groups), 'groups');
    const data = jsonWithId(await raw(server, `GET /data/${'a'.repeat(200)}/x HTTP/1.1\r\n${HOST}\r\n`), 414);
    assert.equal(envelopeOf(data), 'plain');
    const onHost = jsonWithId(await raw(server, `GET /%zz HTTP/1.1\r\nHost: ${collectionHost}\r\nConnection: close\r\n\r\n`), 400);
    assert.equal(envelopeOf(onHost), 'plain', "a collection host's path is the data plane's");
  });

  test('requests arriving while the server shuts down get a 503 in their envelope', async () => {
    const closing = await startTestServer({ domain: 'gatehouse.test' });
    try {
      // An idle keep-alive connection is closed once shutdown has begun: that is the signal to go on.
      const idle = await connect(closing);
      let idleReceived = '';
      idle.on('data', (chunk: Buffer) => (idleReceived += chunk.toString('latin1')));
      idle.write('GET /healthz HTTP/1.1\r\nHost: gatehouse.test\r\n\r\n');
      await once(idle, 'data');
      const idleClosed = once(idle, 'close');
      const pending = await connect(closing);
      let received = '';
      pending.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      const pendingClosed = once(pending, 'close');
      pending.write('GET /v0.10/endpoint_search HTTP/1.1\r\nHost: gatehouse.test\r\n');
      const stopped = closing.close();
      await idleClosed;
      assert.match(idleReceived, /^HTTP\/1\.1 200/);
      pending.write('\r\n');
      await pendingClosed;
      const body = jsonWithId(parse(received), 503);
      assert.equal(envelopeOf(body), 'transfer');
      assert.equal(body.code, 'ServiceUnavailable');
      await stopped;
    } finally {
      await closing.stop();
    }
  });
});
