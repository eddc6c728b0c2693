// Collection last_access: set to the day of a successful data access over HTTPS or a Transfer file operation (not of a refused one), shown by GET /api/collections and matched by its filter.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { eventually } from './helpers/wait.ts';
import { api } from './helpers/gcs.ts';
import { addRule, dataToken, isRoot, makeWorld, plant, rawRequest, transferToken, type DataWorld } from './helpers/data.ts';

const today = () => new Date().toISOString().slice(0, 10);

describe(`collection last_access (${storeName})`, { skip: isRoot ? false : 'needs root (useradd, per-account workers)' }, () => {
  let server: TestServer;
  let world: DataWorld;

  const lastAccess = async (id: string) => {
    const res = await api(server, world.admin.token, 'GET', `/api/collections/${id}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.data[0].last_access as string | null;
  };
  /** Recording happens after the response: wait for it (bounded, so a missing update fails rather than hangs). */
  const settled = (id: string) => eventually(async () => (await lastAccess(id)) ?? undefined, `last_access of ${id} recorded`);
  const listed = async (filter: string) => {
    const res = await api(server, world.admin.token, 'GET', `/api/collections?filter=${encodeURIComponent(filter)}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return (res.body.data as Array<{ id: string }>).map((c) => c.id);
  };

  before(async () => {
    server = await startTestServer();
    world = await makeWorld(server, { tree: (root, { owner }) => plant(root, 'shared/file.txt', 'some data', owner) });
    await addRule(server, world.owner, world.guestId, { principal_type: 'identity', principal: world.bob.id, path: '/', permissions: 'r' });
  });
  after(async () => {
    await server?.stop();
    world?.cleanup();
  });

  test('a new collection has no last_access, and no last_access filter matches it', async () => {
    assert.equal(await lastAccess(world.guestId), null);
    assert.ok(!(await listed(`last_access>=2000-01-01`)).includes(world.guestId));
  });

  test('a refused request records nothing', async () => {
    // bob has no mapping on the gateway: the mapped collection refuses him.
    const token = await dataToken(server, world.bob, world.mappedId, true);
    const res = await rawRequest(server, { method: 'GET', path: `/data/${world.mappedId}/shared/file.txt`, headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 403, res.body.toString());
    const none = await rawRequest(server, {
      method: 'GET',
      path: `/data/${world.guestId}/missing.txt`,
      headers: { authorization: `Bearer ${await dataToken(server, world.bob, world.guestId, false)}` },
    });
    assert.equal(none.status, 404);
    // A successful request on the guest is recorded; the two failures before it are not.
    const ok = await rawRequest(server, {
      method: 'GET',
      path: `/data/${world.guestId}/file.txt`,
      headers: { authorization: `Bearer ${await dataToken(server, world.bob, world.guestId, false)}` },
    });
    assert.equal(ok.status, 200);
    assert.equal(await settled(world.guestId), today());
    assert.equal(await lastAccess(world.mappedId), null);
  });

  test('a download sets last_access to today, and the last_access filters see it', async () => {
    const token = await dataToken(server, world.bob, world.guestId, false);
    const res = await rawRequest(server, { method: 'GET', path: `/data/${world.guestId}/file.txt`, headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), 'some data');
    assert.equal(await settled(world.guestId), today());

    const day = today();
    assert.ok((await listed(`last_access>=${day}`)).includes(world.guestId));
    assert.ok((await listed(`last_access=${day}`)).includes(world.guestId));
    assert.ok(!(await listed(`last_access<${day}`)).includes(world.guestId));
    assert.ok(!(await listed(`last_access>=${day}`)).includes(world.mappedId), 'the mapped collection was not accessed');
  });

  test('the owner reading through the mapped collection records it there, and later accesses keep the date', async () => {
    const token = await dataToken(server, world.owner, world.mappedId, true);
    const res = await rawRequest(server, { method: 'HEAD', path: `/data/${world.mappedId}/shared/file.txt`, headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    assert.equal(await settled(world.mappedId), today());
    const again = await rawRequest(server, {
      method: 'GET',
      path: `/data/${world.guestId}/file.txt`,
      headers: { authorization: `Bearer ${await dataToken(server, world.bob, world.guestId, false)}` },
    });
    assert.equal(again.status, 200);
    assert.equal(await lastAccess(world.guestId), today());
    assert.deepEqual(
      (await listed(`last_access>=${today()}`)).filter((id) => id === world.guestId || id === world.mappedId).sort(),
      [world.guestId, world.mappedId].sort(),
    );
  });

  test('a Transfer ls counts as an access too; a refused or failed one does not', async () => {
    // Guests of their own: the collections above already carry today's date.
    const newGuest = async (name: string) => {
      const res = await api(server, world.owner.token, 'POST', '/api/collections', {
        DATA_TYPE: 'collection#1.2.0',
        collection_type: 'guest',
        display_name: name,
        public: true,
        collection_base_path: '/shared',
        mapped_collection_id: world.mappedId,
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.data[0].id as string;
    };
    const listedGuest = await newGuest('listed over Transfer');
    const refusedGuest = await newGuest('refused over Transfer');
    const ls = (token: string, id: string, path: string) => api(server, token, 'GET', `/v0.10/operation/endpoint/${id}/ls?path=${encodeURIComponent(path)}`);
    const ownerTransfer = await transferToken(server, world.owner);
    // bob holds no rule on it; the owner is admitted but the directory is missing.
    assert.equal((await ls(await transferToken(server, world.bob), refusedGuest, '/')).status, 403);
    assert.equal((await ls(ownerTransfer, refusedGuest, '/missing/')).status, 404);

    const listing = await ls(ownerTransfer, listedGuest, '/');
    assert.equal(listing.status, 200, JSON.stringify(listing.body));
    assert.deepEqual(
      (listing.body.DATA as Array<{ name: string }>).map((f) => f.name),
      ['file.txt'],
    );
    assert.equal(await settled(listedGuest), today());
    assert.equal(await lastAccess(refusedGuest), null);
  });
});
