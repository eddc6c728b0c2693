// Scope rendering/parsing: exact grammar, round-trip property, builders, resource servers, parse errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  Scope,
  parseScopes,
  ScopeParseError,
  AuthScopes,
  GroupsScopes,
  TransferScopes,
  GCSEndpointScopes,
  GCSCollectionScopes,
  scopesToString,
  scopeResourceServer,
} from '../src/index.ts';

const EP = '5c2b6b2e-0000-4000-8000-000000000001';
const COLL = '9f1e7a3c-0000-4000-8000-000000000002';

interface Tree {
  s: string;
  optional: boolean;
  deps: Tree[];
}

const scopeString = fc.oneof(
  fc.constantFrom('openid', 'profile', 'email'),
  fc.uuid().map((u) => `urn:globus:auth:scope:${u}:manage_collections`),
  fc.uuid().map((u) => `https://auth.globus.org/scopes/${u}/data_access`),
  fc.stringMatching(/^[A-Za-z0-9:/._~-]{1,20}$/),
);

// Depth-bounded so shrinking and generation stay shallow; depth 3 already nests brackets twice.
const treeAt = (depth: number): fc.Arbitrary<Tree> =>
  fc.record(
    {
      s: scopeString,
      optional: fc.boolean(),
      deps: depth === 0 ? fc.constant<Tree[]>([]) : fc.array(treeAt(depth - 1), { maxLength: 3 }),
    },
    { noNullPrototype: true },
  );
const tree = treeAt(3);

const toScope = (t: Tree): Scope => new Scope(t.s, { optional: t.optional, dependencies: t.deps.map(toScope) });
const render = (t: Tree): string => (t.optional ? '*' : '') + t.s + (t.deps.length ? `[${t.deps.map(render).join(' ')}]` : '');
const fromScope = (s: Scope): Tree => ({ s: s.scopeString, optional: s.optional, deps: s.dependencies.map(fromScope) });

test('renders the spec examples exactly', () => {
  const ep = GCSEndpointScopes(EP);
  const coll = GCSCollectionScopes(COLL);
  assert.equal(
    ep.manage_collections.withDependency(coll.data_access).toString(),
    `urn:globus:auth:scope:${EP}:manage_collections[https://auth.globus.org/scopes/${COLL}/data_access]`,
  );
  assert.equal(
    ep.manage_collections.withDependency(coll.data_access.withOptional()).toString(),
    `urn:globus:auth:scope:${EP}:manage_collections[*https://auth.globus.org/scopes/${COLL}/data_access]`,
  );
  assert.equal(coll.https.toString(), `https://auth.globus.org/scopes/${COLL}/https`);
});

test('render matches the grammar and parse inverts it (property)', () => {
  fc.assert(
    fc.property(fc.array(tree, { minLength: 1, maxLength: 4 }), (trees) => {
      const text = trees.map(render).join(' ');
      assert.equal(scopesToString(trees.map(toScope)), text);
      const parsed = parseScopes(text);
      assert.deepEqual(parsed.map(fromScope), trees);
      assert.equal(scopesToString(parsed), text);
    }),
    { numRuns: 300 },
  );
});

test('parse tolerates extra whitespace and normalises it on render', () => {
  fc.assert(
    fc.property(tree, fc.constantFrom(' ', '  ', '\t', '\n '), (t, ws) => {
      const spaced = render(t)
        .replace(/\[/g, `${ws}[${ws}`)
        .replace(/\]/g, `${ws}]${ws}`)
        .replace(/ /g, ws + ' ');
      assert.equal(Scope.deserialize(`${ws}${spaced}${ws}`).toString(), render(t));
    }),
    { numRuns: 200 },
  );
});

test('malformed scope strings are rejected', () => {
  for (const bad of ['a[', 'a]', 'a[]', '[a]', '*', 'a[b', 'a[b]]', '**a', 'a[*]']) {
    assert.throws(() => parseScopes(bad), ScopeParseError, bad);
  }
  assert.throws(() => new Scope('a b'), ScopeParseError);
  assert.throws(() => new Scope(''), ScopeParseError);
  assert.throws(() => Scope.deserialize('a b'), ScopeParseError);
  assert.deepEqual(parseScopes('  '), []);
});

test('withDependency copies, addDependency mutates, builders hand out fresh scopes', () => {
  const base = TransferScopes.all;
  const withDep = base.withDependency('*openid');
  assert.equal(base.toString(), 'urn:globus:auth:scope:transfer.api.globus.org:all');
  assert.equal(withDep.toString(), 'urn:globus:auth:scope:transfer.api.globus.org:all[*openid]');
  base.addDependency(AuthScopes.email).addDependency('profile[openid]');
  assert.equal(base.toString(), 'urn:globus:auth:scope:transfer.api.globus.org:all[email profile[openid]]');
  // The mutation must not leak into the next caller's scope.
  assert.equal(TransferScopes.all.toString(), 'urn:globus:auth:scope:transfer.api.globus.org:all');
  assert.equal(
    GroupsScopes.all.withDependencies([AuthScopes.view_identity_set, 'openid']).toString(),
    'urn:globus:auth:scope:groups.api.globus.org:all[urn:globus:auth:scope:auth.globus.org:view_identity_set openid]',
  );
});

test('builders produce the documented strings and resource servers', () => {
  assert.equal(AuthScopes.view_identity_set.toString(), 'urn:globus:auth:scope:auth.globus.org:view_identity_set');
  assert.equal(AuthScopes.view_consents.toString(), 'urn:globus:auth:scope:auth.globus.org:view_consents');
  assert.equal(GroupsScopes.view_my_groups_and_memberships.toString(), 'urn:globus:auth:scope:groups.api.globus.org:view_my_groups_and_memberships');
  assert.equal(GCSEndpointScopes(EP).resourceServer, EP);
  assert.equal(GCSEndpointScopes(EP).manage_collections.resourceServer, EP);
  assert.equal(GCSCollectionScopes(COLL).data_access.resourceServer, COLL);
  assert.equal(AuthScopes.openid.resourceServer, 'auth.globus.org');
  assert.equal(scopeResourceServer('urn:globus:auth:scope:groups.api.globus.org:all'), 'groups.api.globus.org');
  assert.equal(scopeResourceServer('custom'), undefined);
  assert.throws(() => GCSEndpointScopes('a b'), TypeError);
  assert.throws(() => GCSCollectionScopes(''), TypeError);
});

test('scopesToString joins strings and Scopes with single spaces', () => {
  assert.equal(scopesToString(['openid', AuthScopes.profile, ' email ']), 'openid profile email');
  assert.equal(scopesToString('openid profile'), 'openid profile');
});
