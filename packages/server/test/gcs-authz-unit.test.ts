// Pure GCS authorization functions: path restriction precedence, fnmatch, expression mapping, group role principals, sharing.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pathAccess, normalizePath, joinUnderRoot } from '../src/authz/paths.ts';
import { compileMatch, mapIdentity, MappingError, applyExpressionMapping } from '../src/authz/mapping.ts';
import { rolesHeld, canAdministerCollection, sharingUserAllowed, applicableSharingPolicies, guestBasePathShareable, usableUsername, gatewayIdentityDenial } from '../src/authz/gcs.ts';

const POSIX = '145812c8-decc-41f1-83cf-bb2a85a2a70b';

describe('path restrictions', () => {
  test('precedence table of semantics.md §5.4', () => {
    assert.equal(pathAccess({ read: ['/a'], read_write: ['/a/b'] }, '/a/b/c'), 'read_write');
    assert.equal(pathAccess({ none: ['/a'], read_write: ['/a/b'] }, '/a/b'), 'read_write');
    assert.equal(pathAccess({ read_write: ['/a'], read: ['/a/b'] }, '/a/b/c'), 'read_write');
    assert.equal(pathAccess({ none: ['/a'], read: ['/a/b'] }, '/a/b'), 'read');
    assert.equal(pathAccess({ read_write: ['/a'], none: ['/a/b'] }, '/a/b/x'), 'none');
    assert.equal(pathAccess({ read: ['/a'], none: ['/a/b/'] }, '/a/b'), 'none');
  });
  test('uncovered paths get none; absent documents restrict nothing', () => {
    assert.equal(pathAccess({ read_write: ['/data'] }, '/etc'), 'none');
    assert.equal(pathAccess(null, '/etc'), 'read_write');
  });
  test('fnmatch * crosses slashes, $USER interpolates', () => {
    assert.equal(pathAccess({ read: ['/home/*'] }, '/home/a/b'), 'read');
    assert.equal(pathAccess({ read_write: ['/home/$USER'] }, '/home/alice/x', { user: 'alice' }), 'read_write');
    assert.equal(pathAccess({ read_write: ['/home/$USER'] }, '/home/bob/x', { user: 'alice' }), 'none');
  });
  test('normalisation rejects escapes', () => {
    assert.equal(normalizePath('/a//b/./c/..'), '/a/b');
    assert.equal(normalizePath('/..'), null);
    assert.equal(joinUnderRoot('/data', '/x/../y'), '/data/y');
    assert.equal(joinUnderRoot('/data', '../etc'), null);
  });
});

describe('identity mapping', () => {
  const alice = { id: 'i1', username: 'Alice@Example.org', status: 'used', email: 'Bob@Uni.edu' };
  test('reduced ERE: anchors, literal specials, invalid forms', () => {
    assert.ok(compileMatch('a+b').test('a+b'));
    assert.ok(!compileMatch('a.c').test('xabc'));
    assert.throws(() => compileMatch('*a'), MappingError);
    assert.throws(() => compileMatch('a*?'), MappingError);
    assert.throws(() => compileMatch('\\d'), MappingError);
  });
  test('0-based groups, ignore_case, missing fields skip the entry', () => {
    const doc = { mappings: [{ source: '{organization}', match: '(.*)', output: '{0}' }, { source: '{email}', match: '(.*)@(.*)\\.edu', output: '{1}_{0}', ignore_case: true }] };
    assert.equal(applyExpressionMapping(doc, alice), 'Uni_Bob');
  });
  test('default mapping strips the single allowed domain; several domains map nothing', () => {
    assert.equal(mapIdentity({ connector_id: POSIX, allowed_domains: ['example.org'] }, alice), 'Alice');
    assert.equal(mapIdentity({ connector_id: POSIX, allowed_domains: ['example.org', 'x.org'] }, alice), null);
    assert.equal(mapIdentity({ connector_id: POSIX, allowed_domains: ['other.org'] }, alice), null);
  });
  test('users_deny wins over users_allow; a foreign username is not usable', () => {
    const gw = { connector_id: POSIX, allowed_domains: ['example.org'], users_allow: ['Alice'], users_deny: ['Alice'] };
    assert.equal(usableUsername(gw, alice), null);
    assert.equal(usableUsername({ ...gw, users_deny: [] }, alice), 'Alice');
    assert.equal(usableUsername({ ...gw, users_deny: [] }, alice, 'root'), null);
  });
  test('authentication timeout and domain denials', () => {
    const gw = { connector_id: POSIX, allowed_domains: ['example.org'], authentication_timeout_mins: 1 };
    assert.equal(gatewayIdentityDenial({ gateway: gw, identity: alice, authenticatedAt: 1000, now: 1030 }), null);
    assert.equal(gatewayIdentityDenial({ gateway: gw, identity: alice, authenticatedAt: 1000, now: 2000 })?.kind, 'authentication_timeout');
    assert.equal(gatewayIdentityDenial({ gateway: { ...gw, allowed_domains: ['x.org'] }, identity: alice, authenticatedAt: 1000, now: 1000 })?.kind, 'not_from_allowed_domain');
  });
});

describe('roles and sharing', () => {
  test('a role granted to a group applies to its active members', () => {
    const group = '0b6f9e8a-0000-4000-8000-000000000001';
    const assignments = [{ id: 'r', collection_id: 'c', principal: `urn:globus:groups:id:${group}`, role: 'administrator' }];
    const held = rolesHeld(assignments, { identities: ['u'], groups: [group] });
    assert.equal(held.length, 1);
    assert.ok(canAdministerCollection(held, { id: 'c', collection_type: 'mapped', mapped_collection_id: null, storage_gateway_id: 'g', public: true }).allowed);
    assert.equal(rolesHeld(assignments, { identities: ['u'], groups: [] }).length, 0);
  });
  test('sharing users and policies intersect with the gateway', () => {
    assert.ok(!sharingUserAllowed({ sharing_users_allow: ['a'], sharing_users_deny: [] }, 'b'));
    assert.ok(sharingUserAllowed({ sharing_users_allow: [] }, 'b'));
    const policies = [{ users: ['alice'], sharing_restrict_paths: { read: ['/p'] } }, { users: null, sharing_restrict_paths: { read_write: ['/'] } }];
    assert.equal(applicableSharingPolicies(policies, 'bob').length, 1);
    const input = { gateway: { connector_id: POSIX, restrict_paths: { read_write: ['/data'] } }, mapped: {}, policies, username: 'alice' };
    assert.ok(guestBasePathShareable({ ...input, relative: '/p/x', absolute: '/data/p/x' }));
    assert.ok(!guestBasePathShareable({ ...input, relative: '/q', absolute: '/data/q' }));
    assert.ok(guestBasePathShareable({ ...input, username: 'bob', relative: '/q', absolute: '/data/q' }));
    assert.ok(!guestBasePathShareable({ ...input, username: 'bob', relative: '/q', absolute: '/etc/q' }));
  });
});
