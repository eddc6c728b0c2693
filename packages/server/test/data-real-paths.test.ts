// Restrictions judged on real paths: a guest base path that is a link is refused at creation and refused on access once it becomes one; links inside a share cannot open a restricted part.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { api } from './helpers/gcs.ts';
import { addRule, dataToken, isRoot, makeWorld, mkdirOwned, plant, rawRequest, transferToken, type DataWorld } from './helpers/data.ts';

describe(`sharing restrictions on the real path (${storeName})`, { skip: isRoot ? false : 'needs root (useradd, per-account workers)' }, () => {
  let server: TestServer;
  let world: DataWorld;

  before(async () => {
    server = await startTestServer();
    world = await makeWorld(server, {
      guestBase: '/share/ok',
      // Only /share may be shared; /private never.
      mappedExtra: () => ({ sharing_restrict_paths: { DATA_TYPE: 'path_restrictions#1.0.0', read_write: ['/share'], none: ['/private'] } }),
      tree: (root, { owner }) => {
        mkdirOwned(root, 'share/ok', owner);
        plant(root, 'share/ok/hello.txt', 'hello', owner);
        plant(root, 'private/secret.txt', 'SECRET', owner);
        plant(root, 'share/other/x.txt', 'x', owner);
        fs.symlinkSync('../private', path.join(root, 'share/plink'));
        fs.lchownSync(path.join(root, 'share/plink'), owner.uid, owner.gid);
      },
    });
    await addRule(server, world.owner, world.guestId, { principal_type: 'identity', principal: world.bob.id, path: '/', permissions: 'rw' });
  });
  after(async () => {
    await server?.stop();
    world?.cleanup();
  });

  const createGuest = (base: string) =>
    api(server, world.owner.token, 'POST', '/api/collections', {
      DATA_TYPE: 'collection#1.2.0',
      collection_type: 'guest',
      display_name: `guest on ${base}`,
      public: true,
      collection_base_path: base,
      mapped_collection_id: world.mappedId,
    });

  test('a guest base path that is a link into a restricted part is refused at creation', async () => {
    const refused = await createGuest('/share/plink');
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.match(refused.body.detail ?? refused.body.message ?? JSON.stringify(refused.body), /may not be shared/);
    // A link that stays in the shareable part is judged where it leads, and allowed.
    fs.symlinkSync('other', path.join(world.root, 'share/olink'));
    const allowed = await createGuest('/share/olink');
    assert.equal(allowed.status, 201, JSON.stringify(allowed.body));
    // The lexical check still applies: the restricted directory itself is refused.
    assert.equal((await createGuest('/private')).status, 403);
  });

  test('a guest base that becomes a link is judged where it leads on every access', async () => {
    const https = await dataToken(server, world.bob, world.guestId, false);
    const transfer = await transferToken(server, world.bob);
    const get = (rel: string) => rawRequest(server, { method: 'GET', path: `/data/${world.guestId}${rel}`, headers: { authorization: `Bearer ${https}` } });
    const before = await get('/hello.txt');
    assert.equal(before.status, 200);
    assert.equal(before.body.toString(), 'hello');
    // The account holder turns the shared directory into a link to the private one.
    fs.renameSync(path.join(world.root, 'share/ok'), path.join(world.root, 'share/ok.moved'));
    fs.symlinkSync('../private', path.join(world.root, 'share/ok'));
    try {
      const res = await get('/secret.txt');
      assert.equal(res.status, 403, res.body.toString());
      assert.ok(!res.body.toString().includes('SECRET'));
      const head = await rawRequest(server, { method: 'HEAD', path: `/data/${world.guestId}/secret.txt`, headers: { authorization: `Bearer ${https}` } });
      assert.equal(head.status, 403);
      const ls = await api(server, transfer, 'GET', `/v0.10/operation/endpoint/${world.guestId}/ls?path=/`);
      assert.equal(ls.status, 403, JSON.stringify(ls.body));
      assert.equal(ls.body.code, 'PermissionDenied');
      const put = await rawRequest(server, {
        method: 'PUT',
        path: `/data/${world.guestId}/planted.txt`,
        headers: { authorization: `Bearer ${https}` },
        body: 'planted',
      });
      assert.equal(put.status, 403);
      assert.equal(fs.existsSync(path.join(world.root, 'private/planted.txt')), false);
      const mkdir = await api(server, transfer, 'POST', `/v0.10/operation/endpoint/${world.guestId}/mkdir`, { DATA_TYPE: 'mkdir', path: '/made' });
      assert.equal(mkdir.status, 403);
      assert.equal(fs.existsSync(path.join(world.root, 'private/made')), false);
    } finally {
      fs.unlinkSync(path.join(world.root, 'share/ok'));
      fs.renameSync(path.join(world.root, 'share/ok.moved'), path.join(world.root, 'share/ok'));
    }
    assert.equal((await get('/hello.txt')).status, 200);
  });
});
