// Task submission over HTTP and @globus/sdk: submission ids, POST /transfer and /delete — fields and defaults, the §2.4 order of refusals, idempotency by submission_id, the rows the engine is handed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import { transfer as globusTransfer } from '@globus/sdk';
import { makeClient, startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { api, dataAccess, POSIX } from './helpers/gcs.ts';
import { isRoot, literalMappings } from './helpers/data.ts';
import { deleteDoc, makeTaskWorld, taskCount, tokenFor, transferDoc, type TaskWorld } from './transfer-tasks-helpers.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/;

describe(`Transfer task submission (${storeName})`, { skip: isRoot ? false : 'needs root (useradd)' }, () => {
  let server: TestServer;
  let world: TaskWorld;
  let aliceT: string;
  let aliceBoth: string;
  let aliceNone: string;
  let halfConsent: string;
  let bobT: string;

  before(async () => {
    // A process that runs no tasks: the rows a submission hands the engine stay as submitted, to be looked at.
    server = await startTestServer({ taskConcurrency: 0 });
    world = await makeTaskWorld(server);
    aliceT = await tokenFor(server, world.alice, world.mappedId);
    aliceBoth = await tokenFor(server, world.alice, world.mappedId, world.secondId);
    // Consents belong to identity × client, not to a token: clients that never consented to the rest.
    aliceNone = await tokenFor(server, await makeClient(server, 'never consented'));
    halfConsent = await tokenFor(server, await makeClient(server, 'consented to one'), world.mappedId);
    bobT = await tokenFor(server, world.bob);
  });
  after(async () => {
    await server?.stop();
    world?.cleanup();
  });

  const submit = (token: string | undefined, body: unknown) => api(server, token, 'POST', '/v0.10/transfer', body);

  test('GET /submission_id: a fresh UUID each call; 401 ClientError.AuthenticationFailed without a token', async () => {
    const a = await api(server, aliceT, 'GET', '/v0.10/submission_id');
    const b = await api(server, aliceT, 'GET', '/v0.10/submission_id');
    assert.equal(a.status, 200);
    assert.equal(a.body.DATA_TYPE, 'submission_id');
    assert.match(a.body.value, UUID);
    assert.notEqual(a.body.value, b.body.value);
    for (const [method, path] of [
      ['GET', '/v0.10/submission_id'],
      ['POST', '/v0.10/transfer'],
      ['POST', '/v0.10/delete'],
    ]) {
      const res = await api(server, undefined, method, path, method === 'POST' ? { DATA_TYPE: 'transfer' } : undefined);
      assert.equal(res.status, 401, path);
      assert.equal(res.body.code, 'ClientError.AuthenticationFailed', path);
      assert.equal(res.body.resource, path.replace('/v0.10', ''));
    }
  });

  test('POST /transfer: 202 Accepted with the task link; the task row and its items as the engine expects them', async () => {
    const doc = transferDoc(world.mappedId, world.guestId, [
      ['/alice/one.txt', '/docs/one.txt'],
      ['~/notes/../x', 'godata/x'],
    ]);
    doc.DATA[1] = { ...doc.DATA[1], recursive: true, checksum_algorithm: 'sha256' } as never;
    const res = await submit(aliceT, {
      ...doc,
      label: 'my label',
      sync_level: 'mtime',
      filter_rules: [{ DATA_TYPE: 'filter_rule', method: 'exclude', name: '*.tmp', type: 'file' }],
      perf_cc: 2,
      something_new: { ignored: true },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.DATA_TYPE, 'transfer_result');
    assert.equal(res.body.code, 'Accepted');
    assert.equal(res.body.message, 'The transfer has been accepted and a task has been created and queued for execution');
    assert.equal(res.body.resource, '/transfer');
    assert.equal(res.body.submission_id, doc.submission_id);
    assert.match(res.body.task_id, UUID);
    assert.deepEqual(res.body.task_link, {
      DATA_TYPE: 'link',
      href: `task/${res.body.task_id}?format=json`,
      rel: 'related',
      resource: 'task',
      title: 'related task',
    });

    const row = await server.store.db.selectFrom('transfer_tasks').selectAll().where('task_id', '=', res.body.task_id).executeTakeFirstOrThrow();
    assert.equal(row.status, 'ACTIVE');
    assert.equal(row.type, 'TRANSFER');
    assert.equal(row.owner_id, world.alice.id);
    assert.equal(row.source_collection_id, world.mappedId);
    assert.equal(row.destination_collection_id, world.guestId);
    assert.equal(Number(row.subtasks_total), 1);
    assert.equal(Number(row.subtasks_pending), 1);
    assert.equal(row.deadline_fixed, 0);
    assert.ok(Math.abs(Number(row.deadline_at) - Number(row.requested_at) - 86_400_000) < 1000);
    const options = JSON.parse(row.options);
    assert.equal(options.sync_level, 2);
    assert.equal(options.verify_checksum, true);
    assert.equal(options.notify_on_failed, true);
    assert.deepEqual(options.filter_rules, [{ method: 'exclude', name: '*.tmp', type: 'file' }]);
    const authority = JSON.parse(row.authority);
    assert.equal(authority.identityId, world.alice.id);
    const entries = await server.store.db.selectFrom('transfer_task_entries').selectAll().where('task_id', '=', row.task_id).orderBy('item').execute();
    assert.deepEqual(
      entries.map((e) => [e.item, e.kind, e.state, e.source_path, e.destination_path, e.spec && JSON.parse(e.spec)]),
      [
        [0, 'item', 'pending', '/alice/one.txt', '/docs/one.txt', {}],
        // `~` and a relative path (against the default directory, the home) as the file operations normalise them.
        [1, 'item', 'pending', '/~/x', '/~/godata/x', { recursive: true, checksum_algorithm: 'SHA256' }],
      ],
    );

    const task = await api(server, aliceT, 'GET', `/v0.10/task/${res.body.task_id}`);
    assert.equal(task.status, 200);
    assert.equal(task.body.label, 'my label');
    assert.equal(task.body.sync_level, 2);
    assert.equal(task.body.verify_checksum, true);
    assert.equal(task.body.recursive_symlinks, 'ignore');
    assert.match(task.body.request_time, TIME);
    assert.match(task.body.deadline, TIME);
    assert.equal(task.body.completion_time, null);
    assert.deepEqual(task.body.filter_rules, [{ DATA_TYPE: 'filter_rule', method: 'exclude', name: '*.tmp', type: 'file' }]);
  });

  test('the same submission_id twice is one task: 200 Duplicate with the original task_id, whatever the second body says', async () => {
    const doc = transferDoc(world.mappedId, world.guestId, [['/alice/two.txt', '/docs/two.txt']]);
    const first = await submit(aliceT, doc);
    assert.equal(first.status, 202);
    const before = await taskCount(server);
    const again = await submit(aliceT, doc);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.code, 'Duplicate');
    assert.equal(again.body.task_id, first.body.task_id);
    assert.equal(again.body.submission_id, doc.submission_id);
    const other = await submit(aliceT, { ...doc, DATA: [{ DATA_TYPE: 'transfer_item', source_path: '/elsewhere', destination_path: '/x' }] });
    assert.equal(other.body.code, 'Duplicate');
    assert.equal(other.body.task_id, first.body.task_id);
    // Even a delete with that id is the same submission.
    const asDelete = await api(server, aliceT, 'POST', '/v0.10/delete', { ...deleteDoc(world.mappedId, ['/alice/x']), submission_id: doc.submission_id });
    assert.equal(asDelete.body.code, 'Duplicate');
    // Concurrent repeats (a network-retried POST) make no second task.
    const racing = await Promise.all([1, 2, 3].map(() => submit(aliceT, transferDoc(world.mappedId, world.guestId, [['/alice/race', '/docs/race']]))));
    assert.equal(racing.filter((r) => r.status === 202).length, 1, 'identical paths: one accepted, the others Conflict');
    assert.ok(racing.filter((r) => r.status !== 202).every((r) => r.status === 409 && r.body.code === 'Conflict'));
    const id = randomUUID();
    const same = await Promise.all(
      [1, 2, 3, 4].map((n) => submit(aliceT, { ...transferDoc(world.mappedId, world.guestId, [[`/alice/r${n}`, '/docs/r']]), submission_id: id })),
    );
    assert.equal(same.filter((r) => r.body.code === 'Accepted').length, 1);
    assert.equal(new Set(same.map((r) => r.body.task_id)).size, 1);
    assert.equal(await taskCount(server), before + 2);
    // Another identity's submission id is a Conflict, not its task.
    const stolen = await api(server, bobT, 'POST', '/v0.10/delete', { ...deleteDoc(world.guestId, ['/docs/a.txt']), submission_id: doc.submission_id });
    assert.equal(stolen.status, 409);
    assert.equal(stolen.body.code, 'Conflict');
  });

  test('a refused submission leaves its id unused: ConsentRequired, then the same document with the consent is Accepted', async () => {
    const doc = transferDoc(world.mappedId, world.secondId, [['/alice/one.txt', '/copy.txt']]);
    const before = await taskCount(server);
    const refused = await submit(aliceNone, doc);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, 'ConsentRequired');
    assert.equal(refused.body.message, 'Missing required data_access consent');
    const scope = `urn:globus:auth:scope:transfer.api.globus.org:all[*${dataAccess(world.mappedId)} *${dataAccess(world.secondId)}]`;
    assert.deepEqual(refused.body.required_scopes, [scope]);
    assert.deepEqual(refused.body.authorization_parameters, { session_message: 'Missing required data_access consent', required_scopes: [scope] });
    // One consent of the two is not enough; the error names both.
    const half = await submit(halfConsent, doc);
    assert.equal(half.status, 403);
    assert.deepEqual(half.body.required_scopes, [scope]);
    assert.equal(await taskCount(server), before);
    const accepted = await submit(aliceBoth, doc);
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    assert.equal(accepted.body.code, 'Accepted');
    // A guest needs no consent.
    const guest = await api(server, bobT, 'POST', '/v0.10/delete', deleteDoc(world.guestId, ['/docs/none']));
    assert.equal(guest.status, 202, JSON.stringify(guest.body));
  });

  test('refusals in their order: schema, NoTransferItems, NotSupported, EndpointNotFound, identical paths — none makes a task', async () => {
    const before = await taskCount(server);
    const base = () => transferDoc(world.mappedId, world.guestId, [['/alice/one.txt', '/docs/refused.txt']]);
    const expect = async (body: unknown, status: number, code: string, message?: string | RegExp) => {
      const res = await submit(aliceT, body);
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.equal(res.body.code, code, JSON.stringify(res.body));
      if (typeof message === 'string') assert.equal(res.body.message, message);
      else if (message) assert.match(res.body.message, message);
      assert.equal(res.body.resource, '/transfer');
      assert.equal(typeof res.body.request_id, 'string');
    };
    await expect({ ...base(), DATA: [] }, 400, 'ClientError.BadRequest.NoTransferItems', 'A transfer requires at least one item');
    const { submission_id: _, ...noId } = base();
    await expect(noId, 400, 'ClientError.BadRequest');
    await expect({ ...base(), DATA_TYPE: 'delete' }, 400, 'ClientError.BadRequest');
    await expect({ ...base(), sync_level: 7 }, 400, 'ClientError.BadRequest');
    await expect({ ...base(), verify_checksum: 'yes' }, 400, 'ClientError.BadRequest');
    await expect({ ...base(), label: 'two\nlines' }, 400, 'ClientError.BadRequest');
    await expect({ ...base(), label: ' padded' }, 400, 'ClientError.BadRequest');
    await expect({ ...base(), deadline: 'next tuesday' }, 400, 'ClientError.BadRequest', /deadline/);
    await expect({ ...base(), DATA: [{ ...base().DATA[0], checksum_algorithm: 'CRC64' }] }, 400, 'ClientError.BadRequest');
    // Named by the spec but not computed by the copy: refused now, not as a fault of every file.
    await expect({ ...base(), DATA: [{ ...base().DATA[0], checksum_algorithm: 'ADLER32' }] }, 400, 'ClientError.BadRequest');
    await expect({ ...base(), DATA: [{ ...base().DATA[0], recursive: true, external_checksum: 'abc' }] }, 400, 'ClientError.BadRequest');
    await expect({ ...base(), DATA: [{ DATA_TYPE: 'transfer_symlink_item', source_path: '/a', destination_path: '/b' }] }, 409, 'NotSupported');
    await expect({ ...base(), recursive_symlinks: 'keep' }, 409, 'NotSupported');
    const unknown = randomUUID();
    await expect({ ...base(), destination_endpoint: unknown }, 404, 'EndpointNotFound', `No such endpoint '${unknown}'`);
    await expect({ ...base(), source_endpoint: 'not-a-uuid' }, 404, 'EndpointNotFound', "No such endpoint 'not-a-uuid'");
    await expect({ ...base(), source_endpoint: server.endpointId }, 400, 'ClientError.BadRequest');
    await expect({ ...base(), DATA: [{ ...base().DATA[0], source_path: '/../../etc/passwd' }] }, 403, 'PermissionDenied');
    assert.equal(await taskCount(server), before);

    // Identical paths while the first is unfinished: 409 Conflict; a different item set is fine.
    const first = await submit(aliceT, transferDoc(world.mappedId, world.guestId, [['/alice/missing-src', '/docs/same']]));
    assert.equal(first.status, 202);
    await expect(
      transferDoc(world.mappedId, world.guestId, [['/alice/missing-src', '/docs/same']]),
      409,
      'Conflict',
      'A transfer with identical paths has not yet completed',
    );
    const differs = await submit(aliceT, transferDoc(world.mappedId, world.guestId, [['/alice/missing-src', '/docs/other']]));
    assert.equal(differs.status, 202);
    // Once the first is no longer open, the same paths are accepted again.
    const cancel = await api(server, aliceT, 'POST', `/v0.10/task/${first.body.task_id}/cancel`);
    assert.equal(cancel.status, 200);
    const again = await submit(aliceT, transferDoc(world.mappedId, world.guestId, [['/alice/missing-src', '/docs/same']]));
    assert.equal(again.status, 202, JSON.stringify(again.body));
  });

  test("a collection's session requirement is answered at submission (AuthPolicyFailed with authorization_parameters); paths are not checked", async () => {
    const sg = await api(server, world.admin.token, 'POST', '/api/storage_gateways', {
      DATA_TYPE: 'storage_gateway#1.0.0',
      display_name: 'Domain-bound FS',
      connector_id: POSIX,
      identity_mappings: literalMappings([[world.alice.id, world.accounts.alice.name]]),
      allowed_domains: ['example.org'],
    });
    assert.equal(sg.status, 201, JSON.stringify(sg.body));
    const bound = await api(server, world.admin.token, 'POST', '/api/collections', {
      DATA_TYPE: 'collection#1.2.0',
      collection_type: 'mapped',
      display_name: 'Domain-bound',
      storage_gateway_id: sg.body.data[0].id,
      collection_base_path: world.root,
      public: true,
    });
    assert.equal(bound.status, 201, JSON.stringify(bound.body));
    const boundId = bound.body.data[0].id as string;
    const token = await tokenFor(server, world.alice, boundId, world.secondId);
    const before = await taskCount(server);
    const doc = transferDoc(boundId, world.secondId, [['/alice/one.txt', '/bound.txt']]);
    const refused = await submit(token, doc);
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal(refused.body.code, 'AuthPolicyFailed');
    assert.deepEqual(refused.body.authorization_parameters.session_required_single_domain, ['example.org']);
    assert.equal(await taskCount(server), before);
    // A path the caller may not write is the engine's business, not the submission's.
    const unwritable = await api(server, bobT, 'POST', '/v0.10/delete', deleteDoc(world.guestId, ['/docs/a.txt']));
    assert.equal(unwritable.status, 202, JSON.stringify(unwritable.body));
  });

  test('deadlines in every client form; a given deadline is fixed', async () => {
    const forms: Array<[string, string]> = [
      ['2031-10-12', '2031-10-12T00:00:00+00:00'],
      ['2031-10-12 09:30Z', '2031-10-12T09:30:00+00:00'],
      ['2031-10-12 12:33:54+00:00', '2031-10-12T12:33:54+00:00'],
      ['2031-10-12 12:33:54', '2031-10-12T12:33:54+00:00'],
      ['2031-01-01 12:00:00.123456+00:00', '2031-01-01T12:00:00+00:00'],
      ['2031-01-01T12:00:00.123456', '2031-01-01T12:00:00+00:00'],
      ['2031-01-01T14:00:00+02:00', '2031-01-01T12:00:00+00:00'],
    ];
    for (const [i, [given, shown]] of forms.entries()) {
      const res = await submit(aliceT, { ...transferDoc(world.mappedId, world.guestId, [[`/alice/d${i}`, '/docs/d']]), deadline: given });
      assert.equal(res.status, 202, `${given}: ${JSON.stringify(res.body)}`);
      const task = await api(server, aliceT, 'GET', `/v0.10/task/${res.body.task_id}`);
      assert.equal(task.body.deadline, shown, given);
      const row = await server.store.db.selectFrom('transfer_tasks').select('deadline_fixed').where('task_id', '=', res.body.task_id).executeTakeFirstOrThrow();
      assert.equal(row.deadline_fixed, 1);
    }
    const bad = await submit(aliceT, { ...transferDoc(world.mappedId, world.guestId, [['/alice/d', '/docs/d']]), deadline: '2031-02-30' });
    assert.equal(bad.status, 400);
  });

  test('POST /delete: 202 Accepted, a DELETE task with one entry per item; NoDeleteItems; the root is refused', async () => {
    const doc = deleteDoc(world.guestId, ['/docs/a.txt', 'rel/b'], { recursive: true, ignore_missing: true, interpret_globs: false, label: 'clean' });
    const res = await api(server, bobT, 'POST', '/v0.10/delete', doc);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.DATA_TYPE, 'delete_result');
    assert.equal(res.body.code, 'Accepted');
    assert.equal(res.body.message, 'The delete has been accepted and a task has been created and queued for execution');
    assert.equal(res.body.resource, '/delete');
    const row = await server.store.db.selectFrom('transfer_tasks').selectAll().where('task_id', '=', res.body.task_id).executeTakeFirstOrThrow();
    assert.equal(row.type, 'DELETE');
    assert.equal(Number(row.subtasks_total), 2);
    assert.equal(Number(row.subtasks_pending), 2);
    assert.deepEqual(JSON.parse(row.options), {
      recursive: true,
      ignore_missing: true,
      interpret_globs: false,
      local_user: null,
      notify_on_succeeded: true,
      notify_on_failed: true,
      notify_on_inactive: true,
    });
    const entries = await server.store.db.selectFrom('transfer_task_entries').selectAll().where('task_id', '=', row.task_id).orderBy('item').execute();
    assert.deepEqual(
      entries.map((e) => [e.kind, e.state, e.source_path, e.destination_path]),
      [
        ['delete', 'pending', '/docs/a.txt', null],
        ['delete', 'pending', '/~/rel/b', null],
      ],
    );
    const empty = await api(server, bobT, 'POST', '/v0.10/delete', deleteDoc(world.guestId, []));
    assert.equal(empty.status, 400);
    assert.equal(empty.body.code, 'ClientError.BadRequest.NoDeleteItems');
    const root = await api(server, bobT, 'POST', '/v0.10/delete', deleteDoc(world.guestId, ['/']));
    assert.equal(root.status, 403);
    const unknown = await api(server, bobT, 'POST', '/v0.10/delete', deleteDoc(randomUUID(), ['/x']));
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'EndpointNotFound');
    const consent = await api(server, aliceNone, 'POST', '/v0.10/delete', deleteDoc(world.mappedId, ['/alice/x']));
    assert.equal(consent.status, 403);
    assert.equal(consent.body.code, 'ConsentRequired');
    assert.equal(consent.body.message, 'Missing required data_access consent');
  });

  test('@globus/sdk: taskSubmission.submissionId, submitTransfer, submitDelete', async () => {
    const agent = new https.Agent({ ca: server.ca });
    const previous = process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER;
    process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER = `${server.url}/`;
    try {
      const auth = { headers: { Authorization: `Bearer ${aliceT}` } };
      const sdk = { fetch: { options: { agent } } } as any;
      const { value } = (await (await globusTransfer.taskSubmission.submissionId(auth, sdk)).json()) as any;
      const payload = { ...transferDoc(world.mappedId, world.guestId, [['/alice/sdk.txt', '/docs/sdk.txt']]), submission_id: value };
      const submitted = await globusTransfer.taskSubmission.submitTransfer({ payload: payload as any, ...auth }, sdk);
      assert.equal(submitted.status, 202);
      const body = (await submitted.json()) as any;
      assert.equal(body.submission_id, value);
      const again = await globusTransfer.taskSubmission.submitTransfer({ payload: payload as any, ...auth }, sdk);
      assert.equal(((await again.json()) as any).task_id, body.task_id);
      const del = await globusTransfer.taskSubmission.submitDelete({ payload: deleteDoc(world.mappedId, ['/alice/sdk-gone']) as any, ...auth }, sdk);
      assert.equal(del.status, 202);
    } finally {
      if (previous === undefined) delete process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER;
      else process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER = previous;
      agent.destroy();
    }
  });
});
