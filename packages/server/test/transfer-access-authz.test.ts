// The pure access-rule functions: path normalisation, coverage, principal matching and effective access, with fast-check properties.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  accessFor,
  anonymousWriteRefusal,
  canManageAccessRules,
  canViewAccessRules,
  holdsAnyRule,
  implicitRules,
  imposedExpiration,
  normalizeRulePath,
  normalizeTargetPath,
  permits,
  principalOfUrn,
  ruleApplies,
  ruleCovers,
  type RuleAccess,
  type AccessRule,
} from '../src/authz/access-rules.ts';
import { isoTime, parseExpiration } from '../src/transfer/access-documents.ts';
import type { RoleAssignment } from '../src/authz/gcs.ts';

const NOW = 1_800_000_000;
const ALICE = '11111111-1111-4111-8111-111111111111';
const BOB = '22222222-2222-4222-8222-222222222222';
const GROUP = '33333333-3333-4333-8333-333333333333';
const GUEST = '44444444-4444-4444-8444-444444444444';
const OTHER = '55555555-5555-4555-8555-555555555555';
const RANK: Record<RuleAccess, number> = { none: 0, r: 1, rw: 2 };

const rule = (p: Partial<AccessRule> & Pick<AccessRule, 'path'>): AccessRule => ({
  id: 'x',
  principal_type: 'anonymous',
  principal: '',
  permissions: 'r',
  expires_at: null,
  ...p,
});

// Small alphabets make collisions between rule paths and request paths (and the edge segments) likely.
const segment = fc.constantFrom('a', 'b', 'ab', 'a.b', 'c d', '.', '..', '', '...');
const rawPath = fc
  .tuple(fc.array(segment, { maxLength: 5 }), fc.boolean(), fc.boolean())
  .map(([segs, slash, absolute]) => `${absolute ? '/' : ''}${segs.join('/')}${slash ? '/' : ''}`);
const cleanSegment = fc.constantFrom('a', 'b', 'ab', 'a.b', 'c d', '...');
const cleanPath = fc
  .tuple(fc.array(cleanSegment, { maxLength: 4 }), fc.boolean())
  .map(([segs, slash]) => `/${segs.join('/')}${slash && segs.length ? '/' : ''}`);
const dirPath = fc.array(cleanSegment, { maxLength: 3 }).map((segs) => (segs.length ? `/${segs.join('/')}/` : '/'));
const principals = fc.record({ identities: fc.subarray([ALICE, BOB]), groups: fc.subarray([GROUP]) });
const anyRule = fc
  .record({
    principal_type: fc.constantFrom('identity', 'group', 'all_authenticated_users', 'anonymous') as fc.Arbitrary<AccessRule['principal_type']>,
    who: fc.constantFrom(ALICE, BOB, GROUP),
    path: cleanPath,
    permissions: fc.constantFrom('r', 'rw') as fc.Arbitrary<AccessRule['permissions']>,
    expires_at: fc.option(fc.integer({ min: NOW - 100, max: NOW + 100 }), { nil: null }),
  })
  .map(({ who, ...r }): AccessRule => ({ id: 'x', ...r, principal: r.principal_type === 'identity' || r.principal_type === 'group' ? who : '' }));
const rules = fc.array(anyRule, { maxLength: 8 });

