// `gatehouse transfer`, `task …` and `endpoint search` run as the real CLI (client credentials) against a real server with its task engine.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, storeName, type TestServer } from '../../server/test/helpers/server.ts';
import { isRoot, plant } from '../../server/test/helpers/data.ts';
import { makeTaskWorld, type TaskWorld } from '../../server/test/transfer-tasks-helpers.ts';
import { spawn } from 'node:child_process';
import { BIN, childEnv, cliAs, finish, tempHome } from './helpers.ts';

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe(`gatehouse transfer, task and endpoint search (${storeName})`, { skip: isRoot ? false : 'needs root (useradd, per-account workers)' }, () => {
  let server: TestServer;
  let world: TaskWorld;
  let home: ReturnType<typeof tempHome>;
  let work: string;
  const { cli, ok } = cliAs(
    () => server,
    () => home,
  );

  before(async () => {
    server = await startTestServer();
    home = tempHome();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-cli-transfer-'));
    world = await makeTaskWorld(server);
    plant(world.root, 'alice/tree/a b.txt', 'spaces', world.accounts.alice);
    plant(world.root, 'alice/tree/sub/ünï.txt', 'non-ascii', world.accounts.alice);
    plant(world.root, 'alice/tree/skip.tmp', 'excluded', world.accounts.alice);
  });
  after(async () => {
    await server?.stop();
    world?.cleanup();
    home?.cleanup();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('transfer --recursive --exclude --wait: plain progress lines off a terminal, exit 0, the tree copied; task show, list, event-list', async () => {
    const res = await cli(
      world.alice,
      [
        'transfer',
        `${world.mappedId}:/alice/tree`,
        `${world.secondId}:/tree`,
        '--recursive',
        '--exclude',
        '*.tmp',
        '--label',
        'cli tree',
        '--wait',
        '--polling-interval',
        '0.1',
      ],
      'text',
    );
    assert.equal(res.code, 0, res.stderr);
    const taskId = /Task ID: (\S+)/.exec(res.stdout)![1];
    assert.match(res.stdout, /Status:\s+SUCCEEDED/);
    assert.match(res.stderr, new RegExp(`${taskId} (ACTIVE|SUCCEEDED) \\| files \\d+/\\d+`), 'plain progress lines on stderr');
    assert.equal(sha(path.join(world.root, 'second/tree/a b.txt')), sha(path.join(world.root, 'alice/tree/a b.txt')));
    assert.equal(fs.readFileSync(path.join(world.root, 'second/tree/sub/ünï.txt'), 'utf8'), 'non-ascii');
    assert.equal(fs.existsSync(path.join(world.root, 'second/tree/skip.tmp')), false, 'excluded by the filter rule');

    const show = await ok(world.alice, ['task', 'show', taskId]);
    assert.equal(show.json.status, 'SUCCEEDED');
    assert.equal(show.json.label, 'cli tree');
    assert.deepEqual(show.json.filter_rules, [{ DATA_TYPE: 'filter_rule', method: 'exclude', name: '*.tmp', type: 'file' }]);
    const files = await ok(world.alice, ['task', 'show', '--successful-transfers', taskId]);
    assert.equal(files.json.DATA.length, 2);
    const list = await ok(world.alice, ['task', 'list', '--filter-status', 'SUCCEEDED']);
    assert.ok(list.json.DATA.some((t: { task_id: string }) => t.task_id === taskId));
    const listText = await ok(world.alice, ['task', 'list'], 'text');
    assert.match(listText.stdout, new RegExp(`${taskId} \\| SUCCEEDED \\| TRANSFER`));
    const events = await ok(world.alice, ['task', 'event-list', taskId]);
    assert.ok(events.json.DATA.some((e: { code: string }) => e.code === 'SUCCEEDED'));
    const waited = await cli(world.alice, ['task', 'wait', taskId]);
    assert.equal(waited.code, 0);
    assert.equal((await ok(world.alice, ['task', 'pause-info', taskId], 'text')).stdout.trim(), `Task ${taskId} is not paused.`);
    const search = await ok(world.alice, ['endpoint', 'search', '--filter-scope', 'recently-used']);
    assert.deepEqual(search.json.DATA.map((r: { id: string }) => r.id).sort(), [world.mappedId, world.secondId].sort());
  });

  test(
    'transfer --wait in a terminal draws the progress bar (files, bytes, rate, ETA)',
    { skip: fs.existsSync('/usr/bin/script') ? false : 'needs script(1) for a pseudo-terminal' },
    async () => {
      const args = [BIN, 'transfer', `${world.mappedId}:/alice/tree`, `${world.secondId}:/tty-tree`, '--recursive', '--wait', '--polling-interval', '0.1'];
      const env = childEnv({
        HOME: home.home,
        XDG_CONFIG_HOME: home.configHome,
        GATEHOUSE_URL: server.url,
        GATEHOUSE_CA_FILE: server.caPath,
        GATEHOUSE_CLIENT_ID: world.alice.id,
        GATEHOUSE_CLIENT_SECRET: world.alice.secret,
      });
      // script(1) runs the command on a pseudo-terminal (stdout and stderr both TTYs) and exits with its status.
      const command = [process.execPath, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
      // Asynchronously: the server under test runs in this process.
      const run = await finish(spawn('script', ['-qefc', command, '/dev/null'], { env, stdio: 'pipe' }));
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.match(run.stdout, /\[[\u2588\u2591]+\] \d+\/\d+ files \| [\d.]+ (B|KiB) \| [\d.]+ (B|KiB)\/s \| ETA \S+/);
      assert.match(run.stdout, /Status:\s+SUCCEEDED/);
      assert.equal(fs.readFileSync(path.join(world.root, 'second/tty-tree/a b.txt'), 'utf8'), 'spaces');
    },
  );

  test('--batch, --sync-level and --dry-run: the document as globus-cli sends it', async () => {
    fs.writeFileSync(path.join(work, 'batch.txt'), '# two files\none.txt one.txt\n"two.txt" \'copy of two.txt\'\n');
    const dry = await ok(world.alice, [
      'transfer',
      `${world.mappedId}:/alice`,
      `${world.secondId}:/`,
      '--batch',
      path.join(work, 'batch.txt'),
      '--sync-level',
      'size',
      '--dry-run',
    ]);
    assert.deepEqual(dry.json, {
      DATA_TYPE: 'transfer',
      DATA: [
        { DATA_TYPE: 'transfer_item', source_path: '/alice/one.txt', destination_path: '/one.txt' },
        { DATA_TYPE: 'transfer_item', source_path: '/alice/two.txt', destination_path: '/copy of two.txt' },
      ],
      source_endpoint: world.mappedId,
      destination_endpoint: world.secondId,
      verify_checksum: true,
      preserve_timestamp: false,
      skip_source_errors: false,
      fail_on_quota_errors: false,
      delete_destination_extra: false,
      sync_level: 1,
    });
    const submitted = await ok(world.alice, ['transfer', `${world.mappedId}:/alice`, `${world.secondId}:/`, '--batch', path.join(work, 'batch.txt')]);
    assert.equal(submitted.json.code, 'Accepted');
    const waited = await cli(world.alice, ['task', 'wait', submitted.json.task_id, '--polling-interval', '0.1']);
    assert.equal(waited.code, 0, waited.stderr);
    assert.equal(fs.readFileSync(path.join(world.root, 'second/copy of two.txt'), 'utf8'), '22');
  });

  test('an unfinished task: wait times out with the timeout exit code, update, cancel; then wait exits 1 (FAILED)', async () => {
    const submitted = await ok(world.alice, ['transfer', `${world.mappedId}:/alice/missing`, `${world.secondId}:/missing`]);
    const id = submitted.json.task_id as string;
    const timedOut = await cli(world.alice, ['task', 'wait', id, '--timeout', '0.3', '--polling-interval', '0.1', '--timeout-exit-code', '7'], 'text');
    assert.equal(timedOut.code, 7);
    assert.match(timedOut.stderr, /Task has yet to complete after 0.3 seconds/);
    await ok(world.alice, ['task', 'update', id, '--label', 'given up']);
    assert.equal((await ok(world.alice, ['task', 'show', id])).json.label, 'given up');
    const canceled = await ok(world.alice, ['task', 'cancel', id], 'text');
    assert.match(canceled.stdout, /cancelled successfully/);
    const waited = await cli(world.alice, ['task', 'wait', id, '--polling-interval', '0.1']);
    assert.equal(waited.code, 1);
    assert.equal(waited.json.fatal_error.code, 'CANCELED');
    const none = await ok(world.alice, ['task', 'cancel', '--all'], 'text');
    assert.match(none.stdout, /You have no in-progress tasks\./);
  });

  test('endpoint search: text table with the Domain column; the default scope needs a text', async () => {
    const table = await ok(world.alice, ['endpoint', 'search', 'Second'], 'text');
    assert.match(table.stdout, /^ID\s+\| Owner\s+\| Display Name\s+\| Domain/);
    assert.ok(table.stdout.includes(world.secondId));
    const refused = await cli(world.alice, ['endpoint', 'search']);
    assert.equal(refused.code, 2);
  });
});
