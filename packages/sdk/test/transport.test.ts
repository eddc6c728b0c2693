// Transport against a real local HTTP server: encoding, headers, retries, Retry-After, 401 renewal, timeouts.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BaseClient, GlobusAPIError, GroupsAPIError, NetworkError, SDK_VERSION, Transport, parseRetryAfter } from '../src/index.ts';
import type { Authorizer } from '../src/index.ts';
import { startServer } from './helpers/server.ts';
import type { Handler, TestServer } from './helpers/server.ts';
import pkg from '../package.json' with { type: 'json' };

const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});
async function serve(handler: Handler): Promise<TestServer> {
  const s = await startServer(handler);
  servers.push(s);
  return s;
}
/** Fast backoff so retry tests take milliseconds, not the production seconds. */
const fast = { retryBaseDelayMs: 1, maxRetryDelayMs: 2000 };

test('SDK_VERSION matches package.json', () => {
  assert.equal(SDK_VERSION, pkg.version);
});

test('query, JSON and form encoding and default headers', async () => {
  const server = await serve(() => ({ body: { ok: true } }));
  const client = new BaseClient({ baseUrl: `${server.origin}/prefix`, ...fast }, { serviceName: 'test', baseUrl: 'http://unused/' });
  const data = await client.get<{ ok: boolean }>('/v2/things', {
    query: { ids: ['a', 'b', 'c'], flag: true, off: false, n: 3, skip: undefined, none: null },
  });
  assert.deepEqual(data, { ok: true });
  const r0 = server.requests[0];
  assert.equal(r0.url.pathname, '/prefix/v2/things', 'base path prefix is kept');
  assert.equal(r0.url.search, '?ids=a%2Cb%2Cc&flag=true&off=false&n=3');
  assert.equal(r0.headers['user-agent'], `gatehouse-sdk/${SDK_VERSION}`);
  assert.equal(r0.headers['accept'], 'application/json');
  assert.equal(r0.headers['authorization'], undefined);

  await client.post('things', { name: 'x', cleared: null });
  assert.equal(server.requests[1].method, 'POST');
  assert.equal(server.requests[1].headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(server.requests[1].body), { name: 'x', cleared: null });

  await client.post('token', undefined, { form: { grant_type: 'client_credentials', scope: 'a b', skip: undefined } });
  assert.equal(server.requests[2].headers['content-type'], 'application/x-www-form-urlencoded');
  assert.equal(server.requests[2].body, 'grant_type=client_credentials&scope=a+b');

  await client.delete('things/1');
  assert.equal(server.requests[3].method, 'DELETE');
});

test('429 with Retry-After is retried up to maxRetries, then thrown', async () => {
  const server = await serve(() => ({ status: 429, headers: { 'Retry-After': '0' }, body: { code: 'TooMany', message: 'slow down' } }));
  const client = new BaseClient({ baseUrl: server.origin, maxRetries: 2, ...fast }, { serviceName: 'groups', baseUrl: '', errorClass: GroupsAPIError });
  await assert.rejects(client.get('x'), (err: unknown) => {
    assert.ok(err instanceof GroupsAPIError);
    assert.equal(err.httpStatus, 429);
    assert.equal(err.code, 'TooMany');
    return true;
  });
  assert.equal(server.requests.length, 3, '1 attempt + 2 retries');
});

test('Retry-After seconds are honoured before retrying 503', async () => {
  const server = await serve((_req, i) => (i === 0 ? { status: 503, headers: { 'Retry-After': '1' } } : { body: { n: i } }));
  // Base delay is large so a pass can only come from the 1 s Retry-After, not from backoff.
  const client = new BaseClient({ baseUrl: server.origin, retryBaseDelayMs: 60_000 }, { serviceName: 't', baseUrl: '' });
  const started = Date.now();
  assert.deepEqual(await client.get('x'), { n: 1 });
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 900 && elapsed < 10_000, `slept ${elapsed} ms`);
  assert.equal(server.requests.length, 2);
});

test('5xx are retried with backoff; 4xx are not retried', async () => {
  const server = await serve((req, i) => {
    if (req.url.pathname === '/flaky') return i < 2 ? { status: i === 0 ? 500 : 502 } : { body: { ok: 1 } };
    return { status: 400, body: { code: 'BadRequest', message: 'no' } };
  });
  const client = new BaseClient({ baseUrl: server.origin, ...fast }, { serviceName: 't', baseUrl: '' });
  assert.deepEqual(await client.get('flaky'), { ok: 1 });
  assert.equal(server.requests.length, 3);
  await assert.rejects(client.get('bad'), GlobusAPIError);
  assert.equal(server.requests.length, 4, '400 is not retried');
});

