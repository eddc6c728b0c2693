// Access-rule flows driven by @globus/sdk (transfer.access.*) and by the Gatehouse SDK's TransferClient against a real server.
import fs from 'node:fs';
import https from 'node:https';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { transfer as globusTransfer } from '@globus/sdk';
import { startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { makeActor, type Actor } from './helpers/gcs.ts';
import { setupGuest, transferToken } from './transfer-access-helpers.ts';
import { TransferClient } from '../../sdk/src/transfer/client.ts';
import { AccessTokenAuthorizer } from '../../sdk/src/authorizers/access-token.ts';
import { TransferAPIError } from '../../sdk/src/core/errors.ts';
import { accessRule, accessRuleUpdate, allAuthenticatedAccessRule, anonymousAccessRule, identityAccessRule } from '../../sdk/src/transfer/access-rule.ts';

describe(`Transfer access rules through SDKs (${storeName})`, () => {
  let server: TestServer;
  let root: string;
  let guestId: string;
  let mappedId: string;
  let maker: Actor;
  let friend: Actor;
  let token: string;
  let agent: https.Agent;
  const previousUrl = process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER;

  before(async () => {
    server = await startTestServer();
    ({ root, guestId, mappedId, maker } = await setupGuest(server));
    friend = await makeActor(server, 'friend');
    token = await transferToken(server, maker);
    agent = new https.Agent({ ca: server.ca });
    process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER = `${server.url}/`;
  });
  after(async () => {
    if (previousUrl === undefined) delete process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER;
    else process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER = previousUrl;
    agent.destroy();
    await server.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  describe('@globus/sdk transfer.access', () => {
    const auth = () => ({ headers: { Authorization: `Bearer ${token}` } });
    const sdkOptions = () => ({ fetch: { options: { agent } } }) as any;

    test('create, get, getAll, update, remove', async () => {
      const created = await globusTransfer.access.create(
        guestId,
        {
          payload: {
            DATA_TYPE: 'access',
            principal_type: 'identity',
            principal: friend.id,
            path: '/shared/',
            permissions: 'r',
            notify_email: 'friend@example.org',
          },
          ...auth(),
        },
        sdkOptions(),
      );
      assert.equal(created.status, 201);
      const result = (await created.json()) as any;
      assert.equal(result.code, 'Created');
      const id = result.access_id as string;

      const got = await globusTransfer.access.get({ endpoint_xid: guestId, id }, auth(), sdkOptions());
      assert.equal(got.status, 200);
      const doc = await got.json();
      assert.equal(doc.DATA_TYPE, 'access');
      assert.equal(doc.principal, friend.id);
      assert.equal(doc.path, '/shared/');

      const all = await globusTransfer.access.getAll(guestId, { ...auth(), query: { offset: 0, limit: 10 } }, sdkOptions());
      const list = await all.json();
      assert.equal(list.DATA_TYPE, 'access_list');
      assert.deepEqual(
        list.DATA.map((r) => r.id),
        [null, id],
      );
      assert.equal(list.length, 2);

      const updated = await globusTransfer.access.update(
        { endpoint_xid: guestId, id },
        { payload: { DATA_TYPE: 'access', permissions: 'rw' }, ...auth() },
        sdkOptions(),
      );
      assert.equal(updated.status, 200);
      assert.equal((await updated.json()).code, 'Updated');
      assert.equal((await (await globusTransfer.access.get({ endpoint_xid: guestId, id }, auth(), sdkOptions())).json()).permissions, 'rw');

      const removed = await globusTransfer.access.remove({ endpoint_xid: guestId, id }, auth(), sdkOptions());
      assert.equal(removed.status, 200);
      assert.equal(((await removed.json()) as any).code, 'Deleted');
      const gone = await globusTransfer.access.get({ endpoint_xid: guestId, id }, auth(), sdkOptions());
      assert.equal(gone.status, 404);
      assert.equal(((await gone.json()) as any).code, 'AccessRuleNotFound');
    });

    test('errors arrive in the Transfer layout', async () => {
      const mapped = await globusTransfer.access.create(
        mappedId,
        { payload: { DATA_TYPE: 'access', principal_type: 'anonymous', principal: '', path: '/', permissions: 'r' }, ...auth() },
        sdkOptions(),
      );
      assert.equal(mapped.status, 400);
      const body = (await mapped.json()) as any;
      assert.equal(body.code, 'BadRequest');
      assert.ok(body.request_id);
      assert.equal(body.resource, `/endpoint/${mappedId}/access`);
      const invalid = await globusTransfer.access.create(
        guestId,
        { payload: { DATA_TYPE: 'access', principal_type: 'anonymous', principal: '', path: 'relative', permissions: 'r' }, ...auth() },
        sdkOptions(),
      );
      assert.equal(((await invalid.json()) as any).code, 'InvalidPath');
    });
  });

  describe('Gatehouse SDK TransferClient', () => {
    const client = () =>
      new TransferClient({ baseUrl: server.url, authorizer: new AccessTokenAuthorizer(token), dispatcher: server.dispatcher, maxRetries: 0 });

    test('builders make what globus-cli sends', () => {
      assert.deepEqual(
        identityAccessRule(friend.id, '/d/', 'r', { notifyEmail: 'a@b.org', notifyMessage: 'hi', expirationDate: new Date(Date.UTC(2099, 0, 1)) }),
        {
          DATA_TYPE: 'access',
          principal_type: 'identity',
          principal: friend.id,
          path: '/d/',
          permissions: 'r',
          expiration_date: '2099-01-01T00:00:00+00:00',
          notify_email: 'a@b.org',
          notify_message: 'hi',
        },
      );
      assert.deepEqual(anonymousAccessRule('/pub/', 'r'), { DATA_TYPE: 'access', principal_type: 'anonymous', principal: '', path: '/pub/', permissions: 'r' });
      assert.deepEqual(accessRuleUpdate({ permissions: 'rw', expirationDate: null }), { DATA_TYPE: 'access', permissions: 'rw', expiration_date: null });
      assert.throws(() => accessRule({ principalType: 'identity', path: '/x/', permissions: 'r' }), /principal/);
      assert.throws(() => accessRule({ principalType: 'anonymous', principal: friend.id, path: '/x/', permissions: 'r' }), /no principal/);
      assert.throws(() => anonymousAccessRule('x/', 'r'), /absolute/);
      assert.throws(() => anonymousAccessRule('/x/', 'w' as any), /permissions/);
      assert.throws(() => identityAccessRule(friend.id, '/x/', 'r', { notifyMessage: 'hi' }), /notifyEmail/);
    });

    test('addAccessRule, getAccessRule, accessList, paginateAccessList, updateAccessRule, deleteAccessRule', async () => {
      const c = client();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const created = await c.addAccessRule(guestId, allAuthenticatedAccessRule(`/dir${i}/`, 'r'));
        assert.equal(created.code, 'Created');
        ids.push(created.access_id);
      }
      const one = await c.getAccessRule(guestId, ids[0]);
      assert.equal(one.principal_type, 'all_authenticated_users');
      assert.equal(one.path, '/dir0/');

      const whole = await c.accessList(guestId);
      assert.equal(whole.length, 6);
      const page = await c.accessList(guestId, { offset: 2, limit: 2 });
      assert.deepEqual(
        page.DATA.map((r) => r.id),
        whole.DATA.slice(2, 4).map((r) => r.id),
      );
      const paged = await c.paginateAccessList(guestId, { limit: 2 }).toArray();
      assert.deepEqual(
        paged.map((r) => r.id),
        whole.DATA.map((r) => r.id),
      );
      assert.equal(paged[0].role_type, 'administrator');

      const updated = await c.updateAccessRule(guestId, ids[0], accessRuleUpdate({ permissions: 'rw', expirationDate: '2099-12-31T00:00:00+00:00' }));
      assert.equal(updated.code, 'Updated');
      const after = await c.getAccessRule(guestId, ids[0]);
      assert.equal(after.permissions, 'rw');
      assert.equal(after.expiration_date, '2099-12-31T00:00:00+00:00');

      for (const id of ids) assert.equal((await c.deleteAccessRule(guestId, id)).code, 'Deleted');
      await assert.rejects(
        () => c.getAccessRule(guestId, ids[0]),
        (e: unknown) => e instanceof TransferAPIError && e.httpStatus === 404 && e.code === 'AccessRuleNotFound',
      );
      await assert.rejects(
        () => c.addAccessRule(guestId, identityAccessRule(friend.id, '/a/../b', 'r')),
        (e: unknown) => e instanceof TransferAPIError && e.httpStatus === 400 && e.code === 'InvalidPath',
      );
    });
  });
});
