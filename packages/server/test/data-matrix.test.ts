// Who may read and write what over HTTPS: identity / group / all_authenticated / anonymous × r / rw × mapped / guest × inside / outside each restriction, and revocations that cut access on the next request.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { api, createGroup, groupsToken, type Actor } from './helpers/gcs.ts';
import { addRule, dataToken, isRoot, makeWorld, mkdirOwned, plant, transferToken, type DataWorld } from './helpers/data.ts';
import { decideDataAccess, type DataAccessInput } from '../src/authz/data.ts';

describe('decideDataAccess (pure)', () => {
  const now = 1_800_000_000;
  const alice = { id: 'a1', username: 'alice@uni.edu', status: 'used', identity_type: 'login' };
  const base = (over: Partial<DataAccessInput> = {}): DataAccessInput => ({
    collection: {
      id: 'c1',
      collection_type: 'mapped',
      mapped_collection_id: null,
      storage_gateway_id: 'g1',
      public: true,
      root_path: '/data',
      enable_https: true,
      https_methods: null,
    },
    gateway: {
      connector_id: 'posix',
      allowed_domains: ['uni.edu'],
      authentication_timeout_mins: 60,
      restrict_paths: { read_write: ['/data'], read: ['/data/z/ro'], none: ['/data/z', '/data/z/ro/hidden'] },
    },
    auth: { identityId: 'a1', authenticatedAt: now - 60, issuedAt: now - 60 },
    principals: { identities: ['a1'], groups: [] },
    identities: [alice],
    accountGroups: new Map(),
    homes: new Map([['alice', '/data/home/alice']]),
    path: '/x.txt',
    need: 'read',
    now,
    ...over,
  });
  const cases: Array<[string, Partial<DataAccessInput>, { allowed: true; account?: string; relative?: string } | { status: number; reason: string }]> = [
    ['default mapping strips the one allowed domain', {}, { allowed: true, account: 'alice', relative: '/x.txt' }],
    ['write inside read_write', { need: 'write' }, { allowed: true }],
    ['write under a read entry (inside a none)', { need: 'write', path: '/z/ro/f' }, { status: 403, reason: 'outside_restrictions' }],
    ['read under a read entry (inside a none)', { path: '/z/ro/f' }, { allowed: true }],
    ['the enclosing none', { path: '/z/other' }, { status: 403, reason: 'outside_restrictions' }],
    ['a deeper none wins', { path: '/z/ro/hidden/f' }, { status: 403, reason: 'outside_restrictions' }],
    ['~ is the account home, made collection-relative', { path: '/~/notes' }, { allowed: true, relative: '/home/alice/notes' }],
    ['a home outside the root is refused', { homes: new Map([['alice', '/home/alice']]), path: '/~/' }, { status: 403, reason: 'outside_restrictions' }],
    [
      'anonymous on a mapped collection must authenticate',
      { auth: undefined, identities: [], principals: { identities: [], groups: [] } },
      { status: 401, reason: 'authentication_required' },
    ],
    ['an identity outside allowed_domains', { identities: [{ ...alice, username: 'alice@other.org' }] }, { status: 403, reason: 'not_from_allowed_domain' }],
    [
      'authentication older than the gateway timeout',
      { auth: { identityId: 'a1', authenticatedAt: now - 2 * 3600, issuedAt: now } },
      { status: 403, reason: 'authentication_timeout' },
    ],
    [
      'a client identity counts from token issue',
      { identities: [{ ...alice, identity_type: 'client' }], auth: { identityId: 'a1', authenticatedAt: now - 2 * 3600, issuedAt: now - 60 } },
      { allowed: true },
    ],
    [
      'users_deny removes the account',
      { gateway: { connector_id: 'posix', allowed_domains: ['uni.edu'], users_deny: ['alice'] } },
      { status: 403, reason: 'no_mapping' },
    ],
    [
      'a method outside https_methods is 405',
      { httpsMethod: 'PUT', need: 'write', collection: { ...base().collection, https_methods: ['GET'] } },
      { status: 405, reason: 'method_not_allowed' },
    ],
    ['HTTPS disabled is 403', { httpsMethod: 'GET', collection: { ...base().collection, enable_https: false } }, { status: 403, reason: 'https_disabled' }],
    ['HEAD counts as GET', { httpsMethod: 'HEAD', collection: { ...base().collection, https_methods: ['GET'] } }, { allowed: true }],
    ['no gateway: broken', { gateway: undefined }, { status: 403, reason: 'broken_guest' }],
  ];
  for (const [name, over, expected] of cases) {
    test(name, () => {
      const d = decideDataAccess(base(over));
      if ('allowed' in expected) {
        assert.equal(d.allowed, true, JSON.stringify(d));
        if (d.allowed && expected.account) assert.equal(d.account, expected.account);
        if (d.allowed && expected.relative) assert.equal(d.relative, expected.relative);
      } else {
        assert.equal(d.allowed, false);
        if (!d.allowed) assert.deepEqual([d.status, d.reason], [expected.status, expected.reason]);
      }
    });
  }
});

