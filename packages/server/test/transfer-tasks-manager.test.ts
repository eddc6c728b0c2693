// The endpoint-manager task routes over HTTP and @globus/sdk: who may call them by GCS role (endpoint, collection, a mapped collection's guests, groups), task_list paging and filter rules, documents, events, per-file records, admin cancel, pause and resume.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import { transfer as globusTransfer } from '@globus/sdk';
import { startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { api, createGroup, grantRole, makeActor, type Actor } from './helpers/gcs.ts';
import { isRoot } from './helpers/data.ts';
import { eventually } from './helpers/wait.ts';
import { TASK_FIELDS } from '../src/transfer/tasks/schemas.ts';
import { makeTaskWorld, tokenFor, transferDoc, waitForTask, type TaskWorld } from './transfer-tasks-helpers.ts';

const EM = '/v0.10/endpoint_manager';

describe(`Transfer endpoint-manager task routes (${storeName})`, { skip: isRoot ? false : 'needs root (useradd)' }, () => {
  let server: TestServer;
  let world: TaskWorld;
  let dave: Actor;
  const t: Record<string, string> = {};
  /** mapped → second, cannot finish */
  let toSecond: string;
  /** mapped → guest, cannot finish */
  let toGuest: string;
  /** mapped → second, succeeded */
  let done: string;

  before(async () => {
    server = await startTestServer();
    world = await makeTaskWorld(server);
    dave = await makeActor(server, 'dave');
    // carol watches the mapped collection (and so its guest); other manages the second collection; dave through a group.
    await grantRole(server, world.carol.id, 'activity_monitor', world.mappedId);
    await grantRole(server, world.other.id, 'activity_manager', world.secondId);
    const group = await createGroup(server, dave, 'watchers');
    await grantRole(server, dave.id, 'activity_monitor', world.secondId, `urn:globus:groups:id:${group}`);
    t.alice = await tokenFor(server, world.alice, world.mappedId, world.secondId);
    for (const [name, actor] of Object.entries({ admin: world.admin, carol: world.carol, other: world.other, bob: world.bob, dave }))
      t[name] = await tokenFor(server, actor);
    const submit = async (dst: string, item: [string, string]) => {
      const res = await api(server, t.alice, 'POST', '/v0.10/transfer', transferDoc(world.mappedId, dst, [item]));
      assert.equal(res.status, 202, JSON.stringify(res.body));
      return res.body.task_id as string;
    };
    toSecond = await submit(world.secondId, ['/alice/absent', '/absent']);
    toGuest = await submit(world.guestId, ['/alice/absent', '/docs/absent']);
    done = await submit(world.secondId, ['/alice/two.txt', '/em-two.txt']);
    assert.equal((await waitForTask(server, t.alice, done)).status, 'SUCCEEDED');
  });
  after(async () => {
    await server?.stop();
    world?.cleanup();
  });

  const get = (who: string, route: string) => api(server, t[who], 'GET', route);
  const ids = (body: any) => body.DATA.map((d: any) => d.task_id).sort();

  test('GET endpoint_manager/task/{id}: the document with owner and sides; 403 without a role — for the submitter too, and for unknown ids', async () => {
    const res = await get('carol', `${EM}/task/${toSecond}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    for (const k of Object.keys(TASK_FIELDS)) assert.ok(Object.hasOwn(res.body, k), k);
    assert.equal(res.body.owner_string, `${world.alice.id}@clients.auth.globus.org`);
    assert.equal(res.body.source_local_user_status, 'OK');
    assert.equal(res.body.destination_local_user_status, 'NO_PERMISSION');
    assert.equal(res.body.source_host_endpoint_id, null);
    // A role on the mapped collection covers its guest; the guest's host fields name the mapped collection.
    const guest = await get('carol', `${EM}/task/${toGuest}`);
    assert.equal(guest.status, 200);
    assert.equal(guest.body.destination_local_user_status, 'OK');
    assert.equal(guest.body.destination_host_endpoint_id, world.mappedId);
    assert.equal(guest.body.destination_mapped_collection_display_name, 'Data mapped');
    assert.equal(guest.body.destination_host_path, '/shared');
    // An endpoint administrator sees everything; a group's role counts for its members.
    assert.equal((await get('admin', `${EM}/task/${toGuest}`)).status, 200);
    assert.equal((await get('dave', `${EM}/task/${toSecond}`)).status, 200);
    for (const [who, id] of [
      ['alice', toSecond],
      ['bob', toSecond],
      ['dave', toGuest],
      ['carol', randomUUID()],
      ['carol', 'nonsense'],
    ]) {
      const denied = await get(who, `${EM}/task/${id}`);
      assert.equal(denied.status, 403, `${who} ${id}`);
      assert.equal(denied.body.code, 'PermissionDenied');
    }
    for (const [method, route] of [
      ['GET', `${EM}/task_list`],
      ['GET', `${EM}/task/${toSecond}`],
      ['GET', `${EM}/task/${toSecond}/event_list`],
      ['GET', `${EM}/task/${toSecond}/pause_info`],
      ['GET', `${EM}/task/${toSecond}/successful_transfers`],
      ['GET', `${EM}/task/${toSecond}/skipped_errors`],
      ['POST', `${EM}/admin_cancel`],
      ['GET', `${EM}/admin_cancel/1`],
      ['POST', `${EM}/admin_cancel/1`],
      ['POST', `${EM}/admin_pause`],
      ['POST', `${EM}/admin_resume`],
    ]) {
      const res = await api(server, 'not-a-token', method, route, method === 'POST' ? {} : undefined);
      assert.equal(res.status, 401, route);
      assert.equal(res.body.code, 'ClientError.AuthenticationFailed', route);
    }
  });

  test('GET endpoint_manager/task_list: what each role sees, last_key paging with has_next_page, the filter rules', async () => {
    const active = await get('admin', `${EM}/task_list?filter_status=ACTIVE,INACTIVE`);
    assert.equal(active.status, 200, JSON.stringify(active.body));
    assert.equal(active.body.DATA_TYPE, 'task_list');
    assert.equal(active.body.has_next_page, false);
    assert.deepEqual(ids(active.body), [toGuest, toSecond].sort());
    assert.deepEqual(ids((await get('carol', `${EM}/task_list?filter_status=ACTIVE`)).body), [toGuest, toSecond].sort());
    assert.deepEqual(ids((await get('other', `${EM}/task_list?filter_status=ACTIVE`)).body), [toSecond]);
    assert.deepEqual((await get('bob', `${EM}/task_list?filter_status=ACTIVE`)).body.DATA, []);
    // Completed tasks need an endpoint (or ids): then open ones come first, newest first.
    const bySecond = await get('other', `${EM}/task_list?filter_endpoint=${world.secondId}`);
    assert.deepEqual(
      bySecond.body.DATA.map((d: any) => d.task_id),
      [toSecond, done],
    );
    const pages: string[] = [];
    let lastKey: string | undefined;
    for (;;) {
      const page: any = (await get('admin', `${EM}/task_list?filter_endpoint=${world.mappedId}&limit=1${lastKey ? `&last_key=${lastKey}` : ''}`)).body;
      pages.push(...page.DATA.map((d: any) => d.task_id));
      if (!page.has_next_page) {
        assert.equal(page.last_key, null);
        break;
      }
      lastKey = page.last_key;
    }
    assert.deepEqual(pages.sort(), [done, toGuest, toSecond].sort());
    assert.deepEqual(
      ids((await get('admin', `${EM}/task_list?filter_endpoint=${world.secondId}&filter_endpoint_use=destination`)).body),
      [done, toSecond].sort(),
    );
    assert.deepEqual((await get('admin', `${EM}/task_list?filter_endpoint=${world.secondId}&filter_endpoint_use=source`)).body.DATA, []);
    assert.deepEqual(ids((await get('admin', `${EM}/task_list?filter_task_id=${done},${toGuest}`)).body), [done, toGuest].sort());
    assert.deepEqual(
      ids((await get('admin', `${EM}/task_list?filter_status=ACTIVE&filter_owner_id=${world.alice.id}&filter_is_paused=False`)).body),
      [toGuest, toSecond].sort(),
    );
    assert.deepEqual(ids((await get('admin', `${EM}/task_list?filter_endpoint=${world.mappedId}&filter_completion_time=2020-01-01,`)).body).length, 3);
    assert.deepEqual(ids((await get('admin', `${EM}/task_list?filter_endpoint=${world.mappedId}&filter_completion_time=2020-01-01,2099-01-01`)).body), [done]);
    await eventually(async () => (await get('admin', `${EM}/task/${toSecond}`)).body.faults >= 1, 'a fault');
    assert.ok(ids((await get('admin', `${EM}/task_list?filter_status=ACTIVE&filter_min_faults=1`)).body).includes(toSecond));
    assert.equal((await get('admin', `${EM}/task_list?filter_status=ACTIVE&filter_owner_id=${randomUUID()}`)).body.code, 'UserNotFound');
    for (const bad of [
      '',
      'filter_status=SUCCEEDED',
      `filter_task_id=${done}&filter_status=ACTIVE`,
      'filter_status=ACTIVE&filter_endpoint_use=source',
      `filter_endpoint=${world.mappedId}&filter_is_paused=true`,
      'filter_status=ACTIVE&filter_local_user=x',
      'filter_status=BUSY',
      `filter_endpoint=${world.mappedId}&last_key=garbage`,
      `filter_endpoint=${world.mappedId}&filter_completion_time=never,`,
    ]) {
      const res = await get('admin', `${EM}/task_list?${bad}`);
      assert.equal(res.status, 400, `${bad}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.code, 'ClientError.BadRequest');
    }
    const notMine = await get('other', `${EM}/task_list?filter_task_id=${toGuest}`);
    assert.equal(notMine.status, 403);
    assert.equal(notMine.body.code, 'PermissionDenied');
  });

  test('event_list with filter_is_error=1 (0 is not supported); pause_info, successful_transfers and skipped_errors show null paths on a side without a role', async () => {
    const errors = await get('carol', `${EM}/task/${toSecond}/event_list?filter_is_error=1`);
    assert.equal(errors.status, 200);
    assert.ok(errors.body.total >= 1);
    assert.ok(errors.body.DATA.every((e: any) => e.is_error));
    assert.equal((await get('carol', `${EM}/task/${toSecond}/event_list?filter_is_error=0`)).status, 400);
    assert.equal((await get('bob', `${EM}/task/${toSecond}/event_list`)).status, 403);
    assert.deepEqual((await get('carol', `${EM}/task/${toSecond}/pause_info`)).body.pause_rules, []);
    const carolSees = (await get('carol', `${EM}/task/${done}/successful_transfers`)).body;
    assert.deepEqual(
      carolSees.DATA.map((d: any) => [d.source_path, d.destination_path]),
      [['/alice/two.txt', null]],
    );
    const otherSees = (await get('other', `${EM}/task/${done}/successful_transfers`)).body;
    assert.deepEqual(
      otherSees.DATA.map((d: any) => [d.source_path, d.destination_path]),
      [[null, '/em-two.txt']],
    );
    assert.equal(otherSees.next_marker, null);
    assert.deepEqual((await get('admin', `${EM}/task/${done}/skipped_errors`)).body.DATA, []);
    assert.equal((await get('admin', `${EM}/task/${toSecond}/successful_transfers`)).status, 400);
  });

  test('admin_pause / admin_resume: is_paused at once, PAUSED/UNPAUSED events, pause_info messages; a monitor may not', async () => {
    const body = { DATA_TYPE: 'admin_pause', message: 'maintenance', task_id_list: [toSecond] };
    const refused = await api(server, t.carol, 'POST', `${EM}/admin_pause`, body);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, 'PermissionDenied');
    const paused = await api(server, t.other, 'POST', `${EM}/admin_pause`, body);
    assert.equal(paused.status, 200, JSON.stringify(paused.body));
    assert.equal(paused.body.DATA_TYPE, 'result');
    assert.equal(paused.body.code, 'PauseAccepted');
    const doc = (await api(server, t.alice, 'GET', `/v0.10/task/${toSecond}`)).body;
    assert.equal(doc.is_paused, true);
    assert.equal(doc.status, 'ACTIVE');
    const info = (await api(server, t.alice, 'GET', `/v0.10/task/${toSecond}/pause_info`)).body;
    assert.equal(info.source_pause_message, 'maintenance');
    assert.deepEqual(info.pause_rules, []);
    assert.ok(ids((await get('admin', `${EM}/task_list?filter_status=ACTIVE&filter_is_paused=1`)).body).includes(toSecond));
    const resumed = await api(server, t.other, 'POST', `${EM}/admin_resume`, { task_id_list: [toSecond] });
    assert.equal(resumed.body.code, 'ResumeAccepted');
    assert.equal((await api(server, t.alice, 'GET', `/v0.10/task/${toSecond}`)).body.is_paused, false);
    const events = (await api(server, t.alice, 'GET', `/v0.10/task/${toSecond}/event_list?limit=1000`)).body.DATA.map((e: any) => e.code);
    assert.ok(events.indexOf('UNPAUSED') < events.indexOf('PAUSED') && events.indexOf('UNPAUSED') >= 0);
    // A list with one task the caller may not manage refuses the whole request.
    const mixed = await api(server, t.other, 'POST', `${EM}/admin_pause`, { message: 'x', task_id_list: [toSecond, toGuest] });
    assert.equal(mixed.status, 403);
    assert.equal((await api(server, t.alice, 'GET', `/v0.10/task/${toSecond}`)).body.is_paused, false);
  });

  test('admin_cancel: the tasks FAILED with the side that authorised it; its status by GET (and POST, as @globus/sdk asks) for its maker only', async () => {
    const res = await api(server, t.other, 'POST', `${EM}/admin_cancel`, { message: 'stop it', task_id_list: [toSecond] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.DATA_TYPE, 'admin_cancel');
    assert.equal(typeof res.body.id, 'number');
    assert.equal(res.body.done, false);
    assert.deepEqual(res.body.task_id_list, [toSecond]);
    const doc = (await api(server, t.alice, 'GET', `/v0.10/task/${toSecond}`)).body;
    assert.equal(doc.status, 'FAILED');
    assert.equal(doc.fatal_error.code, 'CANCELED');
    assert.equal(doc.canceled_by_admin, 'DESTINATION');
    assert.equal(doc.canceled_by_admin_message, 'stop it');
    const status = await get('other', `${EM}/admin_cancel/${res.body.id}`);
    assert.equal(status.status, 200);
    assert.equal(status.body.done, true);
    const js = await api(server, t.other, 'POST', `${EM}/admin_cancel/${res.body.id}`);
    assert.equal(js.body.done, true);
    assert.equal((await get('admin', `${EM}/admin_cancel/${res.body.id}`)).status, 403);
    assert.equal((await get('other', `${EM}/admin_cancel/999999`)).status, 404);
    // A monitor cannot cancel; nor can the submitter through this route.
    for (const who of ['carol', 'alice']) {
      const denied = await api(server, t[who], 'POST', `${EM}/admin_cancel`, { message: 'x', task_id_list: [toGuest] });
      assert.equal(denied.status, 403, who);
    }
    assert.equal((await api(server, t.admin, 'POST', `${EM}/admin_cancel`, { message: 'x', task_id_list: [] })).status, 400);
  });

  test('@globus/sdk endpointManager.task: get, getEventList, pause, resume, cancel, getAdminCancel', async () => {
    const agent = new https.Agent({ ca: server.ca });
    const previous = process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER;
    process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER = `${server.url}/`;
    try {
      const auth = { headers: { Authorization: `Bearer ${t.admin}` } };
      const sdk = { fetch: { options: { agent } } } as any;
      const em = globusTransfer.endpointManager.task;
      const json = async (p: Promise<Response>) => {
        const r = await p;
        assert.ok(r.ok, `${r.status}`);
        return (await r.json()) as any;
      };
      assert.equal((await json(em.get(toGuest, auth, sdk))).task_id, toGuest);
      assert.ok((await json(em.getEventList(toGuest, { query: { filter_is_error: 1 }, ...auth } as any, sdk))).total >= 1);
      assert.equal((await json(em.pause({ payload: { message: 'js', task_id_list: [toGuest] } as any, ...auth }, sdk))).code, 'PauseAccepted');
      assert.equal((await json(em.resume({ payload: { task_id_list: [toGuest] } as any, ...auth }, sdk))).code, 'ResumeAccepted');
      const cancel = await json(em.cancel({ payload: { DATA_TYPE: 'admin_cancel', message: 'js', task_id_list: [toGuest] } as any, ...auth }, sdk));
      assert.equal((await json(em.getAdminCancel(cancel.id, auth, sdk))).done, true);
      assert.equal((await json(em.get(toGuest, auth, sdk))).canceled_by_admin, 'BOTH');
    } finally {
      if (previous === undefined) delete process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER;
      else process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER = previous;
      agent.destroy();
    }
  });
});
