// Transfer tasks driven by the real clients: @globus/sdk, the Python SDK (TransferData + submit_transfer + task_wait, DeleteData) and globus-cli (transfer --recursive, task wait/show/event-list/cancel, delete).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { transfer as globusTransfer } from '@globus/sdk';
import { startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { isRoot, plant } from './helpers/data.ts';
import { clientHome, globusCli, globusEnv, python, realClientsSkip } from './helpers/real-clients.ts';
import { makeTaskWorld, tokenFor, waitForTask, type TaskWorld } from './transfer-tasks-helpers.ts';

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe(`Transfer tasks through the real clients (${storeName})`, { skip: isRoot ? false : 'needs root (useradd, per-account workers)' }, () => {
  let server: TestServer;
  let world: TaskWorld;
  let token: string;

  before(async () => {
    server = await startTestServer();
    world = await makeTaskWorld(server);
    plant(world.root, 'alice/tree/a b.txt', 'spaces in a name', world.accounts.alice);
    plant(world.root, 'alice/tree/deep/ünïcødé.txt', 'non-ascii', world.accounts.alice);
    plant(world.root, 'alice/tree/deep/er/three.bin', 'x'.repeat(10_000), world.accounts.alice);
    token = await tokenFor(server, world.alice, world.mappedId, world.secondId);
  });
  after(async () => {
    await server?.stop();
    world?.cleanup();
  });

  test('@globus/sdk: taskSubmission.submissionId + submitTransfer, task.get, task.getEventList, task.cancel', async () => {
    const agent = new https.Agent({ ca: server.ca });
    const previous = process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER;
    process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER = `${server.url}/`;
    const sdk = { fetch: { options: { agent } } } as any;
    const headers = { Authorization: `Bearer ${token}` };
    try {
      const id = (await (await globusTransfer.taskSubmission.submissionId({ headers }, sdk)).json()) as any;
      assert.equal(id.DATA_TYPE, 'submission_id');
      const submitted = await globusTransfer.taskSubmission.submitTransfer(
        {
          payload: {
            submission_id: id.value,
            source_endpoint: world.mappedId,
            destination_endpoint: world.secondId,
            DATA: [{ DATA_TYPE: 'transfer_item', source_path: '/alice/one.txt', destination_path: '/js/one.txt' }],
          } as any,
          headers,
        },
        sdk,
      );
      assert.equal(submitted.status, 202);
      const { task_id } = (await submitted.json()) as any;
      const done = await waitForTask(server, token, task_id);
      assert.equal(done.status, 'SUCCEEDED');
      const got = (await (await globusTransfer.task.get(task_id, { headers }, sdk)).json()) as any;
      assert.equal(got.files_transferred, 1);
      const events = (await (await globusTransfer.task.getEventList(task_id, { query: { limit: 100 } as any, headers }, sdk)).json()) as any;
      assert.ok(events.DATA.some((e: any) => e.code === 'SUCCEEDED'));
      const cancel = (await (await globusTransfer.task.cancel(task_id, { headers }, sdk)).json()) as any;
      assert.equal(cancel.code, 'TaskComplete');
      assert.equal(fs.readFileSync(path.join(world.root, 'second/js/one.txt'), 'utf8'), '1');
    } finally {
      if (previous === undefined) delete process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER;
      else process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER = previous;
      agent.destroy();
    }
  });

  describe('the Python SDK and globus-cli', { skip: realClientsSkip }, () => {
    test('Python: TransferData + submit_transfer + task_wait; successful transfers; DeleteData + submit_delete', async () => {
      const { home, cleanup } = clientHome();
      try {
        const script = `
import json, sys, globus_sdk
token, src, dst = sys.argv[1:4]
tc = globus_sdk.TransferClient(authorizer=globus_sdk.AccessTokenAuthorizer(token))
tdata = globus_sdk.TransferData(src, dst, label="python tree", sync_level="checksum")
tdata.add_item("/alice/tree", "/py-tree", recursive=True)
tdata.add_filter_rule("*.bin", method="exclude", type="file")
result = tc.submit_transfer(tdata)
done = tc.task_wait(result["task_id"], timeout=60, polling_interval=1)
task = tc.get_task(result["task_id"])
files = sorted(f["destination_path"] for f in tc.paginated.task_successful_transfers(result["task_id"]).items())
events = [e["code"] for e in tc.task_event_list(result["task_id"])]
again = tc.submit_transfer(tdata)
ddata = globus_sdk.DeleteData(dst, recursive=True)
ddata.add_item("/py-tree/deep")
deleted = tc.submit_delete(ddata)
tc.task_wait(deleted["task_id"], timeout=60, polling_interval=1)
print(json.dumps({"done": done, "status": task["status"], "sync_level": task["sync_level"], "files": files, "events": events,
                  "submission_id": tdata["submission_id"], "again": [again["code"], again["task_id"] == result["task_id"]],
                  "delete": tc.get_task(deleted["task_id"])["status"]}))
`;
        const run = await python(script, globusEnv(server, home), [token, world.mappedId, world.secondId]);
        assert.equal(run.code, 0, run.stderr);
        const out = JSON.parse(run.stdout);
        assert.equal(out.done, true);
        assert.equal(out.status, 'SUCCEEDED');
        assert.equal(out.sync_level, 3);
        assert.deepEqual(out.files, ['/py-tree/a b.txt', '/py-tree/deep/ünïcødé.txt']);
        assert.ok(out.events.includes('SUCCEEDED'));
        assert.match(out.submission_id, /^[0-9a-f-]{36}$/);
        assert.deepEqual(out.again, ['Duplicate', true]);
        assert.equal(out.delete, 'SUCCEEDED');
        assert.equal(fs.readFileSync(path.join(world.root, 'second/py-tree/a b.txt'), 'utf8'), 'spaces in a name');
        assert.equal(fs.existsSync(path.join(world.root, 'second/py-tree/deep')), false);
      } finally {
        cleanup();
      }
    });

    test('globus transfer --recursive, task wait, task show, task event-list, task list; task cancel; globus delete', async () => {
      const { home, cleanup } = clientHome();
      try {
        const env = globusEnv(server, home, world.alice);
        const submitted = await globusCli(
          ['transfer', `${world.mappedId}:/alice/tree`, `${world.secondId}:/cli-tree`, '--recursive', '--label', 'cli tree', '-F', 'json'],
          env,
        );
        assert.equal(submitted.code, 0, submitted.stderr + submitted.stdout);
        const taskId = JSON.parse(submitted.stdout).task_id as string;
        const waited = await globusCli(['task', 'wait', taskId, '--timeout', '120', '--polling-interval', '1'], env);
        assert.equal(waited.code, 0, waited.stderr);
        for (const rel of ['a b.txt', 'deep/ünïcødé.txt', 'deep/er/three.bin']) {
          assert.equal(sha(path.join(world.root, 'second/cli-tree', rel)), sha(path.join(world.root, 'alice/tree', rel)), rel);
        }
        const show = await globusCli(['task', 'show', taskId], env);
        assert.equal(show.code, 0, show.stderr);
        assert.match(show.stdout, /Status:\s+SUCCEEDED/);
        assert.match(show.stdout, /Label:\s+cli tree/);
        const files = await globusCli(['task', 'show', '-t', taskId, '-F', 'json'], env);
        assert.equal(files.code, 0, files.stderr);
        assert.equal(JSON.parse(files.stdout).DATA.length, 3, files.stdout);
        const events = await globusCli(['task', 'event-list', taskId, '-F', 'json'], env);
        assert.equal(events.code, 0, events.stderr);
        assert.ok(JSON.parse(events.stdout).DATA.some((e: any) => e.code === 'SUCCEEDED'));
        const list = await globusCli(['task', 'list', '-F', 'json'], env);
        assert.equal(list.code, 0, list.stderr);
        assert.ok(JSON.parse(list.stdout).DATA.some((t: any) => t.task_id === taskId));

        // A transfer of a missing file stays ACTIVE, faulting, until it is canceled: task wait then exits 1.
        const stuck = await globusCli(['transfer', `${world.mappedId}:/alice/nothing-here`, `${world.secondId}:/nothing`, '-F', 'json'], env);
        const stuckId = JSON.parse(stuck.stdout).task_id as string;
        const timedOut = await globusCli(['task', 'wait', stuckId, '--timeout', '1', '--polling-interval', '1', '--timeout-exit-code', '50'], env);
        assert.equal(timedOut.code, 50, timedOut.stderr);
        const canceled = await globusCli(['task', 'cancel', stuckId], env);
        assert.equal(canceled.code, 0, canceled.stderr);
        assert.match(canceled.stdout, /cancelled successfully/);
        const failed = await globusCli(['task', 'wait', stuckId, '--timeout', '60', '--polling-interval', '1'], env);
        assert.equal(failed.code, 1);

        const removed = await globusCli(['delete', `${world.secondId}:/cli-tree`, '--recursive', '-F', 'json'], env);
        assert.equal(removed.code, 0, removed.stderr);
        const deleteId = JSON.parse(removed.stdout).task_id as string;
        assert.equal((await globusCli(['task', 'wait', deleteId, '--timeout', '60', '--polling-interval', '1'], env)).code, 0);
        assert.equal(fs.existsSync(path.join(world.root, 'second/cli-tree')), false);
      } finally {
        cleanup();
      }
    });
  });
});
