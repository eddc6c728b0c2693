// The task routes' pure parts: time forms, the task_list filter grammar, orderby, the legacy username, and who may manage a task (authz/tasks.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTime, transferTime } from '../src/transfer/tasks/timestamps.ts';
import { globToLike, parseTaskFilter, parseTaskOrder, truthy } from '../src/transfer/tasks/query.ts';
import { legacyUsername } from '../src/transfer/tasks/documents.ts';
import { canceledBySide, decideTaskManager, managedCollections, mayOwnTask } from '../src/authz/tasks.ts';
import { effectiveRoles } from '../src/authz/effective-roles.ts';
import type { RoleAssignment } from '../src/authz/gcs.ts';

describe('task route parsing', () => {
  test('every deadline form of §0.4, as UTC; impossible dates refused', () => {
    const at = (s: string) => transferTime(parseTime(s) ?? null);
    assert.equal(at('2017-10-12'), '2017-10-12T00:00:00+00:00');
    assert.equal(at('2017-10-12 09:30Z'), '2017-10-12T09:30:00+00:00');
    assert.equal(at('2017-10-12 12:33:54+00:00'), '2017-10-12T12:33:54+00:00');
    assert.equal(at('2017-10-12 12:33:54'), '2017-10-12T12:33:54+00:00');
    assert.equal(at('2025-01-01 12:00:00.123456+00:00'), '2025-01-01T12:00:00+00:00');
    assert.equal(at('2025-01-01T12:00:00.999999'), '2025-01-01T12:00:00+00:00');
    assert.equal(at('2025-01-01T12:00:00-05:30'), '2025-01-01T17:30:00+00:00');
    assert.equal(at('2025-01-01T12:00:00'), '2025-01-01T12:00:00+00:00');
    for (const bad of ['2021-02-30', '2021-13-01', '2021-01-01 25:00', 'tomorrow', '', '2021-01-01T12:00:00+25:00'])
      assert.equal(parseTime(bad), undefined, bad);
  });

  test('filter: decoded first, clauses on "/", each on its first ":", values on ","', () => {
    const f = parseTaskFilter('status:ACTIVE,INACTIVE/type:TRANSFER,DELETE/request_time:2015-05-01 00:00:00,/label:~*nightly*,!~*test*');
    assert.deepEqual(f.statuses, ['ACTIVE', 'INACTIVE']);
    assert.deepEqual(f.types, ['TRANSFER', 'DELETE']);
    assert.deepEqual(f.requestTime, { start: Date.UTC(2015, 4, 1) });
    assert.deepEqual(f.labels, [
      { negative: false, glob: true, text: '*nightly*' },
      { negative: true, glob: true, text: '*test*' },
    ]);
    assert.deepEqual(parseTaskFilter('completion_time:,2020-01-01 10:00:00').completionTime, { end: Date.UTC(2020, 0, 1, 10) });
    assert.deepEqual(parseTaskFilter('label:=exact,!not,bare').labels, [
      { negative: false, glob: false, text: 'exact' },
      { negative: true, glob: false, text: 'not' },
      { negative: false, glob: false, text: 'bare' },
    ]);
    assert.deepEqual(parseTaskFilter(''), { labels: [] });
    for (const bad of ['owner:x', 'status:', 'status:DONE', 'type:COPY', 'nocolon', 'task_id:12', 'request_time:soon,']) {
      assert.throws(() => parseTaskFilter(bad), { code: 'ClientError.BadRequest' }, bad);
    }
    assert.equal(globToLike('a_b%c*?\\'), 'a\\_b\\%c%_\\\\');
  });

  test('orderby and booleans', () => {
    assert.deepEqual(parseTaskOrder(undefined), [{ column: 'requested_at', desc: true }]);
    assert.deepEqual(parseTaskOrder('request_time DESC,label'), [
      { column: 'requested_at', desc: true },
      { column: 'label', desc: false },
    ]);
    assert.throws(() => parseTaskOrder('size'), { code: 'ClientError.BadRequest' });
    assert.throws(() => parseTaskOrder('label; drop'), { code: 'ClientError.BadRequest' });
    for (const v of ['True', 'true', '1']) assert.equal(truthy(v, 'x'), true);
    for (const v of ['False', 'false', '0']) assert.equal(truthy(v, 'x'), false);
    assert.throws(() => truthy('yes', 'x'), { code: 'ClientError.BadRequest' });
  });

  test('the deprecated username: u_ + base32 of the identity id, Globus ID usernames as they are', () => {
    assert.equal(legacyUsername('ae332d86-d274-11e5-b885-b31714a110e9', 'someone@example.org'), 'u_vyzs3bwsoqi6loefwmlrjiiq5e');
    assert.equal(legacyUsername('ae332d86-d274-11e5-b885-b31714a110e9', 'sirosen@globusid.org'), 'sirosen');
  });
});

