// The task engine's pure decisions: sync levels, filter rules, delete globs, counter transitions, the task's AuthContext, fault handling and back-off.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decideSync } from '../src/transfer/engine/sync-level.ts';
import { compileFilters, included } from '../src/transfer/engine/filters.ts';
import { deleteTarget } from '../src/transfer/engine/globs.ts';
import { counted, transitionDeltas } from '../src/transfer/engine/counters.ts';
import { backoffMs, fault, faultDetails, faultOf, skippable } from '../src/transfer/engine/faults.ts';
import { taskAuthContext } from '../src/authz/task-authority.ts';
import { ConnectorError } from '../src/data/posix/types.ts';

describe('sync_level (spec §15.5)', () => {
  const src = { size: 4, mtimeMs: 2_000_500 };
  test('a missing destination is always copied; null always copies', () => {
    for (const level of [null, undefined, 0, 1, 2, 3] as const) assert.equal(decideSync(level, src, null), 'copy');
    assert.equal(decideSync(null, src, { size: 4, mtimeMs: 2_000_000 }), 'copy');
  });
  test('0 exists, 1 size, 2 mtime (or size), 3 checksum', () => {
    const same = { size: 4, mtimeMs: 2_000_000 };
    const older = { size: 4, mtimeMs: 1_000_000 };
    const newer = { size: 4, mtimeMs: 9_000_000 };
    const longer = { size: 5, mtimeMs: 2_000_000 };
    assert.equal(decideSync(0, src, longer), 'skip');
    assert.equal(decideSync(1, src, same), 'skip');
    assert.equal(decideSync(1, src, longer), 'copy');
    assert.equal(decideSync(2, src, same), 'skip', 'same second');
    assert.equal(decideSync(2, src, newer), 'skip');
    assert.equal(decideSync(2, src, older), 'copy');
    assert.equal(decideSync(2, src, longer), 'copy');
    assert.equal(decideSync(3, src, same), 'compare_checksums');
    assert.equal(decideSync(3, src, longer), 'copy');
  });
});

describe('filter rules (spec §15.4)', () => {
  test('first match decides, types restrict a rule, no match includes', () => {
    const f = compileFilters([
      { method: 'include', name: 'keep*' },
      { method: 'exclude', name: '*.tmp', type: 'file' },
      { method: 'exclude', name: '[!a]*', type: 'dir' },
    ]);
    assert.equal(included(f, 'keep.tmp', 'file'), true);
    assert.equal(included(f, 'x.tmp', 'file'), false);
    assert.equal(included(f, 'x.tmp', 'dir'), false, 'the dir rule matches x.tmp as a directory');
    assert.equal(included(f, 'a.tmp', 'dir'), true);
    assert.equal(included(f, 'bdir', 'dir'), false);
    assert.equal(included(f, 'bfile', 'file'), true);
    assert.equal(included(compileFilters(null), 'anything', 'file'), true);
  });
});

describe('delete globs (spec §3.1)', () => {
  test('only the last component, backslash escapes', () => {
    assert.deepEqual(deleteTarget('/a/*.txt', false), { kind: 'literal', path: '/a/*.txt' });
    const g = deleteTarget('/a/x?.t[mx]p', true);
    assert.equal(g.kind, 'glob');
    if (g.kind === 'glob') {
      assert.equal(g.parent, '/a');
      assert.ok(g.pattern.test('x1.tmp'));
      assert.ok(!g.pattern.test('x12.tmp'));
    }
    assert.deepEqual(deleteTarget('/a/star\\*.tmp', true), { kind: 'literal', path: '/a/star*.tmp' });
    assert.deepEqual(deleteTarget('/a*/b', true), { kind: 'literal', path: '/a*/b' });
  });
});

describe('counters (spec §15.9)', () => {
  test('an item is a subtask once looked at; every move keeps the total equal to the sum', () => {
    assert.equal(counted('item', 'pending'), false);
    assert.equal(counted('item', 'retrying'), true);
    assert.deepEqual(transitionDeltas({ kind: 'item', state: 'pending' }, { kind: 'file', state: 'pending' }), { subtasks_total: 1, subtasks_pending: 1 });
    assert.deepEqual(transitionDeltas({ kind: 'item', state: 'pending' }, { kind: 'item', state: 'retrying' }), { subtasks_total: 1, subtasks_retrying: 1 });
    assert.deepEqual(transitionDeltas({ kind: 'file', state: 'retrying' }, { kind: 'file', state: 'active' }), { subtasks_retrying: -1, subtasks_pending: 1 });
    assert.deepEqual(transitionDeltas({ kind: 'file', state: 'active' }, { kind: 'file', state: 'skipped_error' }), {
      subtasks_pending: -1,
      subtasks_skipped_errors: 1,
    });
    assert.deepEqual(transitionDeltas({ kind: 'file', state: 'pending' }, { kind: 'file', state: 'active' }), { subtasks_pending: 0 });
  });
});

describe("the task's AuthContext", () => {
  test('the submitter as of now, no scopes', () => {
    const auth = taskAuthContext({ identityId: 'a', identitySet: ['a', 'b'], grantId: 'g', authenticatedAt: 5 }, 1000);
    assert.equal(auth.identityId, 'a');
    assert.deepEqual(auth.identitySet, ['a', 'b']);
    assert.equal(auth.authenticatedAt, 1000, 'decided as if the session were current');
    assert.equal(auth.issuedAt, 1000);
    assert.deepEqual(auth.scopes, []);
    assert.equal(auth.grantId, 'g');
  });
});

describe('faults (spec §15.8)', () => {
  test('connector errors as codes; only source permission and missing-file errors are skippable', () => {
    assert.equal(faultOf(new ConnectorError('ENOENT', 'x'), 'source', 'read').code, 'FILE_NOT_FOUND');
    assert.equal(faultOf(new ConnectorError('EACCES', 'x'), 'destination', 'write').code, 'PERMISSION_DENIED');
    assert.equal(faultOf(new ConnectorError('EDQUOT', 'x'), 'destination', 'write').code, 'QUOTA_EXCEEDED');
    assert.equal(faultOf(new ConnectorError('checksum_mismatch', 'x'), 'destination', 'write').code, 'VERIFY_CHECKSUM');
    assert.equal(faultOf(new Error('boom'), 'source', 'read').code, 'ENDPOINT_ERROR');
    assert.equal(skippable(fault('PERMISSION_DENIED', 'm', 'source', 'read')), true);
    assert.equal(skippable(fault('PERMISSION_DENIED', 'm', 'destination', 'write')), false);
    assert.equal(skippable(fault('QUOTA_EXCEEDED', 'm', 'source', 'read')), false);
  });
  test('details in the recorded layout', () => {
    const text = faultDetails(fault('PERMISSION_DENIED', 'No read permission', 'source', 'read'), { id: 'c1', name: 'Col' }, 'h:1', '/a');
    assert.equal(
      text,
      'Error (read)\nEndpoint: Col (c1)\nServer: h:1\nFile: /a\nCommand: READ /a\nMessage: permission denied\n---\nDetails: No read permission',
    );
  });
  test('back-off doubles up to a minute', () => {
    assert.deepEqual([1, 2, 3, 7, 50].map(backoffMs), [1000, 2000, 4000, 60_000, 60_000]);
  });
});
