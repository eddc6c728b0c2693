// Auth policies: the pure rules, /v2/api/policies (HTTP and SDK), guest_auth_policy_id on mapped collections, its enforcement on guest data access, and the login page.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AccessTokenAuthorizer, AuthAPIError, AuthClient } from '@gatehouse/sdk';
import { createClient, createPolicy } from '@gatehouse/server';
import { canManagePolicy, domainAllowed, domainMatches, evaluatePolicy, type AuthPolicyRules } from '../src/authz/policies.ts';
import { authorizationParameters, decideDataAccess, type DataAccessInput } from '../src/authz/data.ts';
import { hashToken } from '../src/auth/secrets.ts';
import { clientCredentials, getJson, makeClient, makeUser, signIn, startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { api, startGcsWorld, type GcsWorld } from './helpers/gcs.ts';
import { addRule, dataToken, isRoot, makeWorld, plant, transferToken, type DataWorld } from './helpers/data.ts';

const MANAGE_PROJECTS = 'urn:globus:auth:scope:auth.globus.org:manage_projects';

const rules = (over: Partial<AuthPolicyRules> = {}): AuthPolicyRules => ({
  id: 'p1',
  high_assurance: false,
  authentication_assurance_timeout: null,
  required_mfa: false,
  domain_constraints_include: null,
  domain_constraints_exclude: null,
  ...over,
});

describe('Auth policy rules (pure)', () => {
  test('domain patterns: exact, case-insensitive, * covers one or more labels', () => {
    assert.ok(domainMatches('uni.edu', 'UNI.edu'));
    assert.ok(!domainMatches('uni.edu', 'cs.uni.edu'));
    assert.ok(domainMatches('*.edu', 'uni.edu'));
    assert.ok(domainMatches('*.edu', 'cs.uni.edu'));
    assert.ok(!domainMatches('*.edu', 'edu'));
    assert.ok(!domainMatches('*.edu', 'uni.education'));
    assert.ok(domainMatches('*.globus.org', 'clients.auth.globus.org'));
    assert.ok(!domainMatches('a.b', 'axb'), 'a dot is a dot, not any character');
  });

  test('include then exclude; a domain in both is excluded; empty include is every domain', () => {
    assert.ok(domainAllowed(rules(), 'any.org'));
    assert.ok(domainAllowed(rules({ domain_constraints_include: [] }), 'any.org'));
    assert.ok(domainAllowed(rules({ domain_constraints_include: ['*.edu'] }), 'uni.edu'));
    assert.ok(!domainAllowed(rules({ domain_constraints_include: ['*.edu'] }), 'uni.org'));
    assert.ok(!domainAllowed(rules({ domain_constraints_include: ['*.edu'], domain_constraints_exclude: ['foo.edu'] }), 'foo.edu'));
    assert.ok(!domainAllowed(rules({ domain_constraints_exclude: ['*.org'] }), 'uni.org'));
  });

  test('evaluatePolicy: satisfying identities, refusals with what a new login must bring', () => {
    const now = 1_800_000_000;
    const ids = [
      { id: 'u1', username: 'ann@uni.edu', authenticatedAt: now - 100 },
      { id: 'u2', username: 'ann@other.org' },
    ];
    assert.deepEqual(evaluatePolicy(rules(), ids, now), { satisfied: true, identities: ['u1', 'u2'] });
    assert.deepEqual(evaluatePolicy(rules({ domain_constraints_include: ['uni.edu'] }), ids, now), { satisfied: true, identities: ['u1'] });
    const wrongDomain = evaluatePolicy(rules({ domain_constraints_include: ['lab.org', '*.gov'] }), ids, now);
    assert.equal(wrongDomain.satisfied, false);
    if (!wrongDomain.satisfied) {
      assert.equal(wrongDomain.reason, 'domain');
      assert.deepEqual(wrongDomain.requiredSingleDomain, ['lab.org'], 'a wildcard names no domain a login could come from');
    }
    // High assurance: only identities authenticated recently enough; a linked identity's last login is unknown.
    assert.deepEqual(evaluatePolicy(rules({ high_assurance: true, authentication_assurance_timeout: 600 }), ids, now), { satisfied: true, identities: ['u1'] });
    const stale = evaluatePolicy(rules({ high_assurance: true, authentication_assurance_timeout: 60, domain_constraints_include: ['uni.edu'] }), ids, now);
    assert.equal(stale.satisfied, false);
    if (!stale.satisfied) assert.deepEqual([stale.reason, stale.requiredIdentities], ['authentication_timeout', ['u1']]);
    // The timeout is a high-assurance setting; MFA can never be shown here, so it refuses.
    assert.equal(evaluatePolicy(rules({ authentication_assurance_timeout: 1 }), ids, now).satisfied, true);
    const mfa = evaluatePolicy(rules({ high_assurance: true, required_mfa: true }), ids, now);
    assert.equal(mfa.satisfied, false);
    if (!mfa.satisfied) assert.deepEqual([mfa.reason, mfa.requiredMfa], ['mfa', true]);
  });

  test("who manages a policy: its creator's identity set and the server administrators", () => {
    assert.ok(canManagePolicy({ created_by: 'u1' }, { identitySet: ['u2', 'u1'], serverAdmin: false }));
    assert.ok(!canManagePolicy({ created_by: 'u1' }, { identitySet: ['u2'], serverAdmin: false }));
    assert.ok(canManagePolicy({ created_by: null }, { identitySet: ['u2'], serverAdmin: true }));
    assert.ok(!canManagePolicy({ created_by: null }, { identitySet: ['u2'], serverAdmin: false }));
  });

  test('decideDataAccess: the policy filters ACLs to rules held through satisfying identities and their groups', () => {
    const now = 1_800_000_000;
    const base = (over: Partial<DataAccessInput> = {}): DataAccessInput => ({
      collection: {
        id: 'g1',
        collection_type: 'guest',
        mapped_collection_id: 'm1',
        storage_gateway_id: 'gw',
        public: true,
        identity_id: 'o1',
        user_credential_id: 'c1',
        root_path: '/data/shared',
        base_path: '/shared',
      },
      gateway: { connector_id: 'posix', allowed_domains: ['uni.edu'] },
      mapped: { allow_guest_collections: true, root_path: '/data' },
      credential: { id: 'c1', identity_id: 'o1', storage_gateway_id: 'gw', username: 'owner', invalid: false },
      owner: { id: 'o1', username: 'owner@uni.edu', status: 'used', identity_type: 'login' } as never,
      rules: [{ id: 'r1', principal_type: 'group', principal: 'grp', path: '/', permissions: 'r' }],
      guestAuthPolicy: rules({ domain_constraints_include: ['uni.edu'] }),
      identityGroups: new Map([['u2', ['grp']]]),
      auth: { identityId: 'u1', authenticatedAt: now - 60, issuedAt: now - 60 },
      principals: { identities: ['u1', 'u2'], groups: ['grp'] },
      identities: [
        { id: 'u1', username: 'ann@uni.edu', status: 'used', identity_type: 'login' },
        { id: 'u2', username: 'ann@other.org', status: 'used', identity_type: 'login' },
      ] as never,
      accountGroups: new Map(),
      homes: new Map(),
      path: '/f.txt',
      need: 'read',
      now,
      ...over,
    });
    // The group is reached only through ann@other.org, which the policy leaves out.
    assert.deepEqual(pick(decideDataAccess(base())), [403, 'permission_denied']);
    assert.equal(decideDataAccess(base({ identityGroups: new Map([['u1', ['grp']]]) })).allowed, true);
    assert.equal(decideDataAccess(base({ guestAuthPolicy: undefined })).allowed, true, 'without a policy every identity counts');
    assert.deepEqual(pick(decideDataAccess(base({ rules: [{ id: 'r2', principal_type: 'identity', principal: 'u2', path: '/', permissions: 'r' }] }))), [
      403,
      'permission_denied',
    ]);
    assert.equal(decideDataAccess(base({ rules: [{ id: 'r3', principal_type: 'identity', principal: 'u1', path: '/', permissions: 'r' }] })).allowed, true);
    // No satisfying identity at all: a GARE naming the policy; anonymous callers must log in first.
    const refused = decideDataAccess(base({ guestAuthPolicy: rules({ domain_constraints_include: ['lab.org'] }) }));
    assert.deepEqual(pick(refused), [403, 'auth_policy_not_satisfied']);
    if (!refused.allowed)
      assert.deepEqual(authorizationParameters(refused), {
        session_message: 'Access needs an identity from lab.org',
        session_required_policies: ['p1'],
        session_required_single_domain: ['lab.org'],
        session_required_mfa: false,
      });
    const anonymousRule = [{ id: 'r4', principal_type: 'anonymous' as const, principal: '', path: '/', permissions: 'r' as const }];
    assert.deepEqual(pick(decideDataAccess(base({ auth: undefined, identities: [], principals: { identities: [], groups: [] }, rules: anonymousRule }))), [
      401,
      'authentication_required',
    ]);
  });
});

function pick(d: ReturnType<typeof decideDataAccess>) {
  return d.allowed ? ['allowed'] : [d.status, d.reason];
}

describe(`/v2/api/policies (${storeName})`, () => {
  let world: GcsWorld;
  let server: TestServer;
  let adminToken: string;
  let maker: { id: string; secret: string };
  let makerToken: string;
  let otherToken: string;
  const sdk = (token: string) =>
    new AuthClient({ baseUrl: server.url, dispatcher: server.dispatcher, retry: false, authorizer: new AccessTokenAuthorizer(token) });
  const call = (token: string | undefined, method: string, path: string, body?: unknown) => api(server, token, method, path, body);

  before(async () => {
    world = await startGcsWorld('policy admin');
    server = world.server;
    adminToken = (await clientCredentials(server, world.admin, MANAGE_PROJECTS)).access_token;
    maker = await makeClient(server, 'policy maker');
    makerToken = (await clientCredentials(server, maker, MANAGE_PROJECTS)).access_token;
    otherToken = (await clientCredentials(server, await makeClient(server, 'someone else'), MANAGE_PROJECTS)).access_token;
  });
  after(() => server.stop());

  test('create, show, list, update and delete through the SDK, in the documented shapes', async () => {
    const created = await sdk(makerToken).createPolicy({
      display_name: 'Uni only',
      description: 'Guests reachable from uni identities',
      domain_constraints_include: ['UNI.edu', '*.uni.edu'],
      domain_constraints_exclude: null,
    });
    const p = created.policy;
    assert.match(p.id, /^[0-9a-f-]{36}$/);
    assert.match(p.project_id, /^[0-9a-f-]{36}$/, 'a default project when none is given');
    assert.deepEqual(
      { ...p, id: undefined, project_id: undefined },
      {
        id: undefined,
        project_id: undefined,
        display_name: 'Uni only',
        description: 'Guests reachable from uni identities',
        high_assurance: false,
        authentication_assurance_timeout: null,
        required_mfa: false,
        domain_constraints_include: ['uni.edu', '*.uni.edu'],
        domain_constraints_exclude: null,
      },
    );
    assert.deepEqual((await sdk(makerToken).getPolicy(p.id)).policy, p);
    assert.deepEqual(
      (await sdk(makerToken).getPolicies()).policies.map((x) => x.id),
      [p.id],
    );

    const project = '2b0f4c1e-8a55-4a3c-9b1f-6d0a2f3e4c5d';
    const updated = (
      await sdk(makerToken).updatePolicy(p.id, {
        display_name: 'Uni',
        project_id: project,
        domain_constraints_include: null,
        domain_constraints_exclude: ['bad.edu'],
        high_assurance: false,
      })
    ).policy;
    assert.deepEqual(
      [updated.display_name, updated.project_id, updated.description, updated.domain_constraints_include, updated.domain_constraints_exclude],
      ['Uni', project, 'Guests reachable from uni identities', null, ['bad.edu']],
    );
    assert.deepEqual((await sdk(makerToken).getPolicy(p.id)).policy, updated);

    const deleted = await sdk(makerToken).deletePolicy(p.id);
    assert.equal(deleted.policy.id, p.id);
    await assert.rejects(sdk(makerToken).getPolicy(p.id), (e: unknown) => e instanceof AuthAPIError && e.httpStatus === 404 && e.code === 'NOT_FOUND');
  });

  test('a policy is managed by its creator and the server administrators only', async () => {
    const res = await call(makerToken, 'POST', '/v2/api/policies', {
      policy: { display_name: 'Mine', description: '', high_assurance: true, authentication_assurance_timeout: 600 },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const id = res.body.policy.id;
    assert.equal(res.body.policy.high_assurance, true);

    for (const [method, body] of [['GET'], ['PUT', { policy: { display_name: 'theirs' } }], ['DELETE']] as const) {
      const refused = await call(otherToken, method, `/v2/api/policies/${id}`, body);
      assert.equal(refused.status, 403, `${method}: ${JSON.stringify(refused.body)}`);
      assert.equal(refused.body.errors[0].code, 'FORBIDDEN');
    }
    assert.deepEqual((await call(otherToken, 'GET', '/v2/api/policies')).body, { policies: [] });
    // The endpoint administrator sees and manages every policy, including ones made locally.
    const local = await server.store.tx((db) => createPolicy(db, { display_name: 'Local', description: 'made by the CLI' }, null));
    const all = await call(adminToken, 'GET', '/v2/api/policies');
    assert.deepEqual(all.body.policies.map((x: { id: string }) => x.id).sort(), [id, local.id].sort());
    assert.deepEqual(
      (await call(makerToken, 'GET', '/v2/api/policies')).body.policies.map((x: { id: string }) => x.id),
      [id],
    );
    assert.equal((await call(makerToken, 'GET', `/v2/api/policies/${local.id}`)).status, 403);
    assert.equal((await call(adminToken, 'PUT', `/v2/api/policies/${id}`, { policy: { description: 'checked' } })).body.policy.description, 'checked');

    // high_assurance is fixed once created.
    const flip = await call(makerToken, 'PUT', `/v2/api/policies/${id}`, { policy: { high_assurance: false } });
    assert.equal(flip.status, 400);
    assert.equal(flip.body.errors[0].code, 'BAD_REQUEST');
    assert.equal((await call(makerToken, 'GET', `/v2/api/policies/${id}`)).body.policy.high_assurance, true);
    assert.equal((await call(adminToken, 'DELETE', `/v2/api/policies/${local.id}`)).status, 200);
  });

  test('refusals in the Auth envelope: no token, no manage_projects, bad input, unknown ids', async () => {
    const anonymous = await call(undefined, 'GET', '/v2/api/policies');
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.errors[0].code, 'UNAUTHORIZED');
    const plain = (await clientCredentials(server, maker, 'openid')).access_token;
    const scopeless = await call(plain, 'GET', '/v2/api/policies');
    assert.equal(scopeless.status, 403);
    assert.deepEqual(scopeless.body.authorization_parameters.required_scopes, [MANAGE_PROJECTS]);
    const wrongServer = await call(world.admin.token, 'GET', '/v2/api/policies');
    assert.equal(wrongServer.status, 401, 'a GCS token is not an Auth token');
    for (const body of [
      {},
      { policy: { description: 'no name' } },
      { policy: { display_name: 'x', description: 'y', domain_constraints_include: ['not a domain'] } },
      { policy: { display_name: 'x', description: 'y', authentication_assurance_timeout: -1 } },
      { policy: { display_name: 'x', description: 'y', high_assurance: 'yes' } },
      { policy: { display_name: 'x', description: 'y', project_id: 'nope' } },
    ]) {
      const res = await call(makerToken, 'POST', '/v2/api/policies', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.errors[0].code, 'BAD_REQUEST');
      assert.equal(typeof res.body.error_description, 'string');
    }
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const res = await call(makerToken, 'GET', `/v2/api/policies/${id}`);
      assert.equal(res.status, 404);
      assert.equal(res.body.errors[0].code, 'NOT_FOUND');
    }
  });

  test('guest_auth_policy_id on a mapped collection must name a policy', async () => {
    const policy = (await call(adminToken, 'POST', '/v2/api/policies', { policy: { display_name: 'For the mapped collection', description: '' } })).body.policy;
    const missing = await call(world.admin.token, 'PATCH', `/api/collections/${world.mappedId}`, {
      guest_auth_policy_id: '00000000-0000-4000-8000-000000000000',
    });
    assert.equal(missing.status, 422, JSON.stringify(missing.body));
    assert.equal(missing.body.detail.DATA_TYPE, 'invalid_input#1.0.0');
    assert.equal(missing.body.detail.errors[0].property, 'guest_auth_policy_id');
    const set = await call(world.admin.token, 'PATCH', `/api/collections/${world.mappedId}`, { guest_auth_policy_id: policy.id.toUpperCase() });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.equal(set.body.data[0].guest_auth_policy_id, policy.id);
    const createBad = await call(world.admin.token, 'POST', '/api/collections', {
      collection_type: 'mapped',
      display_name: 'Second',
      storage_gateway_id: world.gatewayId,
      collection_base_path: '/data',
      public: true,
      guest_auth_policy_id: '00000000-0000-4000-8000-000000000001',
    });
    assert.equal(createBad.status, 422);
    // Once the policy is gone, other edits of the collection still pass; the stale id filters nothing.
    assert.equal((await call(adminToken, 'DELETE', `/v2/api/policies/${policy.id}`)).status, 200);
    const edit = await call(world.admin.token, 'PATCH', `/api/collections/${world.mappedId}`, { description: 'still editable' });
    assert.equal(edit.status, 200, JSON.stringify(edit.body));
    assert.equal(
      (await call(world.admin.token, 'PATCH', `/api/collections/${world.mappedId}`, { guest_auth_policy_id: null })).body.data[0].guest_auth_policy_id,
      null,
    );
  });
});

describe(`guest_auth_policy_id enforced on guest data access (${storeName})`, { skip: isRoot ? false : 'needs root (useradd, per-account workers)' }, () => {
  let server: TestServer;
  let world: DataWorld;
  let policyToken: string;
  let bobHttps: string;
  let bobTransfer: string;

  const fetchFile = async (token: string) => {
    const res = await server.fetch(`${server.url}/data/${world.guestId}/hello.txt`, {
      headers: { authorization: `Bearer ${token}`, 'x-requested-with': 'XMLHttpRequest' },
    });
    const text = await res.text();
    return { status: res.status, text, body: res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : undefined };
  };
  const newPolicy = async (policy: Record<string, unknown>) => {
    const res = await api(server, policyToken, 'POST', '/v2/api/policies', { policy: { display_name: 'guest filter', description: '', ...policy } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.policy.id as string;
  };
  const usePolicy = async (id: string | null) => {
    const res = await api(server, world.admin.token, 'PATCH', `/api/collections/${world.mappedId}`, { guest_auth_policy_id: id });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  };

  before(async () => {
    server = await startTestServer();
    world = await makeWorld(server, { tree: (root, { owner }) => plant(root, 'shared/hello.txt', 'hello', owner) });
    policyToken = (await clientCredentials(server, world.admin, MANAGE_PROJECTS)).access_token;
    await addRule(server, world.owner, world.guestId, { principal_type: 'identity', principal: world.bob.id, path: '/', permissions: 'r' });
    bobHttps = await dataToken(server, world.bob, world.guestId, false);
    bobTransfer = await transferToken(server, world.bob);
  });
  after(async () => {
    await server?.stop();
    world?.cleanup();
  });

  test('domain constraints refuse callers from other domains with a GARE, and admit those from the domain', async () => {
    assert.equal((await fetchFile(bobHttps)).status, 200);
    const policyId = await newPolicy({ domain_constraints_include: ['example.org'] });
    await usePolicy(policyId);
    // Guests inherit it, read-only.
    assert.equal((await api(server, world.owner.token, 'GET', `/api/collections/${world.guestId}`)).body.data[0].guest_auth_policy_id, policyId);
    const own = await api(server, world.owner.token, 'PATCH', `/api/collections/${world.guestId}`, { guest_auth_policy_id: null });
    assert.equal(own.status, 200, JSON.stringify(own.body));
    assert.equal(own.body.data[0].guest_auth_policy_id, policyId);

    const refused = await fetchFile(bobHttps);
    assert.equal(refused.status, 403, refused.text);
    assert.equal(refused.body.code, 'auth_policy_not_satisfied');
    assert.deepEqual(refused.body.authorization_parameters.session_required_policies, [policyId]);
    assert.deepEqual(refused.body.authorization_parameters.session_required_single_domain, ['example.org']);
    // Transfer file operations take the same decision and answer with the same parameters.
    const ls = await api(server, bobTransfer, 'GET', `/v0.10/operation/endpoint/${world.guestId}/ls?path=/`);
    assert.equal(ls.status, 403, JSON.stringify(ls.body));
    assert.deepEqual(ls.body.authorization_parameters.session_required_policies, [policyId]);
    // Even the guest's own administrator holds its implicit permission only through a satisfying identity.
    const ownerHttps = await dataToken(server, world.owner, world.guestId, false);
    assert.equal((await fetchFile(ownerHttps)).status, 403);

    // Client identities are from clients.auth.globus.org: a wildcard including it admits bob again.
    assert.equal(
      (await api(server, policyToken, 'PUT', `/v2/api/policies/${policyId}`, { policy: { domain_constraints_include: ['*.globus.org'] } })).status,
      200,
    );
    const allowed = await fetchFile(bobHttps);
    assert.equal(allowed.status, 200);
    assert.equal(allowed.text, 'hello');
    assert.equal((await api(server, bobTransfer, 'GET', `/v0.10/operation/endpoint/${world.guestId}/ls?path=/`)).status, 200);

    // An exclusion wins over the inclusion.
    await api(server, policyToken, 'PUT', `/v2/api/policies/${policyId}`, { policy: { domain_constraints_exclude: ['clients.auth.globus.org'] } });
    assert.equal((await fetchFile(bobHttps)).status, 403);

    // Unsetting the policy on the mapped collection restores access; so does deleting the policy.
    await usePolicy(null);
    assert.equal((await fetchFile(bobHttps)).status, 200);
    await usePolicy(policyId);
    assert.equal((await fetchFile(bobHttps)).status, 403);
    assert.equal((await api(server, policyToken, 'DELETE', `/v2/api/policies/${policyId}`)).status, 200);
    assert.equal((await fetchFile(bobHttps)).status, 200);
    await usePolicy(null);
  });

  test('a high-assurance policy refuses an authentication older than its timeout, and MFA it cannot see', async () => {
    const policyId = await newPolicy({ high_assurance: true, authentication_assurance_timeout: 3600 });
    await usePolicy(policyId);
    const token = await dataToken(server, world.bob, world.guestId, false);
    assert.equal((await fetchFile(token)).status, 200, 'a fresh token is recent enough');
    // A client authenticates when its token is issued: age this one past the timeout.
    await server.store.db
      .updateTable('access_tokens')
      .set({ issued_at: Math.floor(Date.now() / 1000) - 7200 })
      .where('token_hash', '=', hashToken(token))
      .execute();
    const stale = await fetchFile(token);
    assert.equal(stale.status, 403, stale.text);
    assert.deepEqual(stale.body.authorization_parameters.session_required_policies, [policyId]);
    assert.deepEqual(stale.body.authorization_parameters.session_required_identities, [world.bob.id]);
    assert.equal((await fetchFile(await dataToken(server, world.bob, world.guestId, false))).status, 200, 'a new authentication satisfies it again');

    await usePolicy(await newPolicy({ high_assurance: true, required_mfa: true }));
    const mfa = await fetchFile(bobHttps);
    assert.equal(mfa.status, 403);
    assert.equal(mfa.body.authorization_parameters.session_required_mfa, true);
    await usePolicy(null);
  });
});

describe(`the login page honours session_required_policies (${storeName})`, () => {
  let server: TestServer;
  let clientId: string;
  const redirect = 'https://app.example.org/callback';

  before(async () => {
    server = await startTestServer();
    await makeUser(server, 'ann@uni.edu', 'ann-password-1');
    await makeUser(server, 'bea@other.org', 'bea-password-1');
    clientId = (await server.store.tx((db) => createClient(db, { name: 'Portal', redirectUris: [redirect] }))).id;
  });
  after(() => server.stop());

  const login = (username: string, password: string, policies: string) =>
    signIn(
      server,
      { client_id: clientId, redirect_uri: redirect, scope: 'openid', response_type: 'code', session_required_policies: policies },
      username,
      password,
    );

  test('only an identity that satisfies every named policy completes the login', async () => {
    const uni = await server.store.tx((db) => createPolicy(db, { display_name: 'uni', description: '', domain_constraints_include: ['*.edu'] }, null));
    const refused = await login('bea@other.org', 'bea-password-1', uni.id);
    assert.equal(refused.status, 403);
    assert.match(await refused.text(), /requires a different identity/);
    const ok = await login('ann@uni.edu', 'ann-password-1', `${uni.id},00000000-0000-4000-8000-000000000000`);
    assert.equal(ok.status, 302);
    assert.match(ok.headers.get('location')!, /^https:\/\/app\.example\.org\/callback\?code=/);

    const mfa = await server.store.tx((db) => createPolicy(db, { display_name: 'mfa', description: '', high_assurance: true, required_mfa: true }, null));
    const noMfa = await login('ann@uni.edu', 'ann-password-1', mfa.id);
    assert.equal(noMfa.status, 403);
    assert.match(await noMfa.text(), /multi-factor/);
    const page = await getJson(
      server,
      `/v2/oauth2/authorize?${new URLSearchParams({ client_id: clientId, redirect_uri: redirect, scope: 'openid', session_required_policies: uni.id })}`,
    );
    assert.equal(page.status, 200, 'the form is shown whatever the policy');
  });
});
