// A browser opening a file URL of a collection, in headless Chromium: the login page, then the file's bytes, on the /data/<id> layout and on the collection's own host name; the session cookie serves GET/HEAD only.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { makeUser, postForm, startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { api } from './helpers/gcs.ts';
import { addRule, isRoot, makeWorld, mkdirOwned, type DataWorld } from './helpers/data.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PASSWORD = 'carla-password-1';

describe(`browser access to collection files (${storeName})`, { skip: isRoot ? false : 'needs root (useradd, per-account workers)' }, () => {
  let server: TestServer;
  let world: DataWorld;
  let browser: Browser;
  let publicUrl: string;
  let port: string;
  /** bigger than one buffer, so the download streams; printable, so Chromium shows it as text */
  const bytes = Buffer.from(randomBytes(96 * 1024).toString('base64'));
  const small = 'a small file\n';

  before(async () => {
    server = await startTestServer({ domain: 'gatehouse.test' });
    port = new URL(server.url).port;
    publicUrl = `https://gatehouse.test:${port}`;
    world = await makeWorld(server, {
      tree: (root, { owner }) => {
        const dir = mkdirOwned(root, 'shared/docs', owner);
        for (const [name, content] of [
          ['report.txt', bytes],
          ['small.txt', small],
        ] as const) {
          fs.writeFileSync(path.join(dir, name), content);
          fs.chownSync(path.join(dir, name), owner.uid, owner.gid);
        }
      },
    });
    const carla = await makeUser(server, 'carla@localhost', PASSWORD);
    await addRule(server, world.owner, world.guestId, { principal_type: 'identity', principal: carla.id, path: '/', permissions: 'r' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // Every name is this machine, as DNS for the server's domain and its wildcard would arrange.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--host-resolver-rules=MAP * 127.0.0.1',
      ],
    });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    world?.cleanup();
  });

  /** Opens `url` in a fresh browser context, signs in on the login page, and returns the final response, which must be at `endsAt`. */
  async function openWithLogin(url: string, endsAt = url): Promise<{ context: BrowserContext; body: Buffer; finalUrl: string; status: number }> {
    // The local CA is not in Chromium's store; certificate checks are the Node side's business here.
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const login = await page.goto(url);
    assert.equal(new URL(page.url()).pathname, '/v2/oauth2/authorize', `the file URL leads to the login page, not ${page.url()}`);
    assert.equal(login?.status(), 200, await page.content());
    assert.match(await page.content(), /Gatehouse on gatehouse\.test/, 'the endpoint names itself on the consent page');
    await page.fill('#username', 'carla');
    await page.fill('#password', PASSWORD);
    const [response] = await Promise.all([page.waitForNavigation(), page.click('#allow')]);
    assert.ok(response, 'the sign-in navigates');
    const body = await response.body();
    // Where the browser ended, and what it saw there, say what went wrong when it is not the file.
    assert.equal(page.url(), endsAt, `ended at ${page.url()} (${response.status()}): ${body.toString().slice(0, 500)}`);
    return { context, body, finalUrl: page.url(), status: response.status() };
  }

  const sessionCookie = async (context: BrowserContext) => (await context.cookies()).find((c) => c.name === 'gatehouse_https');

  test("the /data/<id> layout: the file URL, the login page, then the file; the cookie is the collection path's and serves GET/HEAD only", async () => {
    const fileUrl = `${publicUrl}/data/${world.guestId}/docs/report.txt`;
    const { context, body, finalUrl, status } = await openWithLogin(fileUrl);
    try {
      assert.equal(status, 200);
      assert.equal(finalUrl, fileUrl, 'the browser ends on the file it asked for');
      assert.ok(body.equals(bytes), "the file's bytes");
      const session = await sessionCookie(context);
      assert.ok(session, 'a session cookie');
      assert.equal(session.domain, 'gatehouse.test');
      assert.equal(session.path, `/data/${world.guestId}`);
      assert.equal(session.httpOnly, true);
      assert.equal(session.secure, true);
      assert.equal(session.sameSite, 'Lax');
      assert.equal((await context.cookies()).filter((c) => c.name.startsWith('gatehouse_login_')).length, 0, 'the sign-in state is cleared');

      // The next file opens at once.
      const page = await context.newPage();
      const again = await page.goto(`${publicUrl}/data/${world.guestId}/docs/small.txt`);
      assert.equal(again?.status(), 200);
      assert.equal(await again?.text(), small);

      // The same cookie from anywhere: GET and HEAD are the browser's; PUT and DELETE still need a bearer token.
      const headers = { cookie: `gatehouse_https=${session.value}`, host: `gatehouse.test:${port}` };
      const viaNode = await server.fetch(`${server.url}/data/${world.guestId}/docs/small.txt`, { headers });
      assert.equal(viaNode.status, 200);
      assert.equal(viaNode.headers.get('cache-control'), 'private', 'no shared cache keeps what a cookie opened');
      assert.equal(await viaNode.text(), small);
      assert.equal((await server.fetch(`${server.url}/data/${world.guestId}/docs/small.txt`, { method: 'HEAD', headers })).status, 200);
      const put = await server.fetch(`${server.url}/data/${world.guestId}/docs/new.txt`, { method: 'PUT', headers, body: 'cross-site form' });
      assert.equal(put.status, 401);
      assert.equal(fs.existsSync(path.join(world.root, 'shared/docs/new.txt')), false);
      const del = await server.fetch(`${server.url}/data/${world.guestId}/docs/small.txt`, { method: 'DELETE', headers });
      assert.equal(del.status, 401);
      assert.equal(fs.readFileSync(path.join(world.root, 'shared/docs/small.txt'), 'utf8'), small);
      // The cookie is the guest's: it opens no other collection.
      const other = await server.fetch(`${server.url}/data/${world.mappedId}/shared/docs/small.txt`, {
        headers: { ...headers, 'x-requested-with': 'XMLHttpRequest' },
      });
      assert.equal(other.status, 401);
    } finally {
      await context.close();
    }
  });

  test("the callback takes only a sign-in this browser started, and the endpoint client's codes are the server's alone", async () => {
    const callback = `${publicUrl}/data/${world.guestId}/.well-known/gatehouse-login`;
    const forged = await server.fetch(`${server.url}/data/${world.guestId}/.well-known/gatehouse-login?state=${'A'.repeat(32)}&code=stolen`, {
      redirect: 'manual',
      headers: { host: `gatehouse.test:${port}` },
    });
    assert.equal(forged.status, 400);
    assert.equal((await forged.json()).code, 'login_state_mismatch');
    assert.equal(forged.headers.get('set-cookie')?.includes('gatehouse_https='), false, 'no session from a state the browser did not start');
    // Auth accepts the endpoint client's redirect only to a collection's own callback.
    const authorize = (redirect: string) =>
      server.fetch(
        `${server.url}/v2/oauth2/authorize?${new URLSearchParams({ client_id: server.endpointId, response_type: 'code', scope: `https://auth.globus.org/scopes/${world.guestId}/https`, redirect_uri: redirect, state: 'x' })}`,
      );
    assert.equal((await authorize(callback)).status, 200);
    for (const redirect of [
      'https://evil.test/cb',
      `${publicUrl}/data/${world.guestId}/elsewhere`,
      `${publicUrl}/data/${world.mappedId}x/.well-known/gatehouse-login`,
    ]) {
      const res = await authorize(redirect);
      assert.equal(res.status, 400, redirect);
      assert.match(JSON.stringify(await res.json()), /redirect_uri is not registered/);
    }
    // Nobody holds the endpoint client's secret: its codes cannot be redeemed at the token endpoint.
    const token = await postForm(server, '/v2/oauth2/token', {
      grant_type: 'authorization_code',
      client_id: server.endpointId,
      code: 'x',
      redirect_uri: callback,
      code_verifier: 'v'.repeat(43),
    });
    assert.equal(token.status, 401);
    assert.equal(token.body.error, 'invalid_client');
  });

  test("a collection's own host name: the login comes back there, and the /data/<id> URL moves to it first", async () => {
    const set = await api(server, world.admin.token, 'PUT', '/api/endpoint/domain', {
      DATA_TYPE: 'domain#1.0.0',
      domain_name: '*.gatehouse.test',
      wildcard: true,
    });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    const origin = (await api(server, world.admin.token, 'GET', `/api/collections/${world.guestId}`)).body.data[0].https_url as string;
    assert.match(origin, new RegExp(`^https://g-[0-9a-f]{6}\\.gatehouse\\.test:${port}$`));
    try {
      const direct = await openWithLogin(`${origin}/docs/report.txt`);
      try {
        assert.equal(direct.status, 200);
        assert.equal(direct.finalUrl, `${origin}/docs/report.txt`);
        assert.ok(direct.body.equals(bytes));
        const session = await sessionCookie(direct.context);
        assert.equal(session?.domain, new URL(origin).hostname);
        assert.equal(session?.path, '/');
      } finally {
        await direct.context.close();
      }
      const moved = await openWithLogin(`${publicUrl}/data/${world.guestId}/docs/small.txt?v=1`, `${origin}/docs/small.txt?v=1`);
      try {
        assert.equal(moved.finalUrl, `${origin}/docs/small.txt?v=1`, 'path and query kept');
        assert.equal(moved.body.toString(), small);
      } finally {
        await moved.context.close();
      }
    } finally {
      assert.equal((await api(server, world.admin.token, 'DELETE', '/api/endpoint/domain')).status, 200);
    }
  });

  test('HTML files are served sandboxed and nothing is type-sniffed', async () => {
    const dir = path.join(world.root, 'shared/docs');
    fs.writeFileSync(path.join(dir, 'page.html'), '<!doctype html><title></title><p>page</p><script>document.title = "scripts ran"</script>');
    fs.chownSync(path.join(dir, 'page.html'), world.accounts.owner.uid, world.accounts.owner.gid);
    const { context } = await openWithLogin(`${publicUrl}/data/${world.guestId}/docs/small.txt`);
    try {
      const page = await context.newPage();
      const res = await page.goto(`${publicUrl}/data/${world.guestId}/docs/page.html`);
      assert.equal(res?.status(), 200);
      assert.equal(res?.headers()['content-security-policy'], 'sandbox');
      assert.equal(res?.headers()['x-content-type-options'], 'nosniff');
      assert.equal(await page.textContent('p'), 'page', 'the page rendered');
      assert.equal(await page.title(), '', 'its script did not run');
    } finally {
      await context.close();
    }
  });
});
