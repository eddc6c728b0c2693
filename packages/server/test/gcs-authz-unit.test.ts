// Pure GCS authorization functions: path restriction precedence, fnmatch, expression mapping, group role principals, sharing.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pathAccess, normalizePath, joinUnderRoot } from '../src/authz/paths.ts';
import { compileMatch, mapIdentity, MappingError, applyExpressionMapping } from '../src/authz/mapping.ts';
import {
  rolesHeld,
  canAdministerCollection,
  sharingUserAllowed,
  applicableSharingPolicies,
  guestBasePathShareable,
  usableUsername,
  gatewayIdentityDenial,
  gatewayAccounts,
  subscriptionChange,
  canVerifyForSubscription,
  collectionProblem,
  guestLimitExceeded,
  GUEST_LIMITS,
  canCheckCollections,
} from '../src/authz/gcs.ts';

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
    const doc = {
      mappings: [
        { source: '{organization}', match: '(.*)', output: '{0}' },
        { source: '{email}', match: '(.*)@(.*)\\.edu', output: '{1}_{0}', ignore_case: true },
      ],
    };
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
    assert.equal(
      gatewayIdentityDenial({ gateway: { ...gw, allowed_domains: ['x.org'] }, identity: alice, authenticatedAt: 1000, now: 1000 })?.kind,
      'not_from_allowed_domain',
    );
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
    const policies = [
      { users: ['alice'], sharing_restrict_paths: { read: ['/p'] } },
      { users: null, sharing_restrict_paths: { read_write: ['/'] } },
    ];
    assert.equal(applicableSharingPolicies(policies, 'bob').length, 1);
    const input = { gateway: { connector_id: POSIX, restrict_paths: { read_write: ['/data'] } }, mapped: {}, policies, username: 'alice' };
    assert.ok(guestBasePathShareable({ ...input, relative: '/p/x', absolute: '/data/p/x' }));
    assert.ok(!guestBasePathShareable({ ...input, relative: '/q', absolute: '/data/q' }));
    assert.ok(guestBasePathShareable({ ...input, username: 'bob', relative: '/q', absolute: '/data/q' }));
    assert.ok(!guestBasePathShareable({ ...input, username: 'bob', relative: '/q', absolute: '/etc/q' }));
  });
});

describe('POSIX groups are an input', () => {
  const gw = { connector_id: POSIX, allowed_domains: ['example.org'], policies: { groups_allow: ['staff'], groups_deny: ['banned'] } };
  const alice = { id: 'i1', username: 'alice@example.org', status: 'used' };
  test('allow needs a listed group, deny wins, unknown accounts fail any filter', () => {
    assert.deepEqual(gatewayAccounts(gw, [alice], new Map([['alice', ['staff']]])), [{ identity_id: 'i1', username: 'alice' }]);
    assert.deepEqual(gatewayAccounts(gw, [alice], new Map([['alice', ['staff', 'banned']]])), []);
    assert.deepEqual(gatewayAccounts(gw, [alice], new Map([['alice', ['users']]])), []);
    assert.deepEqual(gatewayAccounts(gw, [alice]), []);
    assert.deepEqual(gatewayAccounts({ ...gw, policies: { groups_deny: ['banned'] } }, [alice], new Map([['alice', []]])), [
      { identity_id: 'i1', username: 'alice' },
    ]);
    assert.equal(usableUsername(gw, alice, 'alice', ['staff']), 'alice');
    assert.ok(sharingUserAllowed({ policies: { sharing_groups_deny: ['banned'] } }, 'alice', ['staff']));
    assert.ok(!sharingUserAllowed({ policies: { sharing_groups_allow: ['sharers'] } }, 'alice', ['staff']));
  });
});

