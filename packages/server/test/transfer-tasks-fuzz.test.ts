// Fuzz: transfer and delete documents of schema-shaped garbage, task updates and task-list queries answer 4xx in Transfer's envelope, never 500, and create no task.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { getJson, storeName, type TestServer } from './helpers/server.ts';
import { api, makeActor, startGcsWorld } from './helpers/gcs.ts';
import { tokenFor, transferDoc, deleteDoc } from './transfer-tasks-helpers.ts';

/** Values no field of these documents accepts: objects, and arrays of mixed items. */
const wrong = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { minKeys: 1, maxKeys: 3 }),
  fc.tuple(fc.object({ maxDepth: 1 }), fc.jsonValue({ maxDepth: 1 })).map(([a, b]) => [a, b]),
);
/** Anything at all, for the other fields. */
const anything = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(null), fc.string({ maxLength: 20 }), fc.integer());

const TRANSFER_FIELDS = [
  'DATA_TYPE',
  'submission_id',
  'source_endpoint',
  'destination_endpoint',
  'DATA',
  'label',
  'deadline',
  'sync_level',
  'verify_checksum',
  'preserve_timestamp',
  'encrypt_data',
  'skip_source_errors',
  'fail_on_quota_errors',
  'delete_destination_extra',
  'notify_on_succeeded',
  'source_local_user',
  'filter_rules',
  'store_base_path_info',
  'recursive_symlinks',
  'perf_cc',
  'perf_udt',
];
const ITEM_FIELDS = ['DATA_TYPE', 'source_path', 'destination_path', 'recursive', 'external_checksum', 'checksum_algorithm'];
const DELETE_FIELDS = ['DATA_TYPE', 'submission_id', 'endpoint', 'DATA', 'label', 'deadline', 'recursive', 'ignore_missing', 'interpret_globs', 'local_user'];

describe(`Transfer task fuzz (${storeName})`, () => {
  let server: TestServer;
  let token: string;
  let mappedId: string;

  before(async () => {
    const world = await startGcsWorld('fuzz admin');
    server = world.server;
    mappedId = world.mappedId;
    token = await tokenFor(server, await makeActor(server, 'fuzzer'), mappedId);
  });
  after(async () => {
    await server?.stop();
  });

  const count = async () => (await server.store.db.selectFrom('transfer_tasks').select('task_id').execute()).length;

  function assertEnvelope4xx(res: { status: number; body: any }, label: string) {
    assert.ok(res.status >= 400 && res.status < 500, `${label}: ${res.status} ${JSON.stringify(res.body)}`);
    assert.equal(typeof res.body.code, 'string', label);
    assert.equal(typeof res.body.message, 'string', label);
    assert.equal(typeof res.body.request_id, 'string', label);
    assert.equal(typeof res.body.resource, 'string', label);
  }

  test('one corrupted top-level or item field, others anything: 4xx and no task', async () => {
    const before = await count();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...TRANSFER_FIELDS),
        wrong,
        fc.dictionary(fc.constantFrom(...TRANSFER_FIELDS), anything, { maxKeys: 3 }),
        async (field, value, others) => {
          const body = { ...transferDoc(mappedId, mappedId, [['/a', '/b']]), ...others, [field]: value };
          assertEnvelope4xx(await api(server, token, 'POST', '/v0.10/transfer', body), `transfer ${field}=${JSON.stringify(value)}`);
        },
      ),
      { numRuns: 80 },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ITEM_FIELDS), wrong, fc.integer({ min: 0, max: 2 }), async (field, value, at) => {
        const doc = transferDoc(mappedId, mappedId, [
          ['/a', '/b'],
          ['/c', '/d'],
          ['/e', '/f'],
        ]);
        doc.DATA[at] = { ...doc.DATA[at], [field]: value } as never;
        assertEnvelope4xx(await api(server, token, 'POST', '/v0.10/transfer', doc), `item ${field}=${JSON.stringify(value)}`);
      }),
      { numRuns: 40 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...DELETE_FIELDS),
        wrong,
        fc.dictionary(fc.constantFrom(...DELETE_FIELDS), anything, { maxKeys: 3 }),
        async (field, value, others) => {
          const body = { ...deleteDoc(mappedId, ['/a']), ...others, [field]: value };
          assertEnvelope4xx(await api(server, token, 'POST', '/v0.10/delete', body), `delete ${field}=${JSON.stringify(value)}`);
        },
      ),
      { numRuns: 60 },
    );
    assert.equal(await count(), before);
  });

  test('arbitrary JSON bodies, broken JSON and other media types at POST /transfer, /delete and PUT /task', async () => {
    const before = await count();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/v0.10/transfer', '/v0.10/delete'), fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant(null)), async (route, body) => {
        assertEnvelope4xx(await api(server, token, 'POST', route, body), `${route} ${JSON.stringify(body)}`);
      }),
      { numRuns: 60 },
    );
    for (const [body, type] of [
      ['{"DATA_TYPE": "transfer",', 'application/json'],
      ['DATA_TYPE=transfer', 'application/x-www-form-urlencoded'],
      ['x', 'text/plain'],
    ]) {
      for (const route of ['/v0.10/transfer', '/v0.10/delete']) {
        const res = await getJson(server, route, token, { method: 'POST', body, headers: { 'content-type': type } });
        assertEnvelope4xx(res, `${route} ${type}`);
      }
    }
    // Garbage aimed at a task that does not exist, and at one id in many shapes.
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(null)), fc.oneof(fc.uuid(), fc.string({ maxLength: 40 })), async (body, id) => {
        const res = await api(server, token, 'PUT', `/v0.10/task/${encodeURIComponent(id)}`, body);
        assertEnvelope4xx(res, `PUT task ${id} ${JSON.stringify(body)}`);
      }),
      { numRuns: 40 },
    );
    assert.equal(await count(), before);
  });

  test('query strings of task_list, event_list and endpoint_manager/task_list: never a 500', async () => {
    const res = await api(server, token, 'POST', '/v0.10/transfer', transferDoc(mappedId, mappedId, [['/never', '/x']]));
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const taskId = res.body.task_id;
    const param = fc.constantFrom(
      'limit',
      'offset',
      'orderby',
      'filter',
      'fields',
      'marker',
      'last_key',
      'filter_status',
      'filter_task_id',
      'filter_endpoint',
      'filter_completion_time',
      'filter_is_paused',
      'filter_is_error',
      'filter_owner_id',
      'filter_min_faults',
    );
    const value = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(
        'status:ACTIVE',
        'request_time:2020-01-01 00:00:00,',
        'label:~*',
        'task_id:x',
        'is_error:1',
        '2020-02-30,',
        `${randomUUID()}`,
        '-1',
        '1e9',
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/v0.10/task_list', `/v0.10/task/${taskId}/event_list`, `/v0.10/task/${taskId}/skipped_errors`, '/v0.10/endpoint_manager/task_list'),
        fc.array(fc.tuple(param, value), { maxLength: 4 }),
        async (route, pairs) => {
          const query = pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
          const out = await api(server, token, 'GET', `${route}?${query}`);
          assert.ok(out.status < 500, `${route}?${query}: ${out.status} ${JSON.stringify(out.body)}`);
          if (out.status >= 400) assertEnvelope4xx(out, `${route}?${query}`);
        },
      ),
      { numRuns: 150 },
    );
  });
});
