// Login CSRF: a credential post from another site, or without the token bound to this browser's __Host- cookie, signs nobody in.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from '@gatehouse/server';
import { startTestServer, makeUser, hiddenFields, cookiesOf, signIn, storeName, type TestServer } from './helpers/server.ts';

const REDIRECT = 'https://app.example.org/callback';

describe(`login CSRF (${storeName})`, () => {
  let server: TestServer;
  let params: Record<string, string>;
  before(async () => {
    server = await startTestServer();
    await makeUser(server, 'mallory@localhost', 'mallory-password-1');
    const id = (await server.store.tx((db) => createClient(db, { name: 'Portal', redirectUris: [REDIRECT] }))).id;
    params = { client_id: id, redirect_uri: REDIRECT, scope: 'openid', response_type: 'code' };
  });
  after(() => server.stop());

  const post = (form: Record<string, string>, headers: Record<string, string> = {}) =>
    server.fetch(`${server.url}/v2/oauth2/authorize`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form).toString(),
    });

  async function page() {
    const res = await server.fetch(`${server.url}/v2/oauth2/authorize?${new URLSearchParams(params)}`);
    return { fields: hiddenFields(await res.text()), cookie: cookiesOf(res), setCookie: res.headers.getSetCookie() };
  }

  it('the form sets a __Host- cookie (Secure, Path=/, HttpOnly) and carries a token bound to it', async () => {
    const { fields, setCookie } = await page();
    const login = setCookie.find((c) => c.startsWith('__Host-'));
    assert.ok(login, 'a __Host- cookie is set');
    assert.match(login!, /; Path=\/;/);
    assert.match(login!, /; Secure/);
    assert.match(login!, /; HttpOnly/);
    assert.doesNotMatch(login!, /Domain=/i);
    assert.ok(fields.login_csrf, 'the form has a token field');
  });

  it('a cross-site post of the attacker\u2019s own credentials, without the token, signs nobody in', async () => {
    // What a page elsewhere can send: the form's public fields and its own credentials, no cookie of ours.
    const forged = await post(
      { ...params, username: 'mallory', password: 'mallory-password-1', decision: 'allow' },
      { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    );
    assert.equal(forged.status, 403);
    assert.equal(forged.headers.get('location'), null);
    assert.ok(!forged.headers.getSetCookie().some((c) => c.startsWith('gatehouse_session=')), 'no session cookie');
    assert.match(await forged.text(), /another site/);
  });

  it('refuses a post without a token, with a token of another browser, or from another origin even with the token', async () => {
    const mine = await page();
    const theirs = await page();
    const creds = { username: 'mallory', password: 'mallory-password-1', decision: 'allow' };
    const { login_csrf: _, ...noToken } = mine.fields;
    assert.equal((await post({ ...noToken, ...creds }, { cookie: mine.cookie })).status, 403, 'no token');
    assert.equal((await post({ ...theirs.fields, ...creds }, { cookie: mine.cookie })).status, 403, 'a token for another cookie');
    assert.equal((await post({ ...mine.fields, ...creds })).status, 403, 'no cookie');
    assert.equal((await post({ ...mine.fields, ...creds }, { cookie: mine.cookie, origin: 'https://evil.example' })).status, 403, 'another Origin');
    assert.equal((await post({ ...mine.fields, ...creds }, { cookie: mine.cookie, 'sec-fetch-site': 'same-site' })).status, 403, 'a sibling site');
    const rows = await server.store.db.selectFrom('login_sessions').selectAll().execute();
    assert.equal(rows.length, 0, 'no session was made');
  });

  it('the same post from this server\u2019s own page, with its cookie, signs in', async () => {
    const res = await signIn(server, params, 'mallory', 'mallory-password-1', { 'sec-fetch-site': 'same-origin' });
    assert.equal(res.status, 302, await res.text());
    assert.match(res.headers.get('location')!, /^https:\/\/app\.example\.org\/callback\?code=/);
  });
});
