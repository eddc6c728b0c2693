// Server basics: TLS with the local CA, metrics, OpenAPI, request ids, config validation, 404 envelopes (whatever the body).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { resolveConfig } from '@gatehouse/server';
import { startTestServer, getJson, storeName, type TestServer } from './helpers/server.ts';

describe(`server basics (${storeName})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  it('serves HTTPS with a certificate issued by the local CA for 127.0.0.1 and localhost', () => {
    const chain = fs.readFileSync(path.join(server.dataDir, 'tls', 'server.pem'), 'utf8');
    const leaf = new X509Certificate(chain);
    const ca = new X509Certificate(server.ca);
    assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey));
    assert.ok(leaf.checkIP('127.0.0.1'));
    assert.ok(leaf.checkHost('localhost'));
    assert.equal(fs.statSync(path.join(server.dataDir, 'tls', 'ca-key.pem')).mode & 0o777, 0o600);
  });

  it('exports Prometheus metrics that count requests by route and status', async () => {
    await getJson(server, '/v2/api/identities');
    const res = await server.fetch(`${server.url}/metrics`);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await res.text();
    assert.match(text, /gatehouse_http_requests_total\{method="GET",route="\/v2\/api\/identities",status="401"\} [1-9]/);
    assert.match(text, /# TYPE gatehouse_http_request_duration_seconds histogram/);
  });

  it('publishes an OpenAPI document of the routes', async () => {
    const doc = (await getJson(server, '/openapi.json')).body;
    assert.match(doc.openapi, /^3\./);
    for (const p of ['/v2/oauth2/token', '/v2/api/identities', '/api/collections', '/v2/groups/my_groups']) assert.ok(doc.paths[p], `${p} documented`);
  });

  it('puts the request id in error bodies and answers unknown paths in the owning API envelope', async () => {
    const auth = await getJson(server, '/v2/api/nothing-here');
    assert.equal(auth.status, 404);
    assert.equal(auth.body.errors[0].id, auth.headers.get('x-request-id'));
    const gcs = await getJson(server, '/api/nothing-here');
    assert.equal(gcs.status, 404);
    assert.match(gcs.body.DATA_TYPE, /^result#/);
    const other = await getJson(server, '/nothing-here');
    assert.equal(other.body.request_id, other.headers.get('x-request-id'));
  });

  it("answers a method no route has with that API's 404 even when its body is malformed, unparseable or too large", async () => {
    const envelopes: Array<[method: string, path: string, check: (body: any, id: string | null) => void]> = [
      [
        'PATCH',
        '/v2/api/identities',
        (b, id) => assert.deepEqual([b.error, b.errors[0].code, b.errors[0].status, b.errors[0].id], ['not_found', 'NOT_FOUND', '404', id]),
      ],
      [
        'DELETE',
        '/v2/oauth2/token',
        (b, id) => assert.deepEqual([b.error, b.errors[0].code, b.errors[0].status, b.errors[0].id], ['not_found', 'not_found', '404', id]),
      ],
      ['PATCH', '/v2/groups/my_groups', (b, id) => assert.deepEqual([b.code, b.request_id], ['NOT_FOUND', id])],
      ['PUT', '/api/info', (b, id) => assert.deepEqual([b.DATA_TYPE, b.code, b.http_response_code, b.request_id], ['result#1.0.0', 'not_found', 404, id])],
      ['PATCH', '/v0.10/submission_id', (b, id) => assert.deepEqual([b.code, b.resource, b.request_id], ['ClientError.NotFound', '/submission_id', id])],
      ['PATCH', '/data/00000000-0000-4000-8000-000000000000/x', (b, id) => assert.deepEqual([b.code, b.request_id], ['not_found', id])],
      ['DELETE', '/nothing-here', (b, id) => assert.deepEqual([b.code, b.request_id], ['not_found', id])],
    ];
    const bodies: Array<[type: string, body: string]> = [
      ['application/json', '{"not json'],
      ['application/json', ''],
      ['/', '{}'],
      ['application/json', `[${'1,'.repeat(2_200_000)}1]`],
    ];
    for (const [method, path, check] of envelopes) {
      for (const [type, body] of bodies) {
        const res = await getJson(server, path, undefined, { method, body, headers: { 'content-type': type } });
        const what = `${method} ${path} with ${type}, ${body.length} bytes`;
        assert.equal(res.status, 404, `${what}: ${JSON.stringify(res.body)}`);
        assert.match(res.headers.get('content-type') ?? '', /^application\/json/, what);
        check(res.body, res.headers.get('x-request-id'));
      }
    }
  });

  it('refuses bad configuration clearly', () => {
    assert.throws(() => resolveConfig({ port: 'eighty' }, {}), /port must be/);
    assert.throws(() => resolveConfig({ tlsCert: '/x.pem' }, {}), /together/);
    const c = resolveConfig({}, { GATEHOUSE_PORT: '9443', DATABASE_URL: 'postgres://db/x' });
    assert.equal(c.port, 9443);
    assert.equal(c.databaseUrl, 'postgres://db/x');
    assert.equal(c.publicUrl, 'https://127.0.0.1:9443');
  });
});