describe('access rules: paths', () => {
  test('examples', () => {
    assert.equal(normalizeRulePath('/'), '/');
    assert.equal(normalizeRulePath('//a//b/./c/'), '/a/b/c/');
    assert.equal(normalizeRulePath('/a/.'), '/a/');
    assert.equal(normalizeRulePath('/a/b'), '/a/b');
    for (const bad of ['', 'a', 'a/', '/a/../b', '/..', '/a\u0000', '/a\tb', '~/x']) assert.equal(normalizeRulePath(bad), null, JSON.stringify(bad));
    assert.equal(normalizeTargetPath('/a/b/'), '/a/b');
    assert.equal(normalizeTargetPath('//'), '/');
    assert.equal(ruleCovers('/a/', '/a'), true);
    assert.equal(ruleCovers('/a/', '/a/b/c'), true);
    assert.equal(ruleCovers('/a/', '/ab'), false);
    assert.equal(ruleCovers('/a', '/a'), true);
    assert.equal(ruleCovers('/a', '/a/b'), false);
    assert.equal(ruleCovers('/', '/anything'), true);
    assert.equal(ruleCovers('/a/', '/a/../b'), false);
  });

  test('normalisation is idempotent, absolute, free of empty, `.` and `..` segments, and keeps the directory slash', () => {
    fc.assert(
      fc.property(rawPath, (p) => {
        const n = normalizeRulePath(p);
        if (n === null) {
          assert.ok(!p.startsWith('/') || p.split('/').includes('..'));
          return;
        }
        assert.equal(normalizeRulePath(n), n);
        assert.ok(n.startsWith('/'));
        assert.ok(!n.includes('//'));
        assert.ok(!n.split('/').some((s) => s === '.' || s === '..'));
        if (n !== '/') assert.equal(n.endsWith('/'), p.endsWith('/') || p.endsWith('/.'));
      }),
    );
  });

  test('a rule on a directory never grants access outside it', () => {
    fc.assert(
      fc.property(dirPath, rawPath, fc.constantFrom('r', 'rw') as fc.Arbitrary<'r' | 'rw'>, (dir, target, permissions) => {
        const level = accessFor([rule({ path: dir, permissions })], { identities: [], groups: [] }, target, false, NOW);
        const t = normalizeTargetPath(target);
        if (level !== 'none') {
          assert.notEqual(t, null);
          assert.ok(dir === '/' || t === dir.slice(0, -1) || t!.startsWith(dir), `${dir} granted ${target}`);
        } else if (t !== null) {
          assert.ok(!(dir === '/' || t === dir.slice(0, -1) || t.startsWith(dir)), `${dir} should grant ${target}`);
        }
      }),
    );
  });

  test('a rule on a file grants that file and nothing else', () => {
    fc.assert(
      fc.property(
        cleanPath.filter((p) => p !== '/' && !p.endsWith('/')),
        rawPath,
        (file, target) => {
          const level = accessFor([rule({ path: file })], { identities: [], groups: [] }, target, false, NOW);
          assert.equal(level !== 'none', normalizeTargetPath(target) === file);
        },
      ),
    );
  });
});

