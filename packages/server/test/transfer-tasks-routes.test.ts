// The owner's task routes over HTTP and @globus/sdk, with the engine running: task documents, task_list (filters, paging, fields), update, cancel, remove, event_list, successful_transfers, skipped_errors, pause_info.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { transfer as globusTransfer } from '@globus/sdk';
import { getJson, startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { api } from './helpers/gcs.ts';
import { isRoot, mkdirOwned, plant } from './helpers/data.ts';
import { eventually } from './helpers/wait.ts';
import { TASK_FIELDS } from '../src/transfer/tasks/schemas.ts';
import { makeTaskWorld, tokenFor, transferDoc, waitForTask, type TaskWorld } from './transfer-tasks-helpers.ts';

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/;

describe(`Transfer task routes (${storeName})`, { skip: isRoot ? false : 'needs root (useradd)' }, () => {
  let server: TestServer;
  let world: TaskWorld;
  let aliceT: string;
  let otherT: string;
  /** a transfer that cannot finish (its source does not exist): ACTIVE with faults */
  let stuck: string;
  /** a transfer that succeeded */
  let done: string;

  before(async () => {
    server = await startTestServer();
    world = await makeTaskWorld(server);
    aliceT = await tokenFor(server, world.alice, world.mappedId, world.secondId);
    otherT = await tokenFor(server, world.other, world.mappedId, world.secondId);
    const a = await api(server, aliceT, 'POST', '/v0.10/transfer', {
      ...transferDoc(world.mappedId, world.secondId, [['/alice/no-such-file', '/stuck.txt']]),
      label: 'Stuck Task',
    });
    assert.equal(a.status, 202, JSON.stringify(a.body));
    stuck = a.body.task_id;
    const b = await api(server, aliceT, 'POST', '/v0.10/transfer', {
      ...transferDoc(world.mappedId, world.secondId, [['/alice/one.txt', '/one-copy.txt']]),
      label: 'copy one',
    });
    assert.equal(b.status, 202, JSON.stringify(b.body));
    done = b.body.task_id;
    assert.equal((await waitForTask(server, aliceT, done)).status, 'SUCCEEDED');
  });
  after(async () => {
    await server?.stop();
    world?.cleanup();
  });

  const get = (token: string | undefined, route: string) => api(server, token, 'GET', route);

  test('GET /task/{id}: every field of §4.2 for an active and a finished task', async () => {
    const active = await eventually(async () => {
      const res = await get(aliceT, `/v0.10/task/${stuck}`);
      return res.body.faults > 0 ? res : undefined;
    }, 'the missing source faults');
    assert.deepEqual(Object.keys(active.body).sort(), Object.keys(TASK_FIELDS).sort());
    assert.equal(active.body.status, 'ACTIVE');
    assert.equal(active.body.completion_time, null);
    assert.equal(active.body.is_ok, false);
    assert.equal(active.body.nice_status, 'FILE_NOT_FOUND');
    assert.ok(active.body.nice_status_expires_in > 0);
    assert.equal(active.body.source_endpoint_display_name, 'Data mapped');
    assert.equal(active.body.destination_endpoint_display_name, 'Second mapped');
    assert.equal(active.body.source_endpoint, `${server.endpointId}#${world.mappedId}`);
    assert.match(active.body.username, /^u_[a-z2-7]{26}$/);
    assert.equal(active.body.command, 'API 0.10');

    const finished = (await get(aliceT, `/v0.10/task/${done}`)).body;
    assert.deepEqual(Object.keys(finished).sort(), Object.keys(TASK_FIELDS).sort());
    assert.equal(finished.status, 'SUCCEEDED');
    assert.match(finished.completion_time, TIME);
    for (const k of ['nice_status', 'nice_status_short_description', 'nice_status_expires_in', 'is_ok', 'fatal_error']) assert.equal(finished[k], null, k);
    assert.equal(finished.files_transferred, 1);
    assert.equal(finished.bytes_transferred, 1);
    assert.equal(finished.subtasks_pending, 0);
    assert.equal(finished.key.startsWith('complete,'), true);
  });

  test("a task is visible only to its owner: unknown, malformed and others' ids are one 404 ClientError.NotFound; no token is 401", async () => {
    for (const id of [randomUUID(), 'not-a-task', stuck]) {
      const res = await get(id === stuck ? otherT : aliceT, `/v0.10/task/${id}`);
      assert.equal(res.status, 404, id);
      assert.equal(res.body.code, 'ClientError.NotFound');
      assert.equal(res.body.message, `No task found with id '${id}'`);
      assert.equal(res.body.resource, `/task/${id}`);
    }
    for (const [method, route] of [
      ['GET', `/v0.10/task/${stuck}`],
      ['GET', '/v0.10/task_list'],
      ['PUT', `/v0.10/task/${stuck}`],
      ['POST', `/v0.10/task/${stuck}/cancel`],
      ['POST', `/v0.10/task/${stuck}/remove`],
      ['GET', `/v0.10/task/${stuck}/event_list`],
      ['GET', `/v0.10/task/${stuck}/successful_transfers`],
      ['GET', `/v0.10/task/${stuck}/skipped_errors`],
      ['GET', `/v0.10/task/${stuck}/pause_info`],
    ]) {
      const res = await api(server, undefined, method, route);
      assert.equal(res.status, 401, route);
      assert.equal(res.body.code, 'ClientError.AuthenticationFailed', route);
    }
    // The other identity's own list does not show it either.
    const list = await get(otherT, '/v0.10/task_list');
    assert.equal(list.body.total, 0);
  });

  test("task_list: total/limit/offset, the CLI's exact requests, filters decoded then split, label operators, fields, orderby", async () => {
    const mine = await get(aliceT, '/v0.10/task_list');
    assert.equal(mine.status, 200);
    assert.equal(mine.body.DATA_TYPE, 'task_list');
    assert.equal(mine.body.limit, 10);
    assert.equal(mine.body.offset, 0);
    assert.equal(mine.body.total, 2);
    assert.deepEqual(
      mine.body.DATA.map((t: any) => t.task_id),
      [done, stuck],
      'newest first',
    );
    assert.deepEqual(Object.keys(mine.body.DATA[0]).sort(), Object.keys(TASK_FIELDS).sort());
    // globus task list
    const cli = await get(aliceT, '/v0.10/task_list?limit=1000&orderby=request_time+DESC&filter=type%3ATRANSFER%2CDELETE');
    assert.equal(cli.body.total, 2);
    assert.equal(cli.body.limit, 1000);
    const after = await get(
      aliceT,
      `/v0.10/task_list?limit=1000&filter=${encodeURIComponent('status:ACTIVE/type:TRANSFER,DELETE/request_time:2024-01-01 00:00:00,')}`,
    );
    assert.deepEqual(
      after.body.DATA.map((t: any) => t.task_id),
      [stuck],
    );
    const before = await get(aliceT, `/v0.10/task_list?filter=${encodeURIComponent('request_time:,2020-01-01 00:00:00')}`);
    assert.equal(before.body.total, 0);
    const completed = await get(aliceT, `/v0.10/task_list?filter=${encodeURIComponent('completion_time:2020-01-01T00:00:00+00:00,')}`);
    assert.equal(completed.body.total, 2, 'an open END includes active tasks');
    const closedRange = await get(aliceT, `/v0.10/task_list?filter=${encodeURIComponent('completion_time:2020-01-01,2099-01-01')}`);
    assert.deepEqual(
      closedRange.body.DATA.map((t: any) => t.task_id),
      [done],
    );
    // globus task cancel --all
    const cancelAll = await get(aliceT, '/v0.10/task_list?limit=1000&filter=type:TRANSFER,DELETE/status:ACTIVE,INACTIVE&fields=task_id');
    assert.deepEqual(cancelAll.body.DATA, [{ task_id: stuck }]);
    const byId = await get(aliceT, `/v0.10/task_list?filter=task_id:${done},${randomUUID()}`);
    assert.equal(byId.body.total, 1);
    const label = async (pattern: string) =>
      (await get(aliceT, `/v0.10/task_list?filter=${encodeURIComponent(`label:${pattern}`)}&fields=label`)).body.DATA.map((t: any) => t.label).sort();
    assert.deepEqual(await label('~stuck*'), ['Stuck Task']);
    assert.deepEqual(await label('!~stuck*'), ['copy one']);
    assert.deepEqual(await label('=copy one'), ['copy one']);
    assert.deepEqual(await label('copy one'), ['copy one']);
    assert.deepEqual(await label('!copy one'), ['Stuck Task']);
    assert.deepEqual(await label('~*task,~copy*'), ['Stuck Task', 'copy one']);
    assert.deepEqual(await label('~*o*,!~*task'), ['copy one']);
    assert.deepEqual(await label('~100%'), []);
    const paged = await get(aliceT, '/v0.10/task_list?limit=1&offset=1&orderby=request_time+ASC');
    assert.equal(paged.body.total, 2);
    assert.equal(paged.body.length, 1);
    assert.equal(paged.body.DATA[0].task_id, done);
    // How labels compare is the store's collation; that DESC reverses ASC is ours.
    const byLabel = async (dir: string) =>
      (await get(aliceT, `/v0.10/task_list?orderby=${encodeURIComponent(`label ${dir},request_time`)}&fields=label`)).body.DATA.map((t: any) => t.label);
    const ascending = await byLabel('ASC');
    assert.deepEqual(ascending.sort(), ['Stuck Task', 'copy one'].sort());
    assert.deepEqual(await byLabel('DESC'), [...(await byLabel('ASC'))].reverse());
    // The JS SDK's endpointManager.task.getAll lands here with filter_* parameters: ignored (§13.9).
    const js = await get(aliceT, '/v0.10/task_list?filter_status=ACTIVE&filter_endpoint=x');
    assert.equal(js.body.total, 2);
    assert.equal((await get(aliceT, '/v0.10/task_list?filter=')).body.total, 2);
    for (const bad of [
      'filter=owner:x',
      'filter=status:RUNNING',
      'filter=nocolon',
      'filter=request_time:yesterday,',
      'orderby=size',
      'limit=0',
      'limit=1001',
      'offset=-1',
    ]) {
      const res = await get(aliceT, `/v0.10/task_list?${bad}`);
      assert.equal(res.status, 400, bad);
      assert.equal(res.body.code, 'ClientError.BadRequest', bad);
    }
  });

  test('PUT /task/{id}: label and deadline while open (Updated), Conflict once complete, BadRequest for other keys', async () => {
    const put = (id: string, body: unknown, token = aliceT) => api(server, token, 'PUT', `/v0.10/task/${id}`, body);
    const both = await put(stuck, { DATA_TYPE: 'task', label: 'renamed', deadline: '2099-01-22' });
    assert.equal(both.status, 200, JSON.stringify(both.body));
    assert.deepEqual(
      { ...both.body, request_id: undefined },
      { DATA_TYPE: 'result', code: 'Updated', message: 'Updated task deadline and label successfully', request_id: undefined, resource: `/task/${stuck}` },
    );
    const doc = (await get(aliceT, `/v0.10/task/${stuck}`)).body;
    assert.equal(doc.label, 'renamed');
    assert.equal(doc.deadline, '2099-01-22T00:00:00+00:00');
    assert.equal((await put(stuck, { label: 'Stuck Task' })).body.message, 'Updated task label successfully');
    assert.equal((await put(stuck, { deadline: '2099-01-23 00:00:00' })).body.message, 'Updated task deadline successfully');
    const complete = await put(done, { label: 'late' });
    assert.equal(complete.status, 409);
    assert.equal(complete.body.code, 'Conflict');
    for (const body of [{ status: 'SUCCEEDED' }, {}, { label: 'a\nb' }, { deadline: 'soon' }]) {
      const res = await put(stuck, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.code, 'ClientError.BadRequest');
    }
    assert.equal((await put(stuck, { label: 'x' }, otherT)).status, 404);
  });

  test('a deadline moved into the past is accepted and the task expires (FAILED, EXPIRED)', async () => {
    const res = await api(server, aliceT, 'POST', '/v0.10/transfer', transferDoc(world.mappedId, world.secondId, [['/alice/never', '/never']]));
    assert.equal(res.status, 202);
    const put = await api(server, aliceT, 'PUT', `/v0.10/task/${res.body.task_id}`, { DATA_TYPE: 'task', deadline: '2000-01-01 00:00:06+00:00' });
    assert.equal(put.status, 200);
    const expired = await waitForTask(server, aliceT, res.body.task_id);
    assert.equal(expired.status, 'FAILED');
    assert.equal(expired.fatal_error.code, 'EXPIRED');
  });

  test('cancel: a bodiless POST; Canceled, then TaskComplete; the task is FAILED with CANCELED, newest event first', async () => {
    const res = await api(server, aliceT, 'POST', '/v0.10/transfer', transferDoc(world.mappedId, world.secondId, [['/alice/gone', '/gone']]));
    const id = res.body.task_id;
    // No body, no Content-Type: what the Python SDK sends.
    const cancel = await getJson(server, `/v0.10/task/${id}/cancel`, aliceT, { method: 'POST' });
    assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
    assert.equal(cancel.body.DATA_TYPE, 'result');
    assert.equal(cancel.body.code, 'Canceled');
    assert.equal(cancel.body.message, 'The task has been cancelled successfully.');
    assert.equal(cancel.body.resource, `/task/${id}/cancel`);
    const again = await getJson(server, `/v0.10/task/${id}/cancel`, aliceT, { method: 'POST' });
    assert.equal(again.body.code, 'TaskComplete');
    assert.equal(again.body.message, 'The task completed before the cancel request was processed.');
    const doc = (await get(aliceT, `/v0.10/task/${id}`)).body;
    assert.equal(doc.status, 'FAILED');
    assert.deepEqual(doc.fatal_error, { code: 'CANCELED', description: 'canceled' });
    assert.match(doc.completion_time, TIME);
    const events = (await get(aliceT, `/v0.10/task/${id}/event_list?limit=1000&filter=`)).body;
    assert.equal(events.DATA[0].code, 'CANCELED');
    assert.equal(events.DATA[0].details, 'Canceled by the task owner');
    assert.equal(events.DATA[0].is_error, true);
    assert.equal((await api(server, otherT, 'POST', `/v0.10/task/${id}/cancel`)).status, 404);
  });

  test('event_list: newest first with total, is_error filters in every spelling, paging; bad filters are 400', async () => {
    await eventually(async () => (await get(aliceT, `/v0.10/task/${stuck}`)).body.faults >= 1, 'a fault');
    const all = (await get(aliceT, `/v0.10/task/${stuck}/event_list`)).body;
    assert.equal(all.DATA_TYPE, 'event_list');
    assert.equal(all.limit, 10);
    assert.ok(all.total >= 1);
    for (const e of all.DATA) {
      assert.equal(e.DATA_TYPE, 'event');
      assert.equal(typeof e.details, 'string');
      assert.match(e.time, TIME);
    }
    const times = all.DATA.map((e: any) => e.time);
    assert.deepEqual(times, [...times].sort().reverse());
    for (const spelling of ['1', 'True', 'true']) {
      const errors = (await get(aliceT, `/v0.10/task/${stuck}/event_list?filter=is_error:${spelling}`)).body;
      assert.ok(errors.total >= 1);
      assert.ok(errors.DATA.every((e: any) => e.is_error));
    }
    const nonErrors = (await get(aliceT, `/v0.10/task/${stuck}/event_list?filter=is_error:0`)).body;
    assert.ok(nonErrors.DATA.every((e: any) => !e.is_error));
    assert.equal(nonErrors.total + (await get(aliceT, `/v0.10/task/${stuck}/event_list?filter=is_error:1`)).body.total, all.total);
    const page = (await get(aliceT, `/v0.10/task/${stuck}/event_list?limit=1&offset=${all.total - 1}`)).body;
    assert.equal(page.length, 1);
    assert.deepEqual(page.DATA[0], all.DATA[all.total - 1]);
    for (const bad of ['filter=code:X', 'filter=is_error:maybe', 'limit=5000'])
      assert.equal((await get(aliceT, `/v0.10/task/${stuck}/event_list?${bad}`)).status, 400, bad);
  });

  test('successful_transfers: 400 while in progress; pages of files with a marker, next_marker null at the end, never 0', async () => {
    const busy = await get(aliceT, `/v0.10/task/${stuck}/successful_transfers`);
    assert.equal(busy.status, 400);
    assert.equal(busy.body.code, 'ClientError.BadRequest');
    assert.equal(busy.body.message, `Task '${stuck}' is still in progress, successful transfers are not yet available`);
    const one = (await get(aliceT, `/v0.10/task/${done}/successful_transfers`)).body;
    assert.deepEqual(one, {
      DATA_TYPE: 'successful_transfers',
      marker: 0,
      next_marker: null,
      DATA: [
        {
          DATA_TYPE: 'successful_transfer',
          source_path: '/alice/one.txt',
          destination_path: '/one-copy.txt',
          size: 1,
          checksum: one.DATA[0].checksum,
          checksum_algorithm: one.DATA[0].checksum_algorithm,
          dynamic: false,
        },
      ],
    });
    // More than a page: a tree of 1,001 files, read back page by page as the SDK's paginator does.
    for (let i = 0; i < 1001; i++) plant(world.root, `alice/many/f${String(i).padStart(4, '0')}.txt`, 'x', world.accounts.alice);
    const res = await api(server, aliceT, 'POST', '/v0.10/transfer', {
      ...transferDoc(world.mappedId, world.secondId, [['/alice/many/', '/many/']]),
      verify_checksum: false,
    });
    assert.equal((await waitForTask(server, aliceT, res.body.task_id)).status, 'SUCCEEDED');
    const seen: string[] = [];
    let marker: number | null = null;
    let pages = 0;
    do {
      const body: any = (await get(aliceT, `/v0.10/task/${res.body.task_id}/successful_transfers${marker ? `?marker=${marker}` : ''}`)).body;
      pages++;
      assert.notEqual(body.next_marker, 0);
      seen.push(...body.DATA.map((d: any) => d.source_path));
      marker = body.next_marker;
    } while (marker);
    assert.equal(pages, 2);
    assert.equal(new Set(seen).size, 1001);
    assert.equal((await get(aliceT, `/v0.10/task/${done}/successful_transfers?marker=x`)).status, 400);
  });

  test('skipped_errors: the source paths skip_source_errors skipped; pause_info with pause_rules always present', async () => {
    const res = await api(server, aliceT, 'POST', '/v0.10/transfer', {
      ...transferDoc(world.mappedId, world.secondId, [
        ['/alice/two.txt', '/skip-two.txt'],
        ['/alice/not-there.txt', '/skip-not-there.txt'],
      ]),
      skip_source_errors: true,
    });
    assert.equal(res.status, 202);
    assert.equal((await get(aliceT, `/v0.10/task/${res.body.task_id}/skipped_errors`)).status, 400);
    const doc = await waitForTask(server, aliceT, res.body.task_id);
    assert.equal(doc.status, 'SUCCEEDED');
    assert.equal(doc.subtasks_skipped_errors, 1);
    const skipped = (await get(aliceT, `/v0.10/task/${res.body.task_id}/skipped_errors`)).body;
    assert.equal(skipped.DATA_TYPE, 'skipped_errors');
    assert.equal(skipped.next_marker, null);
    assert.equal(skipped.DATA.length, 1);
    assert.equal(skipped.DATA[0].DATA_TYPE, 'skipped_error');
    assert.equal(skipped.DATA[0].source_path, '/alice/not-there.txt');
    assert.equal(skipped.DATA[0].error_code, 'FILE_NOT_FOUND');
    assert.equal(skipped.DATA[0].is_directory, false);
    assert.ok(fs.existsSync(path.join(world.root, 'second/skip-two.txt')));

    const info = (await get(aliceT, `/v0.10/task/${stuck}/pause_info`)).body;
    assert.deepEqual(info, {
      DATA_TYPE: 'pause_info_limited',
      source_pause_message: null,
      source_pause_message_share: null,
      destination_pause_message: null,
      destination_pause_message_share: null,
      pause_rules: [],
    });
  });

  test('remove: refused (Conflict) while open; a finished task leaves the history', async () => {
    mkdirOwned(world.root, 'alice/rm', world.accounts.alice);
    const open = await api(server, aliceT, 'POST', `/v0.10/task/${stuck}/remove`);
    assert.equal(open.status, 409);
    const res = await api(server, aliceT, 'POST', '/v0.10/transfer', transferDoc(world.mappedId, world.secondId, [['/alice/rm/', '/rm/']]));
    await waitForTask(server, aliceT, res.body.task_id);
    const removed = await api(server, aliceT, 'POST', `/v0.10/task/${res.body.task_id}/remove`);
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    assert.equal(removed.body.code, 'Removed');
    assert.equal((await get(aliceT, `/v0.10/task/${res.body.task_id}`)).status, 404);
  });

  test('@globus/sdk: task.get, getAll, update, getEventList, getPauseInfo, getSuccessfulTransfers, getSkippedErrors, cancel', async () => {
    const agent = new https.Agent({ ca: server.ca });
    const previous = process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER;
    process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER = `${server.url}/`;
    try {
      const auth = { headers: { Authorization: `Bearer ${aliceT}` } };
      const sdk = { fetch: { options: { agent } } } as any;
      const t = globusTransfer.task;
      const json = async (p: Promise<Response>) => {
        const r = await p;
        assert.ok(r.ok, `${r.status}`);
        return (await r.json()) as any;
      };
      assert.equal((await json(t.get(done, auth, sdk))).status, 'SUCCEEDED');
      const all = await json(
        t.getAll({ query: { limit: 5, filter: 'status:SUCCEEDED', orderby: 'request_time DESC', fields: 'task_id,status' }, ...auth }, sdk),
      );
      assert.ok(all.total >= 1);
      assert.ok(all.DATA.every((d: any) => d.status === 'SUCCEEDED' && Object.keys(d).length === 2));
      assert.equal((await json(t.update(stuck, { payload: { label: 'via js' } as any, ...auth }, sdk))).code, 'Updated');
      assert.ok((await json(t.getEventList(stuck, { query: { limit: 100 }, ...auth }, sdk))).total >= 1);
      assert.deepEqual((await json(t.getPauseInfo(stuck, auth, sdk))).pause_rules, []);
      assert.equal((await json(t.getSuccessfulTransfers(done, auth, sdk))).DATA.length, 1);
      assert.deepEqual((await json(t.getSkippedErrors(done, auth, sdk))).DATA, []);
      const res = await api(server, aliceT, 'POST', '/v0.10/transfer', transferDoc(world.mappedId, world.secondId, [['/alice/js-missing', '/js']]));
      assert.equal((await json(t.cancel(res.body.task_id, auth, sdk))).code, 'Canceled');
    } finally {
      if (previous === undefined) delete process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER;
      else process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER = previous;
      agent.destroy();
    }
  });
});