describe('who may see and manage a task (authz/tasks.ts)', () => {
  const mapped = { id: 'm', mapped_collection_id: null };
  const guest = { id: 'g', mapped_collection_id: 'm' };
  const other = { id: 'o', mapped_collection_id: null };
  const role = (r: string, collection_id: string | null): RoleAssignment => ({ id: `${r}-${collection_id}`, collection_id, principal: 'p', role: r });

  test('the owner by primary identity only', () => {
    assert.equal(mayOwnTask({ identityId: 'a' }, { owner_id: 'a' }), true);
    assert.equal(mayOwnTask({ identityId: 'b' }, { owner_id: 'a' }), false);
  });

  test("effective roles: endpoint roles cover every collection, a mapped collection's cover its guests, other roles give none", () => {
    const ALL = ['administrator', 'access_manager', 'activity_manager', 'activity_monitor'];
    assert.deepEqual(effectiveRoles([role('owner', null)], other), ALL);
    assert.deepEqual(effectiveRoles([role('administrator', null)], guest), ALL);
    assert.deepEqual(effectiveRoles([role('activity_monitor', null)], guest), ['activity_monitor']);
    assert.deepEqual(effectiveRoles([role('activity_manager', 'm')], guest), ['activity_manager', 'activity_monitor']);
    assert.deepEqual(effectiveRoles([role('activity_manager', 'g')], mapped), []);
    assert.deepEqual(effectiveRoles([role('access_manager', 'm')], mapped), ['access_manager']);
    assert.equal(decideTaskManager([role('access_manager', 'm')], { source: mapped, destination: null }, 'monitor').allowed, false);
    assert.deepEqual(effectiveRoles([role('activity_monitor', 'm'), role('administrator', 'm')], mapped), ALL);
    assert.deepEqual(effectiveRoles([], mapped), []);
  });

  test('monitor and manage on either side; the side(s) that authorise an admin cancel', () => {
    const task = { source: mapped, destination: other };
    assert.deepEqual(decideTaskManager([role('activity_monitor', 'm')], task, 'monitor'), { allowed: true, source: true, destination: false });
    assert.deepEqual(decideTaskManager([role('activity_monitor', 'm')], task, 'manage'), { allowed: false, source: false, destination: false });
    const onDestination = decideTaskManager([role('activity_manager', 'o')], task, 'manage');
    assert.equal(canceledBySide(onDestination), 'DESTINATION');
    assert.equal(canceledBySide(decideTaskManager([role('administrator', null)], task, 'manage')), 'BOTH');
    assert.equal(canceledBySide(decideTaskManager([role('activity_manager', 'm')], task, 'manage')), 'SOURCE');
    assert.equal(decideTaskManager([role('administrator', null)], { source: mapped, destination: null }, 'manage').destination, false);
    assert.deepEqual(managedCollections([role('activity_monitor', null)], [], 'monitor'), { all: true });
    assert.deepEqual(managedCollections([role('activity_monitor', 'm')], [mapped, guest, other], 'monitor'), { all: false, ids: ['m', 'g'] });
    assert.deepEqual(managedCollections([role('activity_monitor', 'm')], [mapped, guest], 'manage'), { all: false, ids: [] });
  });
});
