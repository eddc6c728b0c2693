// `gatehouse put|get` (HTTPS data plane, resume, progress, failures), `ls|mkdir|rename|rm` (Transfer operations) and `permission …` run as the real CLI against a real server with real local accounts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestServer, storeName, type TestServer } from '../../server/test/helpers/server.ts';
import { isRoot, makeWorld, mkdirOwned, plant, type DataWorld } from '../../server/test/helpers/data.ts';
import { grantRole } from '../../server/test/helpers/gcs.ts';
import { cliAs, tempHome } from './helpers.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe(`gatehouse data commands and permission (${storeName})`, { skip: isRoot ? false : 'needs root (useradd, per-account workers)' }, () => {
  let server: TestServer;
  let world: DataWorld;
  let home: ReturnType<typeof tempHome>;
  let work: string;

  /** The CLI as `actor` (client credentials); JSON unless `format` says text. */
  const { cli, ok } = cliAs(
    () => server,
    () => home,
  );
  const local = (name: string) => path.join(work, name);

  before(async () => {
    server = await startTestServer();
    home = tempHome();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-cli-data-'));
    world = await makeWorld(server, {
      tree: (root, { owner, alice }) => {
        mkdirOwned(root, 'alice', alice);
        plant(root, 'alice/.hidden', 'dot file', alice);
        plant(root, 'shared/readme.txt', 'hello guest world', owner);
      },
    });
  });
  after(async () => {
    await server?.stop();
    world?.cleanup();
    home?.cleanup();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('put then get on a mapped collection (https + data_access token), byte for byte', async () => {
    const content = randomBytes(3 * 1024 * 1024 + 123);
    fs.writeFileSync(local('up.bin'), content);
    const put = await ok(world.alice, ['put', local('up.bin'), `${world.mappedId}:/alice/big.bin`]);
    assert.equal(put.json.created, true);
    assert.equal(put.json.size, content.length);
    const onDisk = path.join(world.root, 'alice/big.bin');
    assert.equal(sha(fs.readFileSync(onDisk)), sha(content));
    assert.equal(fs.statSync(onDisk).uid, world.accounts.alice.uid, 'written as the mapped account');

    const replaced = await ok(world.alice, ['put', local('up.bin'), `${world.mappedId}:/alice/`], 'text');
    assert.match(replaced.stdout, /Uploaded .*up\.bin to .*:\/alice\/up\.bin .*new file/);

    const got = await ok(world.alice, ['get', `${world.mappedId}:/alice/big.bin`, local('down.bin')]);
    assert.equal(got.json.size, content.length);
    assert.equal(got.json.resumed_from, 0);
    assert.equal(sha(fs.readFileSync(local('down.bin'))), sha(content));
  });

  test('a truncated local copy is resumed with Range and ends identical; --no-resume downloads it all', async () => {
    const content = fs.readFileSync(path.join(world.root, 'alice/big.bin'));
    const file = local('resume.bin');
    fs.copyFileSync(path.join(world.root, 'alice/big.bin'), file);
    fs.truncateSync(file, 1_000_003);
    const resumed = await ok(world.alice, ['get', `${world.mappedId}:/alice/big.bin`, file]);
    assert.equal(resumed.json.resumed_from, 1_000_003);
    assert.equal(resumed.json.received, content.length - 1_000_003);
    assert.equal(sha(fs.readFileSync(file)), sha(content));

    // An explicit --resume on a whole copy transfers nothing.
    const whole = await ok(world.alice, ['get', '--resume', `${world.mappedId}:/alice/big.bin`, file]);
    assert.equal(whole.json.already_complete, true);

    fs.truncateSync(file, 10);
    const full = await ok(world.alice, ['get', '--no-resume', `${world.mappedId}:/alice/big.bin`, file]);
    assert.equal(full.json.resumed_from, 0);
    assert.equal(full.json.received, content.length);
    assert.equal(sha(fs.readFileSync(file)), sha(content));
  });

  test('--progress draws a bar on a non-terminal stderr; without it stderr stays quiet', async () => {
    const withBar = await ok(world.alice, ['get', '--progress', '--no-resume', `${world.mappedId}:/alice/big.bin`, local('p.bin')], 'text');
    assert.match(withBar.stderr, /big\.bin \[.*\] 100% \| 3\.0 MiB \/ 3\.0 MiB/);
    const quiet = await ok(world.alice, ['get', '--no-resume', `${world.mappedId}:/alice/big.bin`, local('p.bin')], 'text');
    assert.equal(quiet.stderr, '');
    assert.match(quiet.stdout, /^Downloaded .*big\.bin to .*p\.bin \(3\.0 MiB\)/);
  });

  test('get to stdout with -', async () => {
    const result = await ok(world.alice, ['get', `${world.mappedId}:/alice/up.bin`, '-'], 'text');
    assert.equal(result.stdout.length > 0, true);
    const res = await cli(world.alice, ['get', `${world.guestId}:/readme.txt`, '-'], 'text');
    // alice holds no ACL on the guest: refused, nothing on stdout.
    assert.notEqual(res.code, 0);
    assert.equal(res.stdout, '');
  });

  test('failures exit non-zero: a missing file, no permission, a bad argument', async () => {
    const missing = await cli(world.alice, ['get', `${world.mappedId}:/alice/none.bin`, local('none.bin')], 'text');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /HTTP status: 404/);
    const dots = await cli(world.alice, ['get', `${world.mappedId}:/alice/../alice/big.bin`, local('x.bin')], 'text');
    assert.equal(dots.code, 1, 'dot segments are refused before any request');
    assert.match(dots.stderr, /'\.' and '\.\.' segments/);
    const noAccess = await cli(world.bob, ['put', local('up.bin'), `${world.guestId}:/bob.bin`], 'text');
    assert.equal(noAccess.code, 1);
    assert.match(noAccess.stderr, /HTTP status: 403/);
    const usage = await cli(world.alice, ['get', 'not-a-collection:/x']);
    assert.equal(usage.code, 2);
    const json = await cli(world.alice, ['get', `${world.mappedId}:/alice/none.bin`, local('none.bin')]);
    assert.equal(json.code, 1);
    assert.equal(typeof JSON.parse(json.stderr).code, 'string', 'raw API error JSON with -F json');
  });

  test('collection create warns when the base path does not exist (yet) on the storage, and not when it does', async () => {
    // The guest owner as an endpoint administrator: mapped on the gateway, so the CLI can look.
    await grantRole(server, world.owner.id, 'administrator');
    const missing = await ok(world.owner, ['collection', 'create', world.gatewayId, `${world.root}/not-made-yet`, 'Not yet']);
    assert.match(missing.stderr, /^Warning: its base path \S+\/not-made-yet, the collection root \/ does not exist on collection /m);
    const present = await ok(world.owner, ['collection', 'create', world.gatewayId, `${world.root}/shared`, 'Present']);
    assert.doesNotMatch(present.stderr, /Warning/);
    for (const id of [missing.json.id, present.json.id]) {
      await ok(world.owner, ['collection', 'update', id, '--no-delete-protected']);
      await ok(world.owner, ['collection', 'delete', id]);
    }
  });

  test('permission create/list/show/update/delete on the guest collection governs what bob may do', async () => {
    const content = Buffer.from('bob was here\n');
    fs.writeFileSync(local('bob.txt'), content);

    const created = await ok(world.owner, ['permission', 'create', `${world.guestId}:/`, '--identity', world.bob.username, '--permissions', 'r']);
    const ruleId = created.json.access_id as string;
    assert.match(ruleId, /^[0-9a-f-]{36}$/);
    const listed = await ok(world.owner, ['permission', 'list', world.guestId]);
    const rule = listed.json.DATA.find((r: { id: string | null }) => r.id === ruleId);
    assert.equal(rule.principal, world.bob.id);
    assert.equal(rule.permissions, 'r');
    assert.ok(
      listed.json.DATA.some((r: { id: string | null; role_type: string | null }) => r.id === null && r.role_type === 'administrator'),
      'implicit admin entry',
    );
    const text = await ok(world.owner, ['permission', 'list', world.guestId], 'text');
    assert.match(text.stdout, new RegExp(`${ruleId} \\| r\\s+\\| identity:${world.bob.id} \\| /`));
    assert.equal((await ok(world.owner, ['permission', 'show', world.guestId, ruleId])).json.path, '/');

    // Read-only: bob can read the share but not write to it.
    const read = await ok(world.bob, ['get', `${world.guestId}:/readme.txt`, local('readme.txt')]);
    assert.equal(read.json.size, 'hello guest world'.length);
    assert.equal((await cli(world.bob, ['put', local('bob.txt'), `${world.guestId}:/bob.txt`], 'text')).code, 1);

    assert.match((await ok(world.owner, ['permission', 'update', world.guestId, ruleId, '--permissions', 'rw'], 'text')).stdout, /updated/i);
    const put = await ok(world.bob, ['put', local('bob.txt'), `${world.guestId}:/bob.txt`]);
    assert.equal(put.json.created, true);
    assert.deepEqual(fs.readFileSync(path.join(world.root, 'shared/bob.txt')), content);
    assert.equal(fs.statSync(path.join(world.root, 'shared/bob.txt')).uid, world.accounts.owner.uid, 'guest writes land as the owner account');

    const others = await ok(world.owner, ['permission', 'create', `${world.guestId}:/pub/`, '--all-authenticated', '--permissions', 'r']);
    // Made all the same (as Globus makes it), and said: /pub/ is not there yet; / was.
    assert.match(others.stderr, new RegExp(`^Warning: the rule's path /pub/ does not exist on collection ${world.guestId} \\(yet\\)`, 'm'));
    assert.doesNotMatch(created.stderr, /Warning/);
    assert.equal((await ok(world.owner, ['permission', 'show', world.guestId, others.json.access_id])).json.principal_type, 'all_authenticated_users');
    await ok(world.owner, ['permission', 'delete', world.guestId, others.json.access_id]);

    assert.match((await ok(world.owner, ['permission', 'delete', world.guestId, ruleId], 'text')).stdout, /deleted/i);
    const after = await cli(world.bob, ['get', '--no-resume', `${world.guestId}:/readme.txt`, local('readme.txt')], 'text');
    assert.notEqual(after.code, 0, 'the rule is gone');
    const gone = await cli(world.owner, ['permission', 'show', world.guestId, ruleId], 'text');
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /AccessRuleNotFound/);

    const usage = await cli(world.owner, ['permission', 'create', `${world.guestId}:/`, '--permissions', 'r']);
    assert.equal(usage.code, 2, 'a principal is required');
    const twice = await cli(world.owner, ['permission', 'create', `${world.guestId}:/`, '--anonymous', '--group', world.bob.id, '--permissions', 'r']);
    assert.equal(twice.code, 2, 'only one principal');
  });

  test('mkdir, ls (plain, long, --all, --filter, json), rename, rm with and without --recursive', async () => {
    const m = world.mappedId;
    assert.match((await ok(world.alice, ['mkdir', `${m}:/alice/sub`], 'text')).stdout, /directory was created/);
    const exists = await cli(world.alice, ['mkdir', `${m}:/alice/sub`], 'text');
    assert.equal(exists.code, 1);
    assert.match(exists.stderr, /ExternalError\.MkdirFailed\.Exists/);
    fs.writeFileSync(local('one.bin'), 'one');
    await ok(world.alice, ['put', local('one.bin'), `${m}:/alice/sub/`]);
    await ok(world.alice, ['put', local('one.bin'), `${m}:/alice/sub/notes.txt`]);

    const listing = await ok(world.alice, ['ls', `${m}:/alice/sub`]);
    assert.equal(listing.json.DATA_TYPE, 'file_list');
    assert.deepEqual(listing.json.DATA.map((e: { name: string }) => e.name).sort(), ['notes.txt', 'one.bin']);
    assert.equal(listing.json.length, 2);
    const plain = await ok(world.alice, ['ls', `${m}:/alice`], 'text');
    assert.ok(plain.stdout.split('\n').includes('sub/'), plain.stdout);
    assert.ok(!plain.stdout.includes('.hidden'), 'dot files only with --all');
    assert.match((await ok(world.alice, ['ls', '-a', `${m}:/alice`], 'text')).stdout, /^\.hidden$/m);
    const long = await ok(world.alice, ['ls', '--long', `${m}:/alice/sub`], 'text');
    assert.match(long.stdout, /^Permissions \| User\s+\| Group\s+\| Size \| Last Modified\s+\| File Type \| Filename/);
    assert.match(long.stdout, new RegExp(`${world.accounts.alice.name}.*\\| 3 .*\\| file\\s+\\| one\\.bin`));
    assert.equal((await ok(world.alice, ['ls', '--filter', '~*.bin', `${m}:/alice/sub`], 'text')).stdout.trim(), 'one.bin');
    assert.equal((await ok(world.alice, ['ls', '--filter', '!~*.bin', `${m}:/alice/sub`], 'text')).stdout.trim(), 'notes.txt');

    assert.match((await ok(world.alice, ['rename', m, '/alice/sub/one.bin', '/alice/sub/two.bin'], 'text')).stdout, /renamed successfully/);
    assert.equal(fs.existsSync(path.join(world.root, 'alice/sub/two.bin')), true);
    assert.equal(fs.existsSync(path.join(world.root, 'alice/sub/one.bin')), false);

    const notEmpty = await cli(world.alice, ['rm', `${m}:/alice/sub`], 'text');
    assert.equal(notEmpty.code, 1);
    assert.match(notEmpty.stderr, /failed/);
    assert.equal(fs.existsSync(path.join(world.root, 'alice/sub/two.bin')), true);
    const removed = await ok(world.alice, ['rm', '-r', `${m}:/alice/sub`]);
    assert.equal(removed.json.status, 'SUCCEEDED');
    assert.equal(fs.existsSync(path.join(world.root, 'alice/sub')), false);
    assert.equal((await cli(world.alice, ['ls', `${m}:/alice/sub`], 'text')).code, 1);
    assert.equal((await cli(world.alice, ['rm', `${m}:/alice/none`], 'text')).code, 1, 'a missing path fails');
    await ok(world.alice, ['rm', '--ignore-missing', `${m}:/alice/none`]);
    assert.equal((await cli(world.alice, ['rm', `${m}:/`])).code, 2, 'the root is refused locally');
  });

  test('file operations on the guest follow its ACLs; Transfer refusals exit non-zero', async () => {
    const g = world.guestId;
    const listing = await ok(world.owner, ['ls', `${g}:/`]);
    assert.ok(listing.json.DATA.some((e: { name: string }) => e.name === 'readme.txt'));
    const denied = await cli(world.carol, ['ls', `${g}:/`], 'text');
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /HTTP status: 403/);
  });
});
