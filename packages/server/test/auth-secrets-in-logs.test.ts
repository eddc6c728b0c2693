// Credentials stay out of URLs and the request log: query-string secrets on /v2/oauth2/* are refused, and the log redacts.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { startTestServer, makeClient, basic, clientCredentials, storeName, type TestServer } from './helpers/server.ts';

const SCOPE = 'urn:globus:auth:scope:groups.api.globus.org:all';

describe(`credentials in query strings and in the request log (${storeName})`, () => {
  let server: TestServer;
  let client: { id: string; secret: string };
  const lines: string[] = [];
  const log = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const logged = () => lines.join('\n');

  before(async () => {
    server = await startTestServer({ logStream: log });
    client = await makeClient(server);
  });
  after(() => server.stop());

  const post = (query: string, headers: Record<string, string> = {}) =>
    server.fetch(`${server.url}/v2/oauth2/token?${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: '',
    });

  it('refuses a client secret in the token URL with invalid_request, in the OAuth envelope', async () => {
    const res = await post(
      new URLSearchParams({ grant_type: 'client_credentials', scope: SCOPE, client_id: client.id, client_secret: client.secret }).toString(),
    );
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: string; errors: Array<{ code: string; status: string }>; error_description: string };
    assert.equal(body.error, 'invalid_request');
    assert.equal(body.errors[0].code, 'invalid_request');
    assert.match(body.error_description, /client_secret/);
  });

  it('refuses a refresh token, a code and a verifier in the URL, whatever the case of the name', async () => {
    const { refresh_token } = { refresh_token: 'refresh-secret-Zq81' };
    for (const query of [
      `grant_type=refresh_token&refresh_token=${refresh_token}`,
      'grant_type=authorization_code&code=code-secret-Aa1&code_verifier=verifier-secret-Bb2',
      'Client_Secret=mixed-case-secret-Cc3',
    ]) {
      const res = await post(query, { authorization: basic(client.id, client.secret) });
      assert.equal(res.status, 400, query);
      assert.equal(((await res.json()) as { error: string }).error, 'invalid_request');
    }
    const introspect = await server.fetch(`${server.url}/v2/oauth2/token/introspect?token=introspected-secret-Dd4`, {
      method: 'POST',
      headers: { authorization: basic(client.id, client.secret) },
    });
    assert.equal(introspect.status, 400);
  });

  it('still takes non-credential parameters from the query when the body is empty (credentials in the header)', async () => {
    const res = await post(new URLSearchParams({ grant_type: 'client_credentials', scope: SCOPE }).toString(), {
      authorization: basic(client.id, client.secret),
    });
    assert.equal(res.status, 200, await res.clone().text());
  });

  it('never writes a credential parameter or header to the log', async () => {
    const { access_token } = await clientCredentials(server, client, SCOPE);
    // Outside /v2/oauth2 a token in the URL is not refused here, but it is not logged either.
    await server.fetch(`${server.url}/api/info?access_token=${access_token}&x=1`, {
      headers: { authorization: `Bearer ${access_token}`, cookie: 'gatehouse_session=cookie-secret-Ee5' },
    });
    await post(`client_secret=${client.secret}&refresh_token=refresh-secret-Ff6`, { authorization: basic(client.id, client.secret) });
    const text = logged();
    assert.ok(
      lines.some((l) => JSON.parse(l).req?.url?.startsWith('/v2/oauth2/token?')),
      'the token requests are in the log',
    );
    for (const secret of [
      client.secret,
      access_token,
      'refresh-secret-Zq81',
      'refresh-secret-Ff6',
      'code-secret-Aa1',
      'verifier-secret-Bb2',
      'mixed-case-secret-Cc3',
      'introspected-secret-Dd4',
      'cookie-secret-Ee5',
      Buffer.from(`${client.id}:${client.secret}`).toString('base64'),
    ]) {
      assert.ok(!text.includes(secret), `the log holds a credential: ${secret.slice(0, 12)}…`);
    }
    const info = lines.map((l) => JSON.parse(l)).find((l) => l.req?.url?.startsWith('/api/info'));
    assert.equal(info.req.url, '/api/info?access_token=[REDACTED]&x=1');
    assert.equal(info.req.headers.authorization, 'Bearer [REDACTED]');
    assert.equal(info.req.headers.cookie, '[REDACTED]');
  });
});