describe('access rules: principals and effective access', () => {
  test('who a rule applies to', () => {
    const alice = { identities: [ALICE], groups: [] };
    const member = { identities: [BOB], groups: [GROUP] };
    const nobody = { identities: [], groups: [] };
    assert.equal(ruleApplies(rule({ path: '/', principal_type: 'identity', principal: ALICE }), alice, true, NOW), true);
    assert.equal(ruleApplies(rule({ path: '/', principal_type: 'identity', principal: ALICE.toUpperCase() }), alice, true, NOW), true);
    assert.equal(ruleApplies(rule({ path: '/', principal_type: 'identity', principal: ALICE }), member, true, NOW), false);
    assert.equal(ruleApplies(rule({ path: '/', principal_type: 'group', principal: GROUP }), member, true, NOW), true);
    assert.equal(ruleApplies(rule({ path: '/', principal_type: 'group', principal: GROUP }), alice, true, NOW), false);
    assert.equal(ruleApplies(rule({ path: '/', principal_type: 'all_authenticated_users' }), alice, true, NOW), true);
    assert.equal(ruleApplies(rule({ path: '/', principal_type: 'all_authenticated_users' }), nobody, false, NOW), false);
    assert.equal(ruleApplies(rule({ path: '/', principal_type: 'anonymous' }), nobody, false, NOW), true);
    assert.equal(ruleApplies(rule({ path: '/', principal_type: 'anonymous', expires_at: NOW }), nobody, false, NOW), false);
    assert.equal(ruleApplies(rule({ path: '/', principal_type: 'anonymous', expires_at: NOW + 1 }), nobody, false, NOW), true);
    assert.equal(holdsAnyRule([rule({ path: '/x/', principal_type: 'group', principal: GROUP })], member, true, NOW), true);
    assert.equal(holdsAnyRule([rule({ path: '/x/', principal_type: 'group', principal: GROUP })], alice, true, NOW), false);
  });

  test('permissions are additive: a deeper r does not narrow an enclosing rw', () => {
    const rs = [rule({ path: '/a/', permissions: 'rw' }), rule({ path: '/a/b/', permissions: 'r' })];
    const nobody = { identities: [], groups: [] };
    assert.equal(accessFor(rs, nobody, '/a/b/c', false, NOW), 'rw');
    assert.equal(accessFor([rule({ path: '/a/', permissions: 'r' }), rule({ path: '/a/b/', permissions: 'rw' })], nobody, '/a/b/c', false, NOW), 'rw');
    assert.equal(accessFor([rule({ path: '/a/', permissions: 'r' }), rule({ path: '/a/b/', permissions: 'rw' })], nobody, '/a/c', false, NOW), 'r');
    assert.equal(permits('rw', 'r'), true);
    assert.equal(permits('r', 'rw'), false);
    assert.equal(permits('none', 'r'), false);
  });

  test('effective access is the maximum over single rules, whatever their order', () => {
    fc.assert(
      fc.property(rules, principals, fc.boolean(), rawPath, fc.integer(), (rs, p, authd, target, seed) => {
        const level = accessFor(rs, p, target, authd, NOW);
        const best = rs.reduce<RuleAccess>((acc, r) => {
          const one = accessFor([r], p, target, authd, NOW);
          return RANK[one] > RANK[acc] ? one : acc;
        }, 'none');
        assert.equal(level, best);
        const shuffled = [...rs].sort((a, b) => ((a.path.length * 31 + seed) % 7) - ((b.path.length * 31 + seed) % 7));
        assert.equal(accessFor(shuffled, p, target, authd, NOW), level);
      }),
    );
  });

  test('adding a rule never takes access away', () => {
    fc.assert(
      fc.property(rules, anyRule, principals, fc.boolean(), rawPath, (rs, extra, p, authd, target) => {
        assert.ok(RANK[accessFor([...rs, extra], p, target, authd, NOW)] >= RANK[accessFor(rs, p, target, authd, NOW)]);
      }),
    );
  });

  test('without a token only anonymous rules count; expired rules count for nobody', () => {
    fc.assert(
      fc.property(rules, rawPath, principals, (rs, target, p) => {
        const nobody = { identities: [], groups: [] };
        assert.equal(
          accessFor(rs, nobody, target, false, NOW),
          accessFor(
            rs.filter((r) => r.principal_type === 'anonymous'),
            nobody,
            target,
            false,
            NOW,
          ),
        );
        const expired = rs.map((r) => ({ ...r, expires_at: NOW - 1 }));
        assert.equal(accessFor(expired, p, target, true, NOW), 'none');
      }),
    );
  });

  test('an identity or group rule is only ever used by its own principal', () => {
    fc.assert(
      fc.property(rules, principals, rawPath, (rs, p, target) => {
        const mine = rs.filter((r) =>
          r.principal_type === 'identity' ? p.identities.includes(r.principal) : r.principal_type === 'group' ? p.groups.includes(r.principal) : true,
        );
        assert.equal(accessFor(rs, p, target, true, NOW), accessFor(mine, p, target, true, NOW));
      }),
    );
  });
});