test('retry: false and maxRetries: 0 send exactly one request', async () => {
  const server = await serve(() => ({ status: 503 }));
  const a = new BaseClient({ baseUrl: server.origin, retry: false, ...fast }, { serviceName: 't', baseUrl: '' });
  await assert.rejects(a.get('x'), (e: unknown) => e instanceof GlobusAPIError && e.httpStatus === 503);
  assert.equal(server.requests.length, 1);
  const b = new BaseClient({ baseUrl: server.origin, ...fast }, { serviceName: 't', baseUrl: '' });
  await assert.rejects(b.get('x', { maxRetries: 0 }), GlobusAPIError);
  assert.equal(server.requests.length, 2);
});

test('401 triggers one renewal and one retry, even with retries disabled', async () => {
  const server = await serve((req) =>
    req.headers.authorization === 'Bearer new' ? { body: { ok: true } } : { status: 401, body: { code: 'AuthenticationFailed', message: 'expired' } },
  );
  let token = 'old';
  let renewals = 0;
  const authorizer: Authorizer = {
    async getAuthorizationHeader() {
      return `Bearer ${token}`;
    },
    async handleMissingAuthorization() {
      renewals++;
      token = 'new';
      return true;
    },
  };
  const client = new BaseClient({ baseUrl: server.origin, authorizer, retry: false }, { serviceName: 't', baseUrl: '' });
  assert.deepEqual(await client.get('x'), { ok: true });
  assert.deepEqual(
    server.requests.map((r) => r.headers.authorization),
    ['Bearer old', 'Bearer new'],
  );
  assert.equal(renewals, 1);

  // A second 401 after renewal is final.
  token = 'still-bad';
  const stubborn: Authorizer = { ...authorizer, handleMissingAuthorization: async () => (renewals++, true) };
  await assert.rejects(client.get('x', { authorizer: stubborn }), (e: unknown) => e instanceof GlobusAPIError && e.httpStatus === 401);
  assert.equal(server.requests.length, 4);
  assert.equal(renewals, 2);
});

test('per-attempt timeout raises NetworkError(timedOut) and is retried like a network error', async () => {
  const server = await serve(() => ({ delayMs: 3000, body: {} }));
  const client = new BaseClient({ baseUrl: server.origin, timeoutMs: 150, retry: false }, { serviceName: 't', baseUrl: '' });
  const started = Date.now();
  await assert.rejects(client.get('slow'), (e: unknown) => {
    assert.ok(e instanceof NetworkError);
    assert.equal(e.timedOut, true);
    return true;
  });
  assert.ok(Date.now() - started < 2500, 'gave up long before the server answered');
  assert.equal(server.requests.length, 1);

  const retrying = new BaseClient({ baseUrl: server.origin, timeoutMs: 150, maxRetries: 1, ...fast }, { serviceName: 't', baseUrl: '' });
  await assert.rejects(retrying.get('slow'), NetworkError);
  // The second attempt's request may still be in flight on the server side; wait for it to be recorded.
  for (let i = 0; i < 50 && server.requests.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(server.requests.length, 3);
});

test('caller abort is not retried and surfaces the abort reason', async () => {
  const server = await serve(() => ({ delayMs: 2000, body: {} }));
  const client = new BaseClient({ baseUrl: server.origin, ...fast }, { serviceName: 't', baseUrl: '' });
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('user cancelled')), 100);
  await assert.rejects(client.get('x', { signal: controller.signal }), /user cancelled/);
  assert.equal(server.requests.length, 1);
});

test('connection failures are retried, then NetworkError', async () => {
  let hits = 0;
  const raw = http.createServer((req) => {
    hits++;
    req.socket.destroy();
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  const { port } = raw.address() as AddressInfo;
  try {
    const client = new BaseClient({ baseUrl: `http://127.0.0.1:${port}`, maxRetries: 2, ...fast }, { serviceName: 't', baseUrl: '' });
    await assert.rejects(client.get('x'), (e: unknown) => e instanceof NetworkError && !e.timedOut);
    assert.equal(hits, 3);
  } finally {
    raw.closeAllConnections();
    await new Promise((r) => raw.close(r));
  }
});

test('an injected fetch is used for every request', async () => {
  const seen: string[] = [];
  const transport = new Transport({
    fetch: async (input, init) => {
      seen.push(`${init?.method} ${String(input)}`);
      return new Response('{"via":"injected"}', { headers: { 'Content-Type': 'application/json' } });
    },
  });
  const client = new BaseClient({ baseUrl: 'https://example.invalid/api/', transport }, { serviceName: 't', baseUrl: '' });
  assert.deepEqual(await client.get('info', { query: { a: 1 } }), { via: 'injected' });
  assert.deepEqual(seen, ['GET https://example.invalid/api/info?a=1']);
});

test('parseRetryAfter handles seconds and HTTP dates', () => {
  assert.equal(parseRetryAfter('3'), 3000);
  assert.equal(parseRetryAfter(null), undefined);
  assert.equal(parseRetryAfter('soon'), undefined);
  const now = Date.parse('2025-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', now), 5000);
});
