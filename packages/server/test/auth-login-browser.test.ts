// PKCE login of a local user through the real login page in headless Chromium, then refresh and revoke.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium, type Browser } from 'playwright-core';
import { NativeAppAuthClient, AuthClient, AccessTokenAuthorizer, RefreshTokenAuthorizer, GlobusAPIError } from '@gatehouse/sdk';
import { createClient } from '@gatehouse/server';
import { startTestServer, makeUser, type TestServer } from './helpers/server.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCOPES = 'openid profile email urn:globus:auth:scope:auth.globus.org:view_identity_set urn:globus:auth:scope:groups.api.globus.org:all';

describe('browser login (authorization code + PKCE)', () => {
  let server: TestServer;
  let browser: Browser;
  let clientId: string;
  before(async () => {
    server = await startTestServer();
    await makeUser(server, 'alice@localhost', 'alice-password-1');
    clientId = (await server.store.tx((db) => createClient(db, { name: 'Notebook portal', publicClient: true }))).id;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  after(async () => {
    await browser?.close();
    await server.stop();
  });

  async function login(authorizeUrl: string, password: string) {
    // The local CA is not in Chromium's store; certificate checks are the Node side's business here.
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(authorizeUrl);
    assert.match(await page.content(), /Notebook portal/);
    await page.fill('#username', 'alice');
    await page.fill('#password', password);
    await Promise.all([page.waitForURL(/\/v2\/web\/auth-code|\/v2\/oauth2\/authorize/), page.click('#allow')]);
    const url = new URL(page.url());
    const code = url.pathname === '/v2/web/auth-code' ? await page.textContent('#code') : null;
    const error = code ? null : await page.textContent('.error').catch(() => null);
    await context.close();
    return { code, error, state: url.searchParams.get('state') };
  }

  it('rejects a wrong password on the page and issues nothing', async () => {
    const native = new NativeAppAuthClient(clientId, { baseUrl: server.url, dispatcher: server.dispatcher, retry: false });
    await native.oauth2StartFlow({ requestedScopes: SCOPES });
    const result = await login(native.oauth2GetAuthorizeUrl(), 'wrong-password');
    assert.equal(result.code, null);
    assert.match(result.error ?? '', /wrong password/);
  });

  it('logs in, exchanges the code with the verifier, refreshes, and revokes', async () => {
    const native = new NativeAppAuthClient(clientId, { baseUrl: server.url, dispatcher: server.dispatcher, retry: false });
    await native.oauth2StartFlow({ requestedScopes: SCOPES, state: 'xyz', refreshTokens: true });
    const { code, state } = await login(native.oauth2GetAuthorizeUrl(), 'alice-password-1');
    assert.ok(code, 'the auth-code page shows a code');
    assert.equal(state, 'xyz');

    const tokens = await native.oauth2ExchangeCodeForTokens(code!);
    const auth = tokens.byResourceServer['auth.globus.org'];
    const groups = tokens.byResourceServer['groups.api.globus.org'];
    assert.ok(auth.refresh_token && groups.refresh_token, 'user grants always carry refresh tokens');
    assert.equal(tokens.data.state, 'xyz');
    const claims = tokens.decodeIdToken();
    assert.equal(claims.preferred_username, 'alice@localhost');
    assert.equal(claims.aud, clientId);

    // The code is single-use.
    await assert.rejects(
      native.oauth2ExchangeCodeForTokens(code!),
      (e: unknown) => e instanceof GlobusAPIError && e.httpStatus === 400 && e.code === 'invalid_grant',
    );

    const who = await new AuthClient({
      baseUrl: server.url,
      dispatcher: server.dispatcher,
      authorizer: new AccessTokenAuthorizer(auth.access_token),
    }).oauth2Userinfo();
    assert.equal(who.preferred_username, 'alice@localhost');

    // A refresh returns a new access token for the same resource server, and a refresh token.
    const refreshed = await native.oauth2RefreshToken(auth.refresh_token!);
    assert.equal(refreshed.data.resource_server, 'auth.globus.org');
    assert.deepEqual(refreshed.data.other_tokens, []);
    assert.equal(refreshed.data.refresh_token, auth.refresh_token);
    assert.notEqual(refreshed.data.access_token, auth.access_token);

    // An authorizer that starts from an expired access token refreshes on its own.
    const authorizer = new RefreshTokenAuthorizer(auth.refresh_token!, native, { accessToken: 'stale', expiresAt: 0 });
    const viaRefresh = await new AuthClient({ baseUrl: server.url, dispatcher: server.dispatcher, authorizer }).oauth2Userinfo();
    assert.equal(viaRefresh.sub, claims.sub);

    // Revoking the refresh token ends the grant: its access tokens stop working at once.
    await native.oauth2RevokeToken(auth.refresh_token!);
    assert.deepEqual(await native.oauth2ValidateToken(refreshed.data.access_token), { active: false });
    await assert.rejects(native.oauth2RefreshToken(auth.refresh_token!), (e: unknown) => e instanceof GlobusAPIError && e.code === 'invalid_grant');
    // The groups grant is separate and still alive.
    assert.deepEqual(await native.oauth2ValidateToken(groups.access_token), { active: true });
  });

  it('refuses a code exchanged with the wrong verifier', async () => {
    const native = new NativeAppAuthClient(clientId, { baseUrl: server.url, dispatcher: server.dispatcher, retry: false });
    await native.oauth2StartFlow({ requestedScopes: 'openid' });
    const { code } = await login(native.oauth2GetAuthorizeUrl(), 'alice-password-1');
    const other = new NativeAppAuthClient(clientId, { baseUrl: server.url, dispatcher: server.dispatcher, retry: false });
    await other.oauth2StartFlow({ requestedScopes: 'openid' });
    await assert.rejects(other.oauth2ExchangeCodeForTokens(code!), (e: unknown) => e instanceof GlobusAPIError && e.code === 'invalid_grant');
  });
});