describe('access rules: roles', () => {
  const guest = { id: GUEST, collection_type: 'guest', mapped_collection_id: OTHER, storage_gateway_id: OTHER, public: false };
  const role = (r: string, collection: string | null, principal = `urn:globus:auth:identity:${ALICE}`): RoleAssignment => ({
    id: `${r}-${collection}`,
    collection_id: collection,
    principal,
    role: r,
  });

  test('who may manage and who may view', () => {
    const cases: Array<[RoleAssignment[], boolean, boolean]> = [
      [[role('administrator', GUEST)], true, true],
      [[role('access_manager', GUEST)], true, true],
      [[role('administrator', null)], true, true],
      [[role('owner', null)], false, true],
      [[role('activity_manager', null)], false, true],
      [[role('activity_monitor', GUEST)], false, true],
      [[role('access_monitor', GUEST)], false, true],
      [[role('administrator', OTHER)], false, false],
      [[role('access_manager', OTHER)], false, false],
      [[], false, false],
    ];
    for (const [held, manage, view] of cases) {
      assert.equal(canManageAccessRules(held, guest).allowed, manage, JSON.stringify(held));
      assert.equal(canViewAccessRules(held, guest).allowed, view, JSON.stringify(held));
    }
  });

  test('implicit entries: administrators and access managers of that collection, identity and group principals', () => {
    const roles = [
      role('administrator', GUEST),
      role('access_manager', GUEST, `urn:globus:groups:id:${GROUP}`),
      role('access_manager', GUEST, `urn:globus:auth:group:${GROUP.toUpperCase()}`),
      role('activity_monitor', GUEST),
      role('administrator', OTHER),
      role('administrator', null),
    ];
    const implicit = implicitRules(roles, GUEST);
    assert.deepEqual(
      implicit.map((r) => [r.principal_type, r.principal, r.path, r.permissions, r.role_type, r.id]),
      [
        ['identity', ALICE, '/', 'rw', 'administrator', null],
        ['group', GROUP, '/', 'rw', 'access_manager', null],
        ['group', GROUP, '/', 'rw', 'access_manager', null],
      ],
    );
    assert.equal(accessFor(implicit, { identities: [BOB], groups: [GROUP] }, '/deep/file', true, NOW), 'rw');
    assert.equal(accessFor(implicit, { identities: [BOB], groups: [] }, '/deep/file', true, NOW), 'none');
    assert.equal(principalOfUrn('urn:globus:auth:identity:not-a-uuid'), null);
  });

  test('anonymous writes and HA expiration', () => {
    assert.equal(anonymousWriteRefusal({ principal_type: 'anonymous', permissions: 'rw' }, { disable_anonymous_writes: true }) !== null, true);
    assert.equal(anonymousWriteRefusal({ principal_type: 'anonymous', permissions: 'rw' }, { high_assurance: true }) !== null, true);
    assert.equal(anonymousWriteRefusal({ principal_type: 'anonymous', permissions: 'r' }, { disable_anonymous_writes: true }), null);
    assert.equal(anonymousWriteRefusal({ principal_type: 'all_authenticated_users', permissions: 'rw' }, { disable_anonymous_writes: true }), null);
    assert.equal(anonymousWriteRefusal({ principal_type: 'anonymous', permissions: 'rw' }, {}), null);
    assert.equal(imposedExpiration({ high_assurance: false, mappedMins: 10, guestMins: 5, from: NOW }), null);
    assert.equal(imposedExpiration({ high_assurance: true, mappedMins: 10, guestMins: 5, from: NOW }), NOW + 300);
    assert.equal(imposedExpiration({ high_assurance: true, mappedMins: 10, guestMins: null, from: NOW }), NOW + 600);
    assert.equal(imposedExpiration({ high_assurance: true, from: NOW }), null);
  });

  test('expiration dates parse strictly and print in the Transfer layout', () => {
    assert.equal(isoTime(parseExpiration('2025-01-01T00:00:00+00:00')), '2025-01-01T00:00:00+00:00');
    assert.equal(isoTime(parseExpiration('2025-01-01')), '2025-01-01T00:00:00+00:00');
    assert.equal(isoTime(parseExpiration('2025-01-01T10:00:00')), '2025-01-01T10:00:00+00:00');
    assert.equal(isoTime(parseExpiration('2025-01-01T10:00:00.123Z')), '2025-01-01T10:00:00+00:00');
    assert.equal(isoTime(parseExpiration('2025-01-01T10:00+0130')), '2025-01-01T08:30:00+00:00');
    for (const bad of ['2025-02-29', '2025-1-1', '01/01/2025', '2025-01-01T24:00:00Z', 'soon', ''])
      assert.throws(() => parseExpiration(bad), /Invalid expiration_date/, bad);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253_402_300_799 }), (s) => {
        assert.equal(parseExpiration(isoTime(s)!), s);
      }),
    );
  });
});