type Kind = 'identity' | 'group' | 'all_authenticated' | 'anonymous';
const KINDS: Kind[] = ['identity', 'group', 'all_authenticated', 'anonymous'];
const PERMS = ['r', 'rw'] as const;
const dirOf = (kind: Kind, perm: 'r' | 'rw') => `${kind}-${perm}`;

describe(`HTTPS access matrix (${storeName})`, { skip: isRoot ? false : 'needs root (useradd, per-account workers)' }, () => {
  let server: TestServer;
  let world: DataWorld;
  let groupId: string;
  const ruleIds = new Map<string, string>();
  const tokens = new Map<string, string | undefined>();
  let policyId: string | undefined;

  const request = async (collection: string, token: string | undefined, method: string, p: string, body?: string) => {
    const headers: Record<string, string> = { 'x-requested-with': 'XMLHttpRequest' };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await server.fetch(`${server.url}/data/${collection}${p}`, { method, headers, body });
    await res.arrayBuffer();
    return res.status;
  };
  const guest = (kind: Kind, method: string, p: string, body?: string) => request(world.guestId, tokens.get(kind), method, p, body);

  before(async () => {
    server = await startTestServer();
    world = await makeWorld(server, {
      tree: (root, { owner, alice }) => {
        for (const kind of KINDS) {
          for (const perm of PERMS) {
            const dir = `shared/${dirOf(kind, perm)}`;
            plant(root, `${dir}/f.txt`, `${kind} ${perm}`, owner);
            plant(root, `${dir}/secret/s.txt`, 'unshareable', owner);
            plant(root, `${dir}/gw/g.txt`, 'gateway says no', owner);
          }
        }
        plant(root, 'shared/neutral/n.txt', 'no rule here', owner);
        mkdirOwned(root, 'ro-zone', alice);
        for (const d of ['mapped-rw', 'ro-zone/mapped-ro', 'mapped-none']) {
          mkdirOwned(root, d, alice);
          plant(root, `${d}/f.txt`, d, alice);
        }
      },
      gatewayExtra: (root) => ({
        restrict_paths: {
          DATA_TYPE: 'path_restrictions#1.0.0',
          read_write: [root],
          read: [`${root}/ro-zone/mapped-ro`],
          none: [`${root}/ro-zone`, `${root}/mapped-none`, `${root}/shared/*/gw`],
        },
      }),
      mappedExtra: () => ({ sharing_restrict_paths: { DATA_TYPE: 'path_restrictions#1.0.0', read_write: ['/shared'], none: ['/shared/*/secret'] } }),
    });
    groupId = await createGroup(server, world.owner, 'data readers');
    const added = await api(server, await groupsToken(server, world.owner), 'POST', `/v2/groups/${groupId}`, { add: [{ identity_id: world.bob.id }] });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    const principal: Record<Kind, [string, string]> = {
      identity: ['identity', world.alice.id],
      group: ['group', groupId],
      all_authenticated: ['all_authenticated_users', ''],
      anonymous: ['anonymous', ''],
    };
    for (const kind of KINDS) {
      for (const perm of PERMS) {
        const [principal_type, p] = principal[kind];
        ruleIds.set(
          dirOf(kind, perm),
          await addRule(server, world.owner, world.guestId, { principal_type, principal: p, path: `/${dirOf(kind, perm)}/`, permissions: perm }),
        );
      }
    }
    const callers: Record<Kind, Actor | undefined> = { identity: world.alice, group: world.bob, all_authenticated: world.carol, anonymous: undefined };
    for (const kind of KINDS) {
      const caller = callers[kind];
      tokens.set(kind, caller ? await dataToken(server, caller, world.guestId, false) : undefined);
    }
  });
  after(async () => {
    await server?.stop();
    world?.cleanup();
  });

  // Guest cells: the caller's own rule directory, a directory without rules, and the parts sharing and the gateway exclude.
  for (const kind of KINDS) {
    for (const perm of PERMS) {
      test(`guest: ${kind} with ${perm}`, async () => {
        const dir = `/${dirOf(kind, perm)}`;
        const denied = kind === 'anonymous' ? 401 : 403;
        const table: Array<[string, string, number, string?]> = [
          ['GET', `${dir}/f.txt`, 200],
          ['HEAD', `${dir}/f.txt`, 200],
          ['PUT', `${dir}/new-${kind}.txt`, perm === 'rw' ? 201 : denied, 'written'],
          ['DELETE', `${dir}/f.txt`, perm === 'rw' ? 204 : denied],
          ['GET', '/neutral/n.txt', denied],
          ['PUT', `/neutral/new-${kind}-${perm}.txt`, denied, 'x'],
          ['GET', `${dir}/secret/s.txt`, 403],
          ['PUT', `${dir}/secret/new.txt`, perm === 'rw' ? 403 : denied, 'x'],
          ['GET', `${dir}/gw/g.txt`, 403],
          ['PUT', `${dir}/gw/new.txt`, perm === 'rw' ? 403 : denied, 'x'],
        ];
        for (const [method, p, expected, body] of table) {
          assert.equal(await guest(kind, method, p, body), expected, `${kind}/${perm}: ${method} ${p}`);
        }
        assert.equal(fs.existsSync(path.join(world.root, 'shared', dir, 'secret/new.txt')), false);
        assert.equal(fs.existsSync(path.join(world.root, 'shared', dir, 'gw/new.txt')), false);
        assert.equal(fs.existsSync(path.join(world.root, 'shared/neutral', `new-${kind}-${perm}.txt`)), false);
        if (perm === 'rw') {
          const made = path.join(world.root, 'shared', dir, `new-${kind}.txt`);
          assert.equal(fs.readFileSync(made, 'utf8'), 'written');
          // Guest writes run as the owner's account, whoever the caller is.
          assert.equal(fs.statSync(made).uid, world.accounts.owner.uid);
          fs.writeFileSync(path.join(world.root, 'shared', dir, 'f.txt'), `${kind} ${perm}`);
          fs.chownSync(path.join(world.root, 'shared', dir, 'f.txt'), world.accounts.owner.uid, world.accounts.owner.gid);
        }
      });
    }
  }

  test('mapped: the mapped identity inside / outside the gateway restrictions, an unmapped identity, and anonymous', async () => {
    const alice = await dataToken(server, world.alice, world.mappedId, true);
    const bob = await dataToken(server, world.bob, world.mappedId, true);
    const table: Array<[string, string | undefined, string, string, number]> = [
      ['identity rw area', alice, 'GET', '/mapped-rw/f.txt', 200],
      ['identity rw area', alice, 'PUT', '/mapped-rw/new.txt', 201],
      ['identity r area', alice, 'GET', '/ro-zone/mapped-ro/f.txt', 200],
      ['identity r area', alice, 'PUT', '/ro-zone/mapped-ro/new.txt', 403],
      ['identity r area', alice, 'DELETE', '/ro-zone/mapped-ro/f.txt', 403],
      ['identity none around the r area', alice, 'GET', '/ro-zone/other.txt', 403],
      ['identity none area', alice, 'GET', '/mapped-none/f.txt', 403],
      ['identity, gateway none inside the guest tree', alice, 'GET', '/shared/identity-r/gw/g.txt', 403],
      // Sharing restrictions bind guests only; on the mapped side the owner's 0644 file is readable by others.
      ['identity, sharing none does not apply to mapped', alice, 'GET', '/shared/identity-r/secret/s.txt', 200],
      ['identity, POSIX: not the owner of the directory', alice, 'PUT', '/shared/neutral/x.txt', 403],
      ['unmapped identity', bob, 'GET', '/mapped-rw/f.txt', 403],
      ['anonymous', undefined, 'GET', '/mapped-rw/f.txt', 401],
      ['anonymous', undefined, 'PUT', '/mapped-rw/anon.txt', 401],
    ];
    for (const [label, token, method, p, expected] of table) {
      assert.equal(await request(world.mappedId, token, method, p, method === 'PUT' ? 'data' : undefined), expected, `${label}: ${method} ${p}`);
    }
    assert.equal(fs.statSync(path.join(world.root, 'mapped-rw/new.txt')).uid, world.accounts.alice.uid);
    assert.equal(fs.existsSync(path.join(world.root, 'ro-zone/mapped-ro/new.txt')), false);
  });

  test('revoking an access rule cuts access on the next request', async () => {
    assert.equal(await guest('identity', 'GET', '/identity-r/f.txt'), 200);
    const res = await api(server, await transferToken(server, world.owner), 'DELETE', `/v0.10/endpoint/${world.guestId}/access/${ruleIds.get('identity-r')}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(await guest('identity', 'GET', '/identity-r/f.txt'), 403);
  });

  test('removing the group membership (Groups batch remove) cuts access on the next request', async () => {
    assert.equal(await guest('group', 'GET', '/group-r/f.txt'), 200);
    const res = await api(server, await groupsToken(server, world.owner), 'POST', `/v2/groups/${groupId}`, { remove: [{ identity_id: world.bob.id }] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(await guest('group', 'GET', '/group-r/f.txt'), 403);
  });

  test('a sharing policy narrows existing guests on the next request; deleting it restores access', async () => {
    assert.equal(await guest('all_authenticated', 'GET', '/all_authenticated-r/f.txt'), 200);
    const created = await api(server, world.admin.token, 'POST', '/api/sharing_policies', {
      DATA_TYPE: 'sharing_policy#1.0.0',
      collection_id: world.mappedId,
      users: [world.accounts.owner.name],
      sharing_restrict_paths: { DATA_TYPE: 'path_restrictions#1.0.0', read_write: ['/'], none: ['/shared/all_authenticated-r'] },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    policyId = created.body.data[0].id;
    assert.equal(await guest('all_authenticated', 'GET', '/all_authenticated-r/f.txt'), 403);
    assert.equal(await guest('all_authenticated', 'GET', '/all_authenticated-rw/f.txt'), 200);
    const deleted = await api(server, world.admin.token, 'DELETE', `/api/sharing_policies/${policyId}`);
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    assert.equal(await guest('all_authenticated', 'GET', '/all_authenticated-r/f.txt'), 200);
  });

  test("deleting the creator's user credential breaks the guest for everyone on the next request", async () => {
    assert.equal(await guest('anonymous', 'GET', '/anonymous-r/f.txt'), 200);
    assert.equal(await guest('all_authenticated', 'GET', '/all_authenticated-rw/f.txt'), 200);
    const res = await api(server, world.owner.token, 'DELETE', `/api/user_credentials/${world.credentialId}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(await guest('anonymous', 'GET', '/anonymous-r/f.txt'), 403);
    assert.equal(await guest('all_authenticated', 'GET', '/all_authenticated-rw/f.txt'), 403);
    const owner = await dataToken(server, world.owner, world.guestId, false);
    assert.equal(await request(world.guestId, owner, 'GET', '/neutral/n.txt'), 403);
  });
});
