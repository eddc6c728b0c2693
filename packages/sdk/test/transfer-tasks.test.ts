// TransferClient task calls against a real server with its task engine: TransferData/DeleteData, submission ids, waiting, lists, events, cancel, update, endpoint-manager calls, search scopes.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AccessTokenAuthorizer, DeleteData, TransferAPIError, TransferClient, TransferData } from '../src/index.ts';
import { startTestServer, storeName, type TestServer } from '../../server/test/helpers/server.ts';
import { isRoot } from '../../server/test/helpers/data.ts';
import { makeTaskWorld, tokenFor, type TaskWorld } from '../../server/test/transfer-tasks-helpers.ts';

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe(`TransferClient tasks (${storeName})`, { skip: isRoot ? false : 'needs root (useradd, per-account workers)' }, () => {
  let server: TestServer;
  let world: TaskWorld;
  let alice: TransferClient;
  let admin: TransferClient;
  const client = (token: string) =>
    new TransferClient({ baseUrl: server.url, authorizer: new AccessTokenAuthorizer(token), dispatcher: server.dispatcher, maxRetries: 0 });

  before(async () => {
    server = await startTestServer();
    world = await makeTaskWorld(server);
    alice = client(await tokenFor(server, world.alice, world.mappedId, world.secondId));
    admin = client(await tokenFor(server, world.admin));
  });
  after(async () => {
    await server?.stop();
    world?.cleanup();
  });

  test('submitTransfer fetches a submission id into the document; resending it is a Duplicate; taskWait ends when it SUCCEEDED', async () => {
    const data = new TransferData(world.mappedId, world.secondId, { label: 'sdk copy', syncLevel: 'checksum' });
    data.addItem('/alice/one.txt', '/one.txt');
    data.addItem('/alice/two.txt', '/two.txt', { recursive: false });
    assert.equal(data.submission_id, undefined);
    const accepted = await alice.submitTransfer(data);
    assert.equal(accepted.code, 'Accepted');
    assert.equal(accepted.submission_id, data.submission_id, 'the fetched id was written into the document');
    const again = await alice.submitTransfer(data);
    assert.equal(again.code, 'Duplicate');
    assert.equal(again.task_id, accepted.task_id);

    const polled: string[] = [];
    const finished = await alice.taskWait(accepted.task_id, { timeout: 20, pollingInterval: 0.05, onPoll: (t) => polled.push(t.status) });
    assert.equal(finished, true, finished ? '' : JSON.stringify(await alice.taskEventList(accepted.task_id)));
    assert.equal(polled.at(-1), 'SUCCEEDED');
    const task = await alice.getTask(accepted.task_id);
    assert.equal(task.status, 'SUCCEEDED');
    assert.equal(task.label, 'sdk copy');
    assert.equal(task.sync_level, 3);
    assert.equal(task.files_transferred, 2);
    assert.equal(sha(path.join(world.root, 'second/two.txt')), sha(path.join(world.root, 'alice/two.txt')));

    const files = await alice.paginateTaskSuccessfulTransfers(accepted.task_id).toArray();
    assert.deepEqual(files.map((f) => f.destination_path).sort(), ['/one.txt', '/two.txt']);
    const events = await alice.paginateTaskEventList(accepted.task_id).toArray();
    assert.ok(events.some((e) => e.code === 'SUCCEEDED'));
    const errors = await alice.taskEventList(accepted.task_id, { filter: 'is_error:1' });
    assert.equal(errors.total, 0);
    assert.deepEqual((await alice.taskSkippedErrors(accepted.task_id)).DATA, []);
    assert.deepEqual((await alice.taskPauseInfo(accepted.task_id)).pause_rules, []);
    assert.equal((await alice.cancelTask(accepted.task_id)).code, 'TaskComplete');
    await assert.rejects(alice.updateTask(accepted.task_id, { label: 'late' }), (e: unknown) => e instanceof TransferAPIError && e.httpStatus === 409);

    const listed = await alice.paginateTaskList({ filter: { type: 'TRANSFER', status: ['SUCCEEDED'] } }).toArray();
    assert.ok(listed.some((t) => t.task_id === accepted.task_id));
    const page = await alice.taskList({ limit: 1, orderby: 'request_time DESC' });
    assert.equal(page.DATA.length, 1);
    assert.equal(typeof page.total, 'number');
    const recent = await alice.endpointSearch(undefined, { filterScope: 'recently-used' });
    assert.deepEqual(recent.DATA.map((r) => r.id).sort(), [world.mappedId, world.secondId].sort());
  });

  test('an unfinished task: update its label, pause and resume it as endpoint manager, cancel it (FAILED, CANCELED)', async () => {
    // A missing source is not a submission error: the task stays ACTIVE, faulting, until canceled.
    const data = new TransferData(world.mappedId, world.secondId, { label: 'never' });
    data.addItem('/alice/no-such-file', '/copy/nothing');
    const { task_id } = await alice.submitTransfer(data);
    assert.equal(await alice.taskWait(task_id, { timeout: 0.2, pollingInterval: 0.1 }), false);
    const inUse = await alice.endpointSearch(undefined, { filterScope: 'in-use' });
    assert.deepEqual(
      inUse.DATA.map((r) => [r.id, r.in_use]).sort(),
      [
        [world.mappedId, true],
        [world.secondId, true],
      ].sort(),
    );
    assert.equal((await alice.updateTask(task_id, { label: 'renamed' })).code, 'Updated');
    assert.equal((await alice.getTask(task_id)).label, 'renamed');

    const managed = await admin.paginateEndpointManagerTaskList({ filterStatus: ['ACTIVE'] }).toArray();
    assert.ok(managed.some((t) => t.task_id === task_id));
    assert.equal((await admin.endpointManagerGetTask(task_id)).task_id, task_id);
    assert.equal((await admin.endpointManagerPauseTasks([task_id], 'maintenance')).code, 'PauseAccepted');
    assert.equal((await alice.getTask(task_id)).is_paused, true);
    assert.equal((await admin.endpointManagerResumeTasks([task_id])).code, 'ResumeAccepted');
    assert.equal((await alice.getTask(task_id)).is_paused, false);
    await assert.rejects(alice.endpointManagerGetTask(task_id), (e: unknown) => e instanceof TransferAPIError && e.code === 'PermissionDenied');

    assert.equal((await alice.cancelTask(task_id)).code, 'Canceled');
    assert.equal(await alice.taskWait(task_id, { timeout: 30, pollingInterval: 0.05 }), true);
    const task = await alice.getTask(task_id);
    assert.equal(task.status, 'FAILED');
    assert.equal(task.fatal_error?.code, 'CANCELED');
    assert.deepEqual((await alice.endpointSearch(undefined, { filterScope: 'in-use' })).DATA, []);
  });

  test('endpoint-manager admin cancel with its status', async () => {
    const data = new TransferData(world.mappedId, world.secondId);
    data.addItem('/alice/missing-too', '/copy/x');
    const { task_id } = await alice.submitTransfer(data);
    const cancel = await admin.endpointManagerCancelTasks([task_id], 'out of hours');
    assert.deepEqual(cancel.task_id_list, [task_id]);
    await alice.taskWait(task_id, { timeout: 30, pollingInterval: 0.05 });
    const task = await alice.getTask(task_id);
    assert.equal(task.status, 'FAILED');
    assert.equal(task.canceled_by_admin_message, 'out of hours');
    assert.equal((await admin.endpointManagerCancelStatus(cancel.id)).done, true);
  });

  test('submitDelete with DeleteData', async () => {
    const data = new DeleteData(world.secondId, { label: 'sdk delete' });
    data.addItem('/one.txt');
    data.addItem('/two.txt');
    const result = await alice.submitDelete(data);
    assert.equal(result.DATA_TYPE, 'delete_result');
    assert.ok(data.submission_id);
    assert.equal(await alice.taskWait(result.task_id, { timeout: 60, pollingInterval: 0.05 }), true);
    const deleted = await alice.getTask(result.task_id);
    assert.equal(deleted.status, 'SUCCEEDED', JSON.stringify(deleted.fatal_error));
    for (const name of ['one.txt', 'two.txt']) assert.equal(fs.existsSync(path.join(world.root, 'second', name)), false, name);
  });
});
