// HTTPS data plane over real files and accounts: downloads with ranges and validators, atomic uploads, deletes, auth challenges, traversal refusals, CORS.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { followBrowserSignIn, makeUser, startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { eventually } from './helpers/wait.ts';
import { api } from './helpers/gcs.ts';
import { addRule, dataToken, isRoot, makeWorld, mkdirOwned, plant, rawRequest, type DataWorld } from './helpers/data.ts';

/** Waits for a condition of the file system the server changes asynchronously. */
const until = (condition: () => boolean, what: string) => eventually(condition, what);

const uploadTemps = (dir: string) => fs.readdirSync(dir).filter((n) => n.startsWith('.gatehouse-upload-'));

describe(`HTTPS data plane (${storeName})`, { skip: isRoot ? false : 'needs root (useradd, per-account workers)' }, () => {
  let server: TestServer;
  let world: DataWorld;
  let aliceMapped: string;
  let aliceGuest: string;
  const mappedUrl = (p: string) => `${server.url}/data/${world.mappedId}${p}`;
  const guestUrl = (p: string) => `${server.url}/data/${world.guestId}${p}`;
  const get = (url: string, token?: string, headers: Record<string, string> = {}, method = 'GET') =>
    server.fetch(url, { method, redirect: 'manual', headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });

  before(async () => {
    server = await startTestServer();
    world = await makeWorld(server, {
      tree: (root, { owner, alice }) => {
        plant(root, 'shared/readme.txt', 'hello guest world', owner);
        plant(root, 'shared/pub/p.txt', 'public text', owner);
        plant(root, 'shared/secret/s.txt', 'not shareable', owner);
        mkdirOwned(root, 'shared/dir', owner);
        plant(root, 'alice/a.txt', '0123456789abcdefghij', alice);
        plant(root, 'alice/report.pdf', '%PDF-1.4 fake', alice);
        plant(root, 'alice/private.txt', 'mine only', alice, 0o600);
        // Links: out of the whole tree, out of the guest into the mapped root, and into a part sharing forbids.
        fs.symlinkSync('/etc/passwd', path.join(root, 'shared', 'passwd-link'));
        fs.symlinkSync(path.join(root, 'alice', 'a.txt'), path.join(root, 'shared', 'alice-link'));
        fs.symlinkSync('secret/s.txt', path.join(root, 'shared', 'secret-link'));
        for (const link of ['passwd-link', 'alice-link', 'secret-link']) fs.lchownSync(path.join(root, 'shared', link), owner.uid, owner.gid);
      },
      mappedExtra: () => ({ sharing_restrict_paths: { DATA_TYPE: 'path_restrictions#1.0.0', read_write: ['/shared'], none: ['/shared/secret'] } }),
    });
    aliceMapped = await dataToken(server, world.alice, world.mappedId, true);
    aliceGuest = await dataToken(server, world.alice, world.guestId, false);
    await addRule(server, world.owner, world.guestId, { principal_type: 'identity', principal: world.alice.id, path: '/', permissions: 'rw' });
    await addRule(server, world.owner, world.guestId, { principal_type: 'anonymous', path: '/pub/', permissions: 'r' });
  });
  after(async () => {
    await server?.stop();
    world?.cleanup();
  });

  test('GET serves the file as the mapped account with validators and a content type', async () => {
    const res = await get(mappedUrl('/alice/a.txt'), aliceMapped);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '0123456789abcdefghij');
    assert.equal(res.headers.get('content-length'), '20');
    assert.equal(res.headers.get('accept-ranges'), 'bytes');
    assert.match(res.headers.get('content-type')!, /^text\/plain/);
    assert.match(res.headers.get('etag')!, /^"14-[0-9a-f]+"$/);
    const mtime = fs.statSync(path.join(world.root, 'alice/a.txt')).mtime;
    assert.equal(res.headers.get('last-modified'), new Date(Math.floor(mtime.getTime() / 1000) * 1000).toUTCString());
    const pdf = await get(mappedUrl('/alice/report.pdf?download'), aliceMapped);
    assert.equal(pdf.status, 200);
    assert.equal(pdf.headers.get('content-type'), 'application/pdf');
    assert.match(pdf.headers.get('content-disposition')!, /^attachment; filename="report\.pdf"/);
    await pdf.arrayBuffer();
  });

  test('Range: 206 with Content-Range for a-b, a- and -n; 416 with bytes */size; several ranges get the whole file', async () => {
    const cases: Array<[string, string, string]> = [
      ['bytes=2-5', '2345', 'bytes 2-5/20'],
      ['bytes=15-', 'fghij', 'bytes 15-19/20'],
      ['bytes=-3', 'hij', 'bytes 17-19/20'],
      ['bytes=18-100', 'ij', 'bytes 18-19/20'],
    ];
    for (const [range, body, contentRange] of cases) {
      const res = await get(mappedUrl('/alice/a.txt'), aliceMapped, { range });
      assert.equal(res.status, 206, range);
      assert.equal(res.headers.get('content-range'), contentRange);
      assert.equal(await res.text(), body);
    }
    const bad = await get(mappedUrl('/alice/a.txt'), aliceMapped, { range: 'bytes=20-' });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers.get('content-range'), 'bytes */20');
    await bad.arrayBuffer();
    const multi = await get(mappedUrl('/alice/a.txt'), aliceMapped, { range: 'bytes=0-1,4-5' });
    assert.equal(multi.status, 200);
    assert.equal((await multi.text()).length, 20);
  });

  test('If-Range: a matching ETag or date gets the range (206); a stale, weak or other date validator gets the whole file (200)', async () => {
    const head = await get(mappedUrl('/alice/a.txt'), aliceMapped, {}, 'HEAD');
    const etag = head.headers.get('etag')!;
    const lastModified = head.headers.get('last-modified')!;
    const ranged = async (ifRange: string, range = 'bytes=2-5') => {
      const res = await get(mappedUrl('/alice/a.txt'), aliceMapped, { range, 'if-range': ifRange });
      return { status: res.status, contentRange: res.headers.get('content-range'), length: res.headers.get('content-length'), body: await res.text() };
    };
    assert.deepEqual(await ranged(etag), { status: 206, contentRange: 'bytes 2-5/20', length: '4', body: '2345' });
    assert.deepEqual(await ranged(lastModified), { status: 206, contentRange: 'bytes 2-5/20', length: '4', body: '2345' });
    const whole = { status: 200, contentRange: null, length: '20', body: '0123456789abcdefghij' };
    assert.deepEqual(await ranged('"14-0"'), whole, 'stale ETag');
    assert.deepEqual(await ranged(`W/${etag}`), whole, 'weak ETag never matches (strong comparison)');
    assert.deepEqual(await ranged(new Date(Date.parse(lastModified) - 1000).toUTCString()), whole, 'older date');
    assert.deepEqual(await ranged('not a validator'), whole, 'unparseable');
    // An unsatisfiable range with a failing If-Range is not an error: the whole file is sent.
    assert.deepEqual(await ranged('"14-0"', 'bytes=20-'), whole);
    const bad = await get(mappedUrl('/alice/a.txt'), aliceMapped, { range: 'bytes=20-', 'if-range': etag });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers.get('content-range'), 'bytes */20');
    await bad.arrayBuffer();
    // If-Range without Range is ignored.
    const plain = await get(mappedUrl('/alice/a.txt'), aliceMapped, { 'if-range': '"14-0"' });
    assert.equal(plain.status, 200);
    assert.equal(await plain.text(), '0123456789abcdefghij');
  });

  test('ETag and If-None-Match: 304 while unchanged, 200 with a new ETag after a write', async () => {
    const first = await get(mappedUrl('/alice/a.txt'), aliceMapped);
    const etag = first.headers.get('etag')!;
    await first.arrayBuffer();
    const again = await get(mappedUrl('/alice/a.txt'), aliceMapped, { 'if-none-match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.headers.get('etag'), etag);
    assert.equal(await again.text(), '');
    const weak = await get(mappedUrl('/alice/a.txt'), aliceMapped, { 'if-none-match': `"nope", W/${etag}` }, 'HEAD');
    assert.equal(weak.status, 304);
    const put = await server.fetch(mappedUrl('/alice/a.txt'), {
      method: 'PUT',
      headers: { authorization: `Bearer ${aliceMapped}` },
      body: 'changed content, longer',
    });
    assert.equal(put.status, 204);
    const changed = await get(mappedUrl('/alice/a.txt'), aliceMapped, { 'if-none-match': etag });
    assert.equal(changed.status, 200);
    assert.notEqual(changed.headers.get('etag'), etag);
    assert.equal(await changed.text(), 'changed content, longer');
    fs.writeFileSync(path.join(world.root, 'alice/a.txt'), '0123456789abcdefghij');
  });

  test('HEAD gives the headers of GET without a body; directories are not listed (403)', async () => {
    const res = await get(mappedUrl('/alice/a.txt'), aliceMapped, { 'x-requested-with': 'XMLHttpRequest' }, 'HEAD');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), '20');
    assert.ok(res.headers.get('etag'));
    assert.equal(await res.text(), '');
    for (const method of ['GET', 'HEAD']) {
      const dir = await get(mappedUrl('/alice/'), aliceMapped, {}, method);
      assert.equal(dir.status, 403, method);
      await dir.arrayBuffer();
    }
  });

  test('PUT creates (201), replaces (204), honours If-None-Match: *, needs the parent (409), refuses a directory target (409)', async () => {
    const put = (p: string, body: string, headers: Record<string, string> = {}) =>
      server.fetch(mappedUrl(p), { method: 'PUT', headers: { authorization: `Bearer ${aliceMapped}`, 'content-type': 'application/json', ...headers }, body });
    const created = await put('/alice/new.json', '{"not":"parsed"}');
    assert.equal(created.status, 201);
    const file = path.join(world.root, 'alice/new.json');
    assert.equal(fs.readFileSync(file, 'utf8'), '{"not":"parsed"}');
    // The file belongs to the mapped account, not to the server.
    assert.equal(fs.statSync(file).uid, world.accounts.alice.uid);
    assert.equal((await put('/alice/new.json', 'v2')).status, 204);
    assert.equal(fs.readFileSync(file, 'utf8'), 'v2');
    assert.equal((await put('/alice/new.json', 'v3', { 'if-none-match': '*' })).status, 412);
    assert.equal(fs.readFileSync(file, 'utf8'), 'v2');
    assert.equal((await put('/alice/missing/x.txt', 'x')).status, 409);
    assert.equal((await put('/alice', 'x')).status, 409);
    // A chunked body (no Content-Length) streams as well.
    const chunked = await server.fetch(mappedUrl('/alice/stream.bin'), {
      method: 'PUT',
      headers: { authorization: `Bearer ${aliceMapped}` },
      body: new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode('part1-'));
          c.enqueue(new TextEncoder().encode('part2'));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    assert.equal(chunked.status, 201);
    assert.equal(fs.readFileSync(path.join(world.root, 'alice/stream.bin'), 'utf8'), 'part1-part2');
  });

  test('an upload cut off mid-body leaves the old content and no partial or temp file', async () => {
    const target = path.join(world.root, 'alice', 'big.bin');
    fs.writeFileSync(target, 'old content');
    fs.chownSync(target, world.accounts.alice.uid, world.accounts.alice.gid);
    const url = new URL(server.url);
    const total = 64 * 1024 * 1024;
    const req = https.request({
      host: url.hostname,
      port: url.port,
      method: 'PUT',
      path: `/data/${world.mappedId}/alice/big.bin`,
      headers: { authorization: `Bearer ${aliceMapped}`, 'content-length': String(total) },
      ca: server.ca,
      agent: false,
    });
    const settled = new Promise<void>((resolve) => {
      req.on('error', () => resolve());
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
    });
    req.write(Buffer.alloc(1024 * 1024, 0x61));
    // The server has started writing when its temp file shows up next to the target.
    await until(() => uploadTemps(path.dirname(target)).length > 0, 'the upload temp file appears');
    req.destroy(new Error('client went away'));
    await settled;
    await until(() => uploadTemps(path.dirname(target)).length === 0, 'the temp file is removed');
    assert.equal(fs.readFileSync(target, 'utf8'), 'old content');
  });

  test('DELETE removes a file (204) and empty directories; non-empty directories are 409; the root is refused', async () => {
    plant(world.root, 'alice/trash/t.txt', 'bye', world.accounts.alice);
    const del = (p: string) => server.fetch(mappedUrl(p), { method: 'DELETE', headers: { authorization: `Bearer ${aliceMapped}` } });
    assert.equal((await del('/alice/trash')).status, 409);
    assert.equal((await del('/alice/trash/t.txt')).status, 204);
    assert.equal(fs.existsSync(path.join(world.root, 'alice/trash/t.txt')), false);
    assert.equal((await del('/alice/trash')).status, 204);
    const gone = await get(mappedUrl('/alice/trash/t.txt'), aliceMapped);
    assert.equal(gone.status, 404);
    await gone.arrayBuffer();
    assert.equal((await del('/')).status, 403);
  });

  test("POSIX permissions of the mapped account are the kernel's: another account gets 403 on a 0600 file", async () => {
    const other = await dataToken(server, world.other, world.mappedId, true);
    const res = await get(mappedUrl('/alice/private.txt'), other);
    assert.equal(res.status, 403);
    assert.equal((await res.json()).code, 'EACCES');
    const mine = await get(mappedUrl('/alice/private.txt'), aliceMapped);
    assert.equal(await mine.text(), 'mine only');
  });

  test('no token: the redirect to Auth followed to its end — sign-in, the login callback, then the file itself with the session cookie', async () => {
    const dana = await makeUser(server, 'dana@localhost', 'dana-password-1');
    await addRule(server, world.owner, world.guestId, { principal_type: 'identity', principal: dana.id, path: '/', permissions: 'r' });
    const { res, hops } = await followBrowserSignIn(server, guestUrl('/readme.txt'), 'dana', 'dana-password-1');
    assert.equal(res.status, 200, hops.join(' → '));
    assert.equal(await res.text(), 'hello guest world');
    assert.equal(hops.at(-1), guestUrl('/readme.txt'), 'the flow ends where it began');
    assert.ok(
      hops.some((h) => h.startsWith(guestUrl('/.well-known/gatehouse-login'))),
      hops.join(' → '),
    );
  });

  test("no token: a plain GET is redirected to Auth with the endpoint's client_id; XHR, HEAD and PUT get 401 JSON with required_scopes", async () => {
    const browser = await get(mappedUrl('/alice/a.txt'), undefined, { accept: 'text/html' });
    assert.equal(browser.status, 302);
    const location = new URL(browser.headers.get('location')!);
    assert.equal(location.pathname, '/v2/oauth2/authorize');
    // The endpoint's client signs browsers in, and Auth sends them back to the collection's login callback.
    assert.deepEqual(location.searchParams.getAll('client_id'), [server.endpointId]);
    assert.equal(location.searchParams.get('redirect_uri'), mappedUrl('/.well-known/gatehouse-login'));
    assert.equal(location.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(location.searchParams.get('response_type'), 'code');
    assert.match(location.searchParams.get('scope')!, new RegExp(`scopes/${world.mappedId}/https`));
    const script = await get(mappedUrl('/alice/a.txt'), undefined, { 'x-requested-with': 'XMLHttpRequest' });
    assert.equal(script.status, 401);
    assert.match(script.headers.get('content-type')!, /application\/json/);
    const body = await script.json();
    assert.equal(body.code, 'AuthenticationRequired');
    assert.deepEqual(body.authorization_parameters.required_scopes, [
      `https://auth.globus.org/scopes/${world.mappedId}/https`,
      `https://auth.globus.org/scopes/${world.mappedId}/data_access`,
    ]);
    // The collection root answers too (Neuroglancer asks the origin root for the scopes).
    for (const p of ['', '/']) {
      const rootRes = await get(mappedUrl(p), undefined, { 'x-requested-with': 'XMLHttpRequest' });
      assert.equal(rootRes.status, 401, `root '${p}'`);
      assert.ok((await rootRes.json()).authorization_parameters.required_scopes.length > 0);
    }
    // A guest needs only the https scope.
    const guest = await get(guestUrl('/readme.txt'), undefined, { 'x-requested-with': 'XMLHttpRequest' });
    assert.deepEqual((await guest.json()).authorization_parameters.required_scopes, [`https://auth.globus.org/scopes/${world.guestId}/https`]);
    const head = await get(mappedUrl('/alice/a.txt'), undefined, {}, 'HEAD');
    assert.equal(head.status, 401);
    const put = await server.fetch(mappedUrl('/alice/a.txt'), { method: 'PUT', body: 'x' });
    assert.equal(put.status, 401);
    await put.arrayBuffer();
    assert.equal(fs.readFileSync(path.join(world.root, 'alice/a.txt'), 'utf8'), '0123456789abcdefghij');
  });

  test('bad tokens: invalid, for another resource server, or without data_access on a mapped collection are 401 with WWW-Authenticate', async () => {
    const invalid = await get(mappedUrl('/alice/a.txt'), 'not-a-token');
    assert.equal(invalid.status, 401);
    assert.match(invalid.headers.get('www-authenticate')!, /^Bearer/);
    await invalid.arrayBuffer();
    const wrongRs = await get(mappedUrl('/alice/a.txt'), aliceGuest, { 'x-requested-with': 'XMLHttpRequest' });
    assert.equal(wrongRs.status, 401);
    await wrongRs.arrayBuffer();
    const noDataAccess = await dataToken(server, world.alice, world.mappedId, false);
    const res = await get(mappedUrl('/alice/a.txt'), noDataAccess, { 'x-requested-with': 'XMLHttpRequest' });
    assert.equal(res.status, 401);
    assert.ok((await res.json()).authorization_parameters.required_scopes.includes(`https://auth.globus.org/scopes/${world.mappedId}/data_access`));
    const manage = await get(mappedUrl('/alice/a.txt'), world.alice.token);
    assert.equal(manage.status, 401);
    await manage.arrayBuffer();
  });

  test('anonymous reads where an anonymous rule allows them, and only there', async () => {
    const pub = await get(guestUrl('/pub/p.txt'));
    assert.equal(pub.status, 200);
    assert.equal(await pub.text(), 'public text');
    const other = await get(guestUrl('/readme.txt'), undefined, { 'x-requested-with': 'XMLHttpRequest' });
    assert.equal(other.status, 401);
    await other.arrayBuffer();
    const write = await server.fetch(guestUrl('/pub/new.txt'), { method: 'PUT', body: 'x', headers: { 'x-requested-with': 'XMLHttpRequest' } });
    assert.equal(write.status, 401);
    await write.arrayBuffer();
    // The guest writes as its owner's account.
    const put = await server.fetch(guestUrl('/dir/by-alice.txt'), { method: 'PUT', body: 'via guest', headers: { authorization: `Bearer ${aliceGuest}` } });
    assert.equal(put.status, 201);
    assert.equal(fs.statSync(path.join(world.root, 'shared/dir/by-alice.txt')).uid, world.accounts.owner.uid);
  });

  test('traversal over HTTP is refused: .., %2e%2e, %2f, backslashes, and symlinks leading out or into restricted parts', async () => {
    const auth = { authorization: `Bearer ${aliceGuest}` };
    const attempts = [
      `/data/${world.guestId}/../${world.mappedId}/alice/a.txt`,
      `/data/${world.guestId}/dir/../../alice/a.txt`,
      `/data/${world.guestId}/%2e%2e/alice/a.txt`,
      `/data/${world.guestId}/%2E%2E/%2E%2E/etc/passwd`,
      `/data/${world.guestId}/dir%2f..%2f..%2falice%2fa.txt`,
      `/data/${world.guestId}/..%2falice%2fa.txt`,
      `/data/${world.guestId}/dir%5c..%5c..%5calice%5ca.txt`,
      `/data/${world.guestId}/./readme.txt`,
      `/data/${world.guestId}/%00`,
    ];
    for (const attempt of attempts) {
      const res = await rawRequest(server, { method: 'GET', path: attempt, headers: auth });
      assert.ok(res.status === 400 || res.status === 403 || res.status === 404, `${attempt} → ${res.status}`);
      assert.ok(!res.body.toString().includes('0123456789') && !res.body.toString().includes('root:'), attempt);
    }
    for (const link of ['/passwd-link', '/alice-link', '/secret-link']) {
      const res = await get(guestUrl(link), aliceGuest);
      assert.equal(res.status, 403, link);
      const text = await res.text();
      assert.ok(!text.includes('root:') && !text.includes('0123456789') && !text.includes('not shareable'), link);
    }
    // Writing through a link that leads out replaces nothing outside.
    const put = await server.fetch(guestUrl('/alice-link'), { method: 'PUT', body: 'overwrite?', headers: auth });
    assert.ok(put.status === 201 || put.status === 204 || put.status === 403, String(put.status));
    assert.equal(fs.readFileSync(path.join(world.root, 'alice/a.txt'), 'utf8'), '0123456789abcdefghij');
    // The sharing restriction applies to the plain path too.
    const secret = await get(guestUrl('/secret/s.txt'), aliceGuest);
    assert.equal(secret.status, 403);
    await secret.arrayBuffer();
  });

  test('unknown collections and missing files are 404 (missing files only after authorization)', async () => {
    const unknown = await get(`${server.url}/data/00000000-0000-4000-8000-000000000000/x`, aliceMapped);
    assert.equal(unknown.status, 404);
    await unknown.arrayBuffer();
    const missing = await get(mappedUrl('/alice/nope.txt'), aliceMapped);
    assert.equal(missing.status, 404);
    await missing.arrayBuffer();
    const hidden = await get(guestUrl('/nope.txt'), undefined, { 'x-requested-with': 'XMLHttpRequest' });
    assert.equal(hidden.status, 401);
    await hidden.arrayBuffer();
  });

  test('https_methods and enable_https: a removed method is 405 with Allow; HTTPS off is 403', async () => {
    const patch = await api(server, world.owner.token, 'PATCH', `/api/collections/${world.guestId}`, { DATA_TYPE: 'collection#1.2.0', https_methods: ['GET'] });
    assert.equal(patch.status, 200, JSON.stringify(patch.body));
    const put = await server.fetch(guestUrl('/dir/x.txt'), { method: 'PUT', body: 'x', headers: { authorization: `Bearer ${aliceGuest}` } });
    assert.equal(put.status, 405);
    assert.match(put.headers.get('allow')!, /GET/);
    assert.doesNotMatch(put.headers.get('allow')!, /PUT/);
    await put.arrayBuffer();
    const read = await get(guestUrl('/readme.txt'), aliceGuest);
    assert.equal(read.status, 200);
    await read.arrayBuffer();
    const off = await api(server, world.owner.token, 'PATCH', `/api/collections/${world.guestId}`, {
      DATA_TYPE: 'collection#1.2.0',
      https_methods: ['GET', 'PUT', 'DELETE'],
      enable_https: false,
    });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    const denied = await get(guestUrl('/readme.txt'), aliceGuest);
    assert.equal(denied.status, 403);
    await denied.arrayBuffer();
    const on = await api(server, world.owner.token, 'PATCH', `/api/collections/${world.guestId}`, { DATA_TYPE: 'collection#1.2.0', enable_https: true });
    assert.equal(on.status, 200, JSON.stringify(on.body));
    const back = await get(guestUrl('/readme.txt'), aliceGuest);
    assert.equal(back.status, 200);
    await back.arrayBuffer();
  });

  test('CORS: preflight answers 204 with the allowed methods and headers; responses echo the origin', async () => {
    const pre = await server.fetch(guestUrl('/readme.txt'), {
      method: 'OPTIONS',
      headers: { origin: 'https://viewer.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization,x-requested-with' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), 'https://viewer.example');
    assert.match(pre.headers.get('access-control-allow-methods')!, /PUT/);
    assert.match(pre.headers.get('access-control-allow-headers')!, /Authorization/);
    const res = await get(guestUrl('/readme.txt'), aliceGuest, { origin: 'https://viewer.example', range: 'bytes=0-4' });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://viewer.example');
    assert.match(res.headers.get('access-control-expose-headers')!, /Content-Range/);
    assert.equal(await res.text(), 'hello');
  });
});
