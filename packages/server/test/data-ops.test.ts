// Transfer file operations (ls, stat, mkdir, rename, delete tasks) on real files, over HTTP and through @globus/sdk, with the data_access consent and ACL enforcement.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { transfer as globusTransfer } from '@globus/sdk';
import { makeClient, startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { api } from './helpers/gcs.ts';
import { addRule, isRoot, makeWorld, mkdirOwned, plant, transferToken, type DataWorld } from './helpers/data.ts';
import { parseFilters, parseOrderBy } from '../src/transfer/operations.ts';
import { eventually } from './helpers/wait.ts';
import { waitForTask } from './transfer-tasks-helpers.ts';

describe('ls filter and orderby parsing', () => {
  test('clauses as globus-cli and the SDK send them', () => {
    assert.deepEqual(parseFilters('name:~*.txt'), [{ field: 'name', op: 'glob', value: '*.txt' }]);
    assert.deepEqual(parseFilters(['type:dir', 'name:!~.*']), [
      { field: 'type', op: 'in', value: ['dir'] },
      { field: 'name', op: 'not_glob', value: '.*' },
    ]);
    assert.deepEqual(parseFilters('type:file,dir/name:=a.txt'), [
      { field: 'type', op: 'in', value: ['file', 'dir'] },
      { field: 'name', op: 'eq', value: 'a.txt' },
    ]);
    assert.deepEqual(parseFilters('size:>=10'), [{ field: 'size', op: 'ge', value: 10 }]);
    assert.deepEqual(parseFilters('last_modified:,2021-01-01'), [{ field: 'last_modified', op: 'lt', value: '2021-01-01 00:00:00+00:00' }]);
    assert.throws(() => parseFilters('owner:x'), { code: 'BadRequest' });
    assert.throws(() => parseFilters('type:socket'), { code: 'BadRequest' });
    assert.deepEqual(parseOrderBy('name ASC,size DESC'), [
      { field: 'name', desc: false },
      { field: 'size', desc: true },
    ]);
    assert.throws(() => parseOrderBy('name; drop'), { code: 'BadRequest' });
  });
});

describe(`Transfer file operations (${storeName})`, { skip: isRoot ? false : 'needs root (useradd, per-account workers)' }, () => {
  let server: TestServer;
  let world: DataWorld;
  let aliceT: string;
  let aliceNoConsent: string;
  let bobT: string;
  let agent: https.Agent;
  const previousUrl = process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER;
  const op = (token: string | undefined, collection: string, verb: string, query = '') => `/v0.10/operation/endpoint/${collection}/${verb}${query}`;

  before(async () => {
    server = await startTestServer();
    world = await makeWorld(server, {
      tree: (root, { owner, alice }) => {
        plant(root, 'shared/readme.txt', 'hello', owner);
        plant(root, 'shared/docs/a.txt', 'aaaa', owner);
        plant(root, 'shared/docs/b.md', 'bb', owner);
        plant(root, 'shared/docs/.hidden', 'h', owner);
        mkdirOwned(root, 'shared/docs/sub', owner);
        mkdirOwned(root, 'shared/ro', owner);
        plant(root, 'shared/ro/keep.txt', 'keep', owner);
        plant(root, 'alice/one.txt', '1', alice);
        plant(root, 'alice/two.txt', '22', alice);
      },
    });
    aliceT = await transferToken(server, world.alice, world.mappedId);
    // Consents belong to identity × client, not to a token: a client that never consented.
    aliceNoConsent = await transferToken(server, await makeClient(server, 'never consented'));
    bobT = await transferToken(server, world.bob);
    await addRule(server, world.owner, world.guestId, { principal_type: 'identity', principal: world.bob.id, path: '/docs/', permissions: 'rw' });
    await addRule(server, world.owner, world.guestId, { principal_type: 'identity', principal: world.bob.id, path: '/ro/', permissions: 'r' });
    agent = new https.Agent({ ca: server.ca });
    process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER = `${server.url}/`;
  });
  after(async () => {
    if (previousUrl === undefined) delete process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER;
    else process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER = previousUrl;
    agent?.destroy();
    await server?.stop();
    world?.cleanup();
  });

  test('ls on a mapped collection as the mapped account: file documents, hidden files, filters, ordering, paging', async () => {
    const res = await api(server, aliceT, 'GET', op(aliceT, world.mappedId, 'ls', '?path=/alice/'));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.DATA_TYPE, 'file_list');
    assert.equal(res.body.path, '/alice/');
    assert.equal(res.body.endpoint, world.mappedId);
    const one = res.body.DATA.find((e: any) => e.name === 'one.txt');
    assert.equal(one.DATA_TYPE, 'file');
    assert.equal(one.type, 'file');
    assert.equal(one.size, 1);
    assert.equal(one.user, world.accounts.alice.name);
    assert.match(one.last_modified, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00$/);
    const guest = (q: string) => api(server, bobT, 'GET', op(bobT, world.guestId, 'ls', q));
    const all = await guest('?path=/docs/');
    assert.equal(all.status, 200, JSON.stringify(all.body));
    assert.deepEqual(all.body.DATA.map((e: any) => e.name).sort(), ['.hidden', 'a.txt', 'b.md', 'sub']);
    const visible = await guest('?path=/docs/&show_hidden=0');
    assert.deepEqual(visible.body.DATA.map((e: any) => e.name).sort(), ['a.txt', 'b.md', 'sub']);
    const txt = await guest(`?path=/docs/&filter=${encodeURIComponent('name:~*.txt')}`);
    assert.deepEqual(
      txt.body.DATA.map((e: any) => e.name),
      ['a.txt'],
    );
    const dirs = await guest('?path=/docs/&filter=type:dir');
    assert.deepEqual(
      dirs.body.DATA.map((e: any) => e.name),
      ['sub'],
    );
    const bySize = await guest(`?path=/docs/&show_hidden=false&filter=type:file&orderby=${encodeURIComponent('size DESC')}`);
    assert.deepEqual(
      bySize.body.DATA.map((e: any) => e.name),
      ['a.txt', 'b.md'],
    );
    const paged = await guest(`?path=/docs/&orderby=name&limit=2&offset=1`);
    assert.deepEqual(
      paged.body.DATA.map((e: any) => e.name),
      ['a.txt', 'b.md'],
    );
    assert.equal(paged.body.total, 4);
    const bad = await guest('?path=/docs/&filter=owner:x');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'BadRequest');
  });

  test('a non-HA mapped collection needs the data_access consent under transfer:all (ConsentRequired, 403)', async () => {
    const res = await api(server, aliceNoConsent, 'GET', op(aliceNoConsent, world.mappedId, 'ls', '?path=/alice/'));
    assert.equal(res.status, 403);
    assert.equal(res.body.code, 'ConsentRequired');
    assert.deepEqual(res.body.required_scopes, [
      `urn:globus:auth:scope:transfer.api.globus.org:all[*https://auth.globus.org/scopes/${world.mappedId}/data_access]`,
    ]);
    // A guest does not.
    const guest = await api(server, bobT, 'GET', op(bobT, world.guestId, 'ls', '?path=/docs/'));
    assert.equal(guest.status, 200);
    const noToken = await api(server, undefined, 'GET', op('', world.guestId, 'ls', '?path=/docs/'));
    assert.equal(noToken.status, 401);
    assert.equal(noToken.body.code, 'AuthenticationFailed');
    const unknown = await api(server, bobT, 'GET', op(bobT, '00000000-0000-4000-8000-000000000000', 'ls'));
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'EndpointNotFound');
  });

  test('guest ACLs bound ls, mkdir and rename: outside the rules or read-only is PermissionDenied', async () => {
    const outside = await api(server, bobT, 'GET', op(bobT, world.guestId, 'ls', '?path=/'));
    assert.equal(outside.status, 403);
    assert.equal(outside.body.code, 'PermissionDenied');
    const mkRo = await api(server, bobT, 'POST', op(bobT, world.guestId, 'mkdir'), { DATA_TYPE: 'mkdir', path: '/ro/new/' });
    assert.equal(mkRo.status, 403);
    assert.equal(fs.existsSync(path.join(world.root, 'shared/ro/new')), false);
    const renameOut = await api(server, bobT, 'POST', op(bobT, world.guestId, 'rename'), {
      DATA_TYPE: 'rename',
      old_path: '/docs/a.txt',
      new_path: '/ro/a.txt',
    });
    assert.equal(renameOut.status, 403);
    assert.ok(fs.existsSync(path.join(world.root, 'shared/docs/a.txt')));
    const traversal = await api(server, bobT, 'GET', op(bobT, world.guestId, 'ls', `?path=${encodeURIComponent('/docs/../../alice/')}`));
    assert.equal(traversal.status, 403);
  });

  test('mkdir (DirectoryCreated, Exists on repeat) and rename (FileRenamed) act as the owner account', async () => {
    const made = await api(server, bobT, 'POST', op(bobT, world.guestId, 'mkdir'), { DATA_TYPE: 'mkdir', path: '/docs/made/' });
    assert.equal(made.status, 202, JSON.stringify(made.body));
    assert.equal(made.body.DATA_TYPE, 'mkdir_result');
    assert.equal(made.body.code, 'DirectoryCreated');
    assert.equal(fs.statSync(path.join(world.root, 'shared/docs/made')).uid, world.accounts.owner.uid);
    const again = await api(server, bobT, 'POST', op(bobT, world.guestId, 'mkdir'), { DATA_TYPE: 'mkdir', path: '/docs/made' });
    assert.equal(again.status, 409);
    assert.equal(again.body.code, 'ExternalError.MkdirFailed.Exists');
    const renamed = await api(server, bobT, 'POST', op(bobT, world.guestId, 'rename'), {
      DATA_TYPE: 'rename',
      old_path: '/docs/b.md',
      new_path: '/docs/made/b.md',
    });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.equal(renamed.body.code, 'FileRenamed');
    assert.equal(fs.readFileSync(path.join(world.root, 'shared/docs/made/b.md'), 'utf8'), 'bb');
    const missing = await api(server, bobT, 'POST', op(bobT, world.guestId, 'rename'), {
      DATA_TYPE: 'rename',
      old_path: '/docs/nope',
      new_path: '/docs/nope2',
    });
    assert.equal(missing.status, 404);
    const stat = await api(server, bobT, 'GET', op(bobT, world.guestId, 'stat', '?path=/docs/made/b.md'));
    assert.equal(stat.status, 200);
    assert.equal(stat.body.size, 2);
  });

  test('delete tasks: submission id, POST /delete, the task run to SUCCEEDED or FAILED, recursive, ignore_missing, duplicates', async () => {
    mkdirOwned(world.root, 'shared/docs/tree/deeper', world.accounts.owner);
    plant(world.root, 'shared/docs/tree/deeper/x.txt', 'x', world.accounts.owner);
    plant(world.root, 'shared/docs/gone.txt', 'g', world.accounts.owner);
    const sub = await api(server, bobT, 'GET', '/v0.10/submission_id');
    assert.equal(sub.status, 200);
    const submission_id = sub.body.value as string;
    const submit = (body: Record<string, unknown>) =>
      api(server, bobT, 'POST', '/v0.10/delete', { DATA_TYPE: 'delete', endpoint: world.guestId, submission_id: randomUUID(), ...body });
    // The delete runs in the task engine: its document is polled as `globus task wait` does.
    const finished = (taskId: string) => waitForTask(server, bobT, taskId);
    const res = await submit({ submission_id, DATA: [{ DATA_TYPE: 'delete_item', path: '/docs/gone.txt' }] });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.code, 'Accepted');
    const task = await finished(res.body.task_id);
    assert.equal(task.DATA_TYPE, 'task');
    assert.equal(task.type, 'DELETE');
    assert.equal(task.status, 'SUCCEEDED');
    assert.equal(fs.existsSync(path.join(world.root, 'shared/docs/gone.txt')), false);
    const dup = await submit({ submission_id, DATA: [{ DATA_TYPE: 'delete_item', path: '/docs/gone.txt' }] });
    assert.equal(dup.body.code, 'Duplicate');
    assert.equal(dup.body.task_id, res.body.task_id);
    // Another caller cannot read the task.
    const other = await api(server, aliceT, 'GET', `/v0.10/task/${res.body.task_id}`);
    assert.equal(other.status, 404);
    assert.equal(other.body.code, 'ClientError.NotFound');
    // A non-empty directory without recursive fails the task and keeps the tree; with recursive it goes.
    const flat = await submit({ DATA: [{ DATA_TYPE: 'delete_item', path: '/docs/tree' }] });
    assert.equal(flat.status, 202);
    const failed = await finished(flat.body.task_id);
    assert.equal(failed.status, 'FAILED');
    assert.ok(failed.fatal_error);
    assert.ok(fs.existsSync(path.join(world.root, 'shared/docs/tree/deeper/x.txt')));
    const deep = await submit({ recursive: true, DATA: [{ DATA_TYPE: 'delete_item', path: '/docs/tree/' }] });
    assert.equal((await finished(deep.body.task_id)).status, 'SUCCEEDED');
    assert.equal(fs.existsSync(path.join(world.root, 'shared/docs/tree')), false);
    const missing = await submit({ DATA: [{ DATA_TYPE: 'delete_item', path: '/docs/never' }] });
    const notFound = await finished(missing.body.task_id);
    assert.equal(notFound.status, 'FAILED');
    assert.equal(notFound.fatal_error.code, 'FILE_NOT_FOUND');
    const ignored = await submit({ ignore_missing: true, DATA: [{ DATA_TYPE: 'delete_item', path: '/docs/never' }] });
    assert.equal((await finished(ignored.body.task_id)).status, 'SUCCEEDED');
    // Permissions are the engine's, per item: a read-only item is accepted and faults, and is not removed.
    const mixed = await submit({ DATA: [{ DATA_TYPE: 'delete_item', path: '/ro/keep.txt' }] });
    assert.equal(mixed.status, 202, JSON.stringify(mixed.body));
    await eventually(async () => (await api(server, bobT, 'GET', `/v0.10/task/${mixed.body.task_id}`)).body.faults > 0, 'the read-only item faults');
    assert.ok(fs.existsSync(path.join(world.root, 'shared/ro/keep.txt')));
    assert.equal((await api(server, bobT, 'POST', `/v0.10/task/${mixed.body.task_id}/cancel`)).status, 200);
  });

  test('@globus/sdk: fileOperations.ls/mkdir/rename/stat, taskSubmission.submissionId/submitDelete, task.get', async () => {
    const auth = { headers: { Authorization: `Bearer ${bobT}` } };
    const sdk = { fetch: { options: { agent } } } as any;
    const listed = await globusTransfer.fileOperations.ls(world.guestId, { query: { path: '/docs/' }, ...auth }, sdk);
    assert.equal(listed.status, 200);
    const names = ((await listed.json()) as any).DATA.map((e: any) => e.name);
    assert.ok(names.includes('a.txt'));
    const made = await globusTransfer.fileOperations.mkdir(world.guestId, { payload: { path: '/docs/sdk-dir' }, ...auth }, sdk);
    assert.equal(made.status, 202);
    const renamed = await globusTransfer.fileOperations.rename(
      world.guestId,
      { payload: { old_path: '/docs/sdk-dir', new_path: '/docs/sdk-renamed' }, ...auth },
      sdk,
    );
    assert.equal(renamed.status, 200);
    const stat = await globusTransfer.fileOperations.stat(world.guestId, { query: { path: '/docs/sdk-renamed' }, ...auth }, sdk);
    assert.equal(((await stat.json()) as any).type, 'dir');
    const sub = await globusTransfer.taskSubmission.submissionId(auth, sdk);
    const { value } = (await sub.json()) as any;
    const submitted = await globusTransfer.taskSubmission.submitDelete(
      {
        payload: { DATA_TYPE: 'delete', submission_id: value, endpoint: world.guestId, DATA: [{ DATA_TYPE: 'delete_item', path: '/docs/sdk-renamed' }] } as any,
        ...auth,
      },
      sdk,
    );
    assert.equal(submitted.status, 202);
    const { task_id } = (await submitted.json()) as any;
    await waitForTask(server, bobT, task_id);
    const task = await globusTransfer.task.get(task_id, auth, sdk);
    assert.equal(((await task.json()) as any).status, 'SUCCEEDED');
    assert.equal(fs.existsSync(path.join(world.root, 'shared/docs/sdk-renamed')), false);
  });

  test('a broken guest (mapped collection stops allowing guests) refuses operations until it is restored', async () => {
    const off = await api(server, world.admin.token, 'PATCH', `/api/collections/${world.mappedId}`, {
      DATA_TYPE: 'collection#1.2.0',
      allow_guest_collections: false,
    });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    const res = await api(server, bobT, 'GET', op(bobT, world.guestId, 'ls', '?path=/docs/'));
    assert.equal(res.status, 403);
    const on = await api(server, world.admin.token, 'PATCH', `/api/collections/${world.mappedId}`, {
      DATA_TYPE: 'collection#1.2.0',
      allow_guest_collections: true,
    });
    assert.equal(on.status, 200, JSON.stringify(on.body));
    assert.equal((await api(server, bobT, 'GET', op(bobT, world.guestId, 'ls', '?path=/docs/'))).status, 200);
  });
});