describe('subscriptions', () => {
  const admin = [{ id: 'r', collection_id: null, principal: 'p', role: 'administrator' }];
  test('the three cases of PUT endpoint/subscription_id, and DEFAULT', () => {
    assert.deepEqual(subscriptionChange({ held: admin, managed: [], current: 's1', requested: null }), { allowed: true, subscriptionId: null });
    assert.equal(subscriptionChange({ held: admin, managed: [], current: null, requested: 's1' }).allowed, false);
    assert.deepEqual(subscriptionChange({ held: [], managed: ['s1'], current: null, requested: 's1' }), { allowed: true, subscriptionId: 's1' });
    assert.equal(subscriptionChange({ held: [], managed: ['s2'], current: 's1', requested: 's2' }).allowed, false);
    assert.deepEqual(subscriptionChange({ held: [], managed: ['s1'], current: 's1', requested: null }), { allowed: true, subscriptionId: null });
    assert.deepEqual(subscriptionChange({ held: admin, managed: ['s2'], current: 's1', requested: 's2' }), { allowed: true, subscriptionId: 's2' });
    assert.deepEqual(subscriptionChange({ held: [], managed: ['s1'], current: null, requested: 'DEFAULT' }), { allowed: true, subscriptionId: 's1' });
    assert.equal(subscriptionChange({ held: admin, managed: ['s1', 's2'], current: null, requested: 'DEFAULT' }).allowed, false);
  });
  test('subscription_admin_verified needs a managed endpoint and its manager', () => {
    assert.equal(canVerifyForSubscription({ endpointSubscription: null, managed: ['s1'] }), 'unsubscribed');
    assert.equal(canVerifyForSubscription({ endpointSubscription: 's1', managed: ['s2'] }), 'not_manager');
    assert.equal(canVerifyForSubscription({ endpointSubscription: 's1', managed: ['s1'] }), 'allowed');
  });
});

describe('collection health and limits', () => {
  const guest = {
    id: 'g',
    collection_type: 'guest',
    mapped_collection_id: 'm',
    storage_gateway_id: 'sg',
    public: true,
    identity_id: 'i1',
    user_credential_id: 'c',
  };
  const gateway = { connector_id: POSIX, allowed_domains: ['example.org'] };
  const owner = { id: 'i1', username: 'alice@example.org', status: 'used' };
  const credential = { id: 'c', identity_id: 'i1', storage_gateway_id: 'sg', username: 'alice', invalid: false };
  const mapped = { allow_guest_collections: true };
  test('the first broken condition, in order', () => {
    assert.equal(collectionProblem({ collection: guest, gateway, mapped, credential, owner }), null);
    assert.equal(collectionProblem({ collection: guest, gateway: undefined })?.kind, 'storage_gateway_not_found');
    assert.equal(collectionProblem({ collection: guest, gateway })?.kind, 'collection_not_found');
    assert.equal(
      collectionProblem({ collection: guest, gateway, mapped: { allow_guest_collections: false }, credential, owner })?.kind,
      'guest_collections_disabled',
    );
    assert.equal(collectionProblem({ collection: guest, gateway, mapped, owner })?.kind, 'credential_not_found');
    assert.equal(collectionProblem({ collection: guest, gateway, mapped, credential: { ...credential, invalid: true }, owner })?.kind, 'invalid_credential');
    assert.equal(
      collectionProblem({ collection: guest, gateway, mapped, credential: { ...credential, identity_id: 'other' }, owner })?.kind,
      'invalid_credential',
    );
    assert.equal(
      collectionProblem({ collection: guest, gateway: { ...gateway, allowed_domains: ['x.org'] }, mapped, credential, owner })?.kind,
      'not_from_allowed_domain',
    );
    assert.equal(collectionProblem({ collection: guest, gateway, mapped, credential: { ...credential, username: 'root' }, owner })?.kind, 'invalid_user');
    assert.equal(
      collectionProblem({ collection: guest, gateway, mapped: { ...mapped, sharing_users_deny: ['alice'] }, credential, owner })?.kind,
      'sharing_not_allowed',
    );
    assert.equal(collectionProblem({ collection: { ...guest, collection_type: 'mapped', mapped_collection_id: null }, gateway }), null);
  });
  test('check 14: one more guest may not pass either limit', () => {
    assert.ok(!guestLimitExceeded({ ownedByIdentity: GUEST_LIMITS.perOwner - 1, onMappedCollection: 0 }));
    assert.ok(guestLimitExceeded({ ownedByIdentity: GUEST_LIMITS.perOwner, onMappedCollection: 0 }));
    assert.ok(guestLimitExceeded({ ownedByIdentity: 0, onMappedCollection: GUEST_LIMITS.perMappedCollection }));
    assert.ok(guestLimitExceeded({ ownedByIdentity: 2, onMappedCollection: 0 }, { perOwner: 2, perMappedCollection: 10 }));
  });
  test('collection check needs an administrator role somewhere', () => {
    assert.ok(canCheckCollections([{ id: 'r', collection_id: 'c', principal: 'p', role: 'administrator' }]).allowed);
    assert.ok(!canCheckCollections([{ id: 'r', collection_id: 'c', principal: 'p', role: 'access_manager' }]).allowed);
    assert.ok(!canCheckCollections([{ id: 'r', collection_id: null, principal: 'p', role: 'activity_monitor' }]).allowed);
  });
});
