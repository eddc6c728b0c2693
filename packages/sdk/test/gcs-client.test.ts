// Every GCSClient method (and TransferClient.getEndpoint) against a real Gatehouse server, plus GCS error unpacking.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AccessTokenAuthorizer,
  CONNECTOR_IDS,
  EndpointDocument,
  GCSAPIError,
  GCSClient,
  GCSRoleDocument,
  GlobusError,
  GuestCollectionDocument,
  MappedCollectionDocument,
  SharingPolicyDocument,
  StorageGatewayDocument,
  TransferAPIError,
  TransferClient,
  UserCredentialDocument,
  missingRequiredRoles,
  pathRestrictions,
} from '../src/index.ts';
import { startTestServer, storeName, type TestServer } from '../../server/test/helpers/server.ts';
import {
  clientMappingGateway,
  dataAccess,
  grantRole,
  localName,
  makeActor,
  makeSubscription,
  manageScope,
  tokenWith,
  type Actor,
} from '../../server/test/helpers/gcs.ts';

const urn = (id: string) => `urn:globus:auth:identity:${id}`;

/** Whatever the call throws, as a GCSAPIError (fails the test otherwise). */
async function gcsError(call: Promise<unknown>): Promise<GCSAPIError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof GCSAPIError) return error;
    throw error;
  }
  assert.fail('expected a GCSAPIError');
}

describe(`GCSClient (${storeName})`, () => {
  let server: TestServer;
  let admin: Actor;
  let user: Actor;
  let gatewayId: string;
  let mappedId: string;
  const gcs = (token?: string) =>
    new GCSClient(server.url, { authorizer: token ? new AccessTokenAuthorizer(token) : undefined, dispatcher: server.dispatcher, maxRetries: 0 });
  const transfer = () => new TransferClient({ baseUrl: server.url, dispatcher: server.dispatcher, maxRetries: 0 });
  const gateway = (extra: Record<string, unknown> = {}) => {
    const { DATA_TYPE: _dt, connector_id: _c, display_name: displayName, ...rest } = clientMappingGateway();
    return new StorageGatewayDocument({ displayName: String(displayName), connectorId: CONNECTOR_IDS.POSIX, additionalFields: { ...rest, ...extra } });
  };

  before(async () => {
    server = await startTestServer();
    admin = await makeActor(server, 'gcs admin');
    user = await makeActor(server, 'gcs user');
    await grantRole(server, admin.id, 'administrator');
    const api = gcs(admin.token);
    await api.setEndpointSubscriptionId(await makeSubscription(server, admin));
    gatewayId = (await api.createStorageGateway(gateway())).data.id;
    mappedId = (
      await api.createCollection(
        new MappedCollectionDocument({
          storageGatewayId: gatewayId,
          collectionBasePath: '/data',
          displayName: 'Mapped',
          public: true,
          allowGuestCollections: true,
        }),
      )
    ).data.id;
  });
  after(async () => {
    await server.stop();
  });

  test('info (no token) and the endpoint: get, PATCH, PUT, owner, owner string, subscription', async () => {
    const info = await gcs().getGcsInfo();
    assert.equal(info.data.client_id, server.endpointId);
    assert.ok(
      info.full.data.some((d) => d.DATA_TYPE.startsWith('connector#')),
      'connectors ride along in the envelope',
    );

    const api = gcs(admin.token);
    assert.equal((await api.getEndpoint()).data.id, server.endpointId);
    const patched = await api.updateEndpoint(new EndpointDocument({ description: 'shared data', keywords: ['a', 'b'], public: 'True' }), {
      include: 'endpoint',
    });
    assert.equal(patched.data.description, 'shared data');
    assert.deepEqual(patched.data.keywords, ['a', 'b']);
    const quiet = await api.updateEndpoint(new EndpointDocument({ department: 'Physics' }));
    assert.match(quiet.message, /Updated endpoint/);
    assert.throws(() => quiet.data, GlobusError, 'without include=endpoint there is no document to unpack');
    const put = await api.putEndpoint(new EndpointDocument({ displayName: 'Replaced', organization: 'Org' }), { include: 'endpoint' });
    assert.equal(put.data.display_name, 'Replaced');
    assert.equal(put.data.description, null, 'PUT reverts absent fields');

    await api.setEndpointOwnerString(admin.id);
    assert.equal((await transfer().getEndpoint(server.endpointId)).owner_string, admin.username);
    await api.resetEndpointOwnerString();
    assert.equal((await transfer().getEndpoint(server.endpointId)).owner_string, `${server.endpointId}@clients.auth.globus.org`);

    const owner = await makeActor(server, 'new owner');
    await api.setEndpointOwner(owner.id);
    const roles = await api.getRoleList({ include: 'all_roles' }).toArray();
    assert.ok(roles.some((r) => r.role === 'owner' && r.principal === urn(owner.id)));

    const subscription = (await api.getEndpoint()).data.subscription_id;
    assert.match((await api.setEndpointSubscriptionId(null)).message, /Removed/);
    assert.equal((await api.getEndpoint()).data.subscription_id, null);
    await api.setEndpointSubscriptionId(subscription);
  });

  test('TransferClient.getEndpoint describes the endpoint and its collections', async () => {
    const endpoint = await transfer().getEndpoint(server.endpointId);
    assert.equal(endpoint.entity_type, 'GCSv5_endpoint');
    assert.equal(endpoint.gcs_manager_url, server.url);
    assert.equal((await transfer().getEndpoint(mappedId)).entity_type, 'GCSv5_mapped_collection');
    await assert.rejects(transfer().getEndpoint('00000000-0000-4000-8000-000000000000'), (e: unknown) => e instanceof TransferAPIError && e.httpStatus === 404);
  });

  test('roles: create, get, list (own / all_roles, endpoint / collection), delete', async () => {
    const api = gcs(admin.token);
    const monitor = (await api.createRole(new GCSRoleDocument({ role: 'activity_monitor', principal: urn(user.id) }))).data;
    assert.equal(monitor.collection, null);
    assert.deepEqual((await api.getRole(monitor.id)).data, monitor);
    assert.ok((await api.getRoleList({ include: 'all_roles' }).toArray()).some((r) => r.id === monitor.id));
    assert.deepEqual(
      (await gcs(user.token).getRoleList().toArray()).map((r) => r.id),
      [monitor.id],
      "by default only the caller's own roles",
    );

    const manager = (await api.createRole(new GCSRoleDocument({ role: 'access_manager', collection: mappedId, principal: urn(user.id) }))).data;
    assert.equal(manager.collection, mappedId);
    const onMapped = await api.getRoleList({ collectionId: mappedId, include: 'all_roles' }).toArray();
    assert.deepEqual(onMapped.map((r) => r.role).sort(), ['access_manager', 'administrator']);

    for (const role of [monitor, manager]) assert.match((await api.deleteRole(role.id)).message, /Deleted role/);
    assert.equal((await gcsError(api.getRole(monitor.id))).httpStatus, 403, 'unknown roles answer 403, as in GCS');
  });

  test('nodes: list, get, create, PATCH, PUT, delete', async () => {
    const api = gcs(admin.token);
    const [local] = await api.getNodeList().toArray();
    assert.equal((await api.getNode(local.id)).data.status, 'active');
    const node = (await api.createNode({ DATA_TYPE: 'node#1.3.0', ip_addresses: ['192.0.2.10'], status: 'active' })).data;
    assert.equal((await api.updateNode(node.id, { status: 'inactive' }, { include: 'node' })).data.status, 'inactive');
    assert.deepEqual((await api.putNode(node.id, { ip_addresses: ['192.0.2.11'], status: 'active' }, { include: 'node' })).data.ip_addresses, ['192.0.2.11']);
    assert.equal((await api.getNodeList().toArray()).length, 2);
    await api.deleteNode(node.id);
    assert.equal((await gcsError(api.getNode(node.id))).httpStatus, 404);
  });

  test('storage gateways: list, get with private policies and accounts, PATCH, PUT, delete', async () => {
    const api = gcs(admin.token);
    assert.ok((await api.getStorageGatewayList().toArray()).some((g) => g.id === gatewayId));
    const got = await api.getStorageGateway(gatewayId, { include: ['private_policies', 'accounts'] });
    assert.equal(got.data.identity_mappings?.length, 1);
    assert.deepEqual(
      got.full.data.filter((d) => d.DATA_TYPE.startsWith('account#')).map((a) => a.username),
      [localName(admin)],
    );
    assert.equal((await api.getStorageGateway(gatewayId)).data.identity_mappings, undefined, 'private fields need include=private_policies');

    const spare = (await api.createStorageGateway(gateway())).data;
    const patched = await api.updateStorageGateway(spare.id, new StorageGatewayDocument({ displayName: 'Patched', usersDeny: ['root'] }));
    assert.equal(patched.data.display_name, 'Patched');
    assert.deepEqual(patched.data.users_deny, ['root']);
    const put = await api.putStorageGateway(spare.id, new StorageGatewayDocument({ displayName: 'Put' }));
    assert.deepEqual(put.data.users_deny, [], 'PUT reverts absent fields');
    await api.deleteStorageGateway(spare.id);
    assert.equal((await gcsError(api.getStorageGateway(spare.id))).httpStatus, 404);
  });

  test('user credentials: create, list by storage_gateway, get, PATCH, PUT, delete', async () => {
    const api = gcs(user.token);
    const created = (await api.createUserCredential(new UserCredentialDocument({ storageGatewayId: gatewayId, username: localName(user) }))).data;
    assert.equal(created.identity_id, user.id);
    assert.equal((await gcsError(api.createUserCredential(new UserCredentialDocument({ storageGatewayId: gatewayId })))).httpStatus, 409);
    assert.deepEqual(
      (await api.getUserCredentialList({ storageGateway: gatewayId }).toArray()).map((c) => c.id),
      [created.id],
    );
    assert.deepEqual(await api.getUserCredentialList({ storageGateway: '00000000-0000-4000-8000-000000000000' }).toArray(), []);
    assert.equal((await api.getUserCredential(created.id)).data.username, localName(user));
    assert.equal((await api.updateUserCredential(created.id, new UserCredentialDocument({ displayName: 'mine' }))).data.display_name, 'mine');
    assert.equal((await api.putUserCredential(created.id, new UserCredentialDocument({ displayName: 'replaced' }))).data.display_name, 'replaced');
    await api.deleteUserCredential(created.id);
    assert.equal((await gcsError(api.getUserCredential(created.id))).httpStatus, 404);
  });

  test('collections: guest creation, filters, PATCH, PUT, owner strings, owner, checks, verification, batch and single delete', async () => {
    const api = gcs(admin.token);
    const sharer = gcs(await tokenWith(server, user, dataAccess(mappedId)));
    await sharer.createUserCredential(new UserCredentialDocument({ storageGatewayId: gatewayId, username: localName(user) }));
    const guest = (
      await sharer.createCollection(
        new GuestCollectionDocument({ mappedCollectionId: mappedId, collectionBasePath: '/', displayName: 'guest', public: 'True' }),
      )
    ).data;
    assert.equal(guest.collection_type, 'guest');
    const spare = (
      await sharer.createCollection(new GuestCollectionDocument({ mappedCollectionId: mappedId, collectionBasePath: '/', displayName: 'spare', public: true }))
    ).data;

    const ids = async (client: GCSClient, options: Parameters<GCSClient['getCollectionList']>[0]) =>
      (await client.getCollectionList(options).toArray()).map((c) => c.id).sort();
    assert.deepEqual(await ids(sharer, { filter: 'created_by_me' }), [guest.id, spare.id].sort());
    assert.deepEqual(await ids(api, { filter: ['mapped_collections'] }), [mappedId]);
    assert.deepEqual(await ids(api, { mappedCollectionId: mappedId }), [guest.id, spare.id].sort());
    assert.deepEqual(await ids(api, { filter: ['guest_collections', 'created_by_me'] }), []);
    const privateView = (await api.getCollectionList({ filter: 'mapped_collections', include: 'private_policies' }).toArray())[0];
    assert.ok('sharing_groups_allow' in privateView.policies, 'administrators see private policies on request');

    const mapped = await api.updateCollection(mappedId, new MappedCollectionDocument({ description: 'project data', sharingUsersDeny: ['root'] }));
    assert.equal(mapped.data.description, 'project data');
    assert.deepEqual((await api.getCollection(mappedId, { include: 'private_policies' })).data.sharing_users_deny, ['root']);
    const put = await sharer.putCollection(guest.id, new GuestCollectionDocument({ displayName: 'renamed', public: 'False' }));
    assert.equal(put.data.display_name, 'renamed');
    assert.equal(put.data.public, false);

    assert.match((await sharer.setCollectionOwnerString(guest.id, user.id)).message, new RegExp(user.username));
    assert.match((await sharer.resetCollectionOwnerString(guest.id)).message, /Reset/);

    assert.equal((await api.checkCollection(mappedId)).data.error, null);
    assert.ok((await api.checkCollections({ filter: 'guest_collections' }).toArray()).every((c) => [guest.id, spare.id].includes(c.id)));
    assert.equal((await api.setSubscriptionAdminVerified(mappedId, true)).data.subscription_admin_verified, true);
    const newOwner = await makeActor(server, 'mapped owner');
    assert.equal((await api.setCollectionOwner(mappedId, newOwner.id)).data.identity_id, newOwner.id);

    assert.equal((await sharer.batchDeleteCollections([spare.id])).http_response_code, 202);
    assert.equal((await gcsError(api.getCollection(spare.id))).httpStatus, 404);
    assert.match((await sharer.deleteCollection(guest.id)).message, /Deleted collection/);
    assert.equal((await gcsError(api.deleteCollection(mappedId))).httpStatus, 409, 'mapped collections are delete protected by default');
  });

  test('domains: endpoint and collection custom host names', async () => {
    const api = gcs(admin.token);
    assert.equal((await gcsError(api.getEndpointDomain())).httpStatus, 404);
    await api.setEndpointDomain({ domain_name: 'data.example.org', wildcard: false });
    assert.equal((await api.getEndpointDomain()).data.domain_name, 'data.example.org');
    await api.deleteEndpointDomain();
    await api.setCollectionDomain(mappedId, { domain_name: 'project.example.org', wildcard: false });
    assert.equal((await api.getCollectionDomain(mappedId)).data.domain_name, 'project.example.org');
    await api.deleteCollectionDomain(mappedId);
    assert.equal((await gcsError(api.getCollectionDomain(mappedId))).httpStatus, 404);
  });

  test('sharing policies: create, list (by username), get, delete', async () => {
    const api = gcs(admin.token);
    const doc = new SharingPolicyDocument({
      collectionId: mappedId,
      users: ['alice'],
      sharingRestrictPaths: pathRestrictions({ readWrite: ['/projects/alice/'] }),
    });
    const created = await api.createSharingPolicy(doc);
    assert.equal(created.httpStatus, 201);
    const policy = created.data;
    assert.deepEqual(policy.sharing_restrict_paths.read_write, ['/projects/alice/']);
    assert.deepEqual(
      (await api.getSharingPolicyList(mappedId).toArray()).map((p) => p.id),
      [policy.id],
    );
    assert.deepEqual(await api.getSharingPolicyList(mappedId, { username: 'bob' }).toArray(), []);
    assert.deepEqual((await api.getSharingPolicy(policy.id)).data, policy);
    await api.deleteSharingPolicy(policy.id);
    assert.equal((await gcsError(api.getSharingPolicy(policy.id))).httpStatus, 404);
  });

  test('errors: a 403 names the missing role; a missing data_access consent carries authorization parameters', async () => {
    const nobody = gcs(user.token);
    const denied = await gcsError(nobody.createStorageGateway(gateway()));
    assert.equal(denied.httpStatus, 403);
    assert.equal(denied.code, 'permission_denied');
    assert.equal(denied.detailDataType, 'missing_required_role#1.0.0');
    assert.deepEqual(
      missingRequiredRoles(denied)
        ?.map((r) => r.role)
        .sort(),
      ['administrator', 'owner'],
    );
    const onCollection = await gcsError(nobody.updateCollection(mappedId, new MappedCollectionDocument({ description: 'x' })));
    assert.ok(missingRequiredRoles(onCollection)?.some((r) => r.role === 'administrator' && r.collection === mappedId));
    assert.equal(missingRequiredRoles(await gcsError(nobody.getCollection('00000000-0000-4000-8000-000000000000'))), undefined, 'a 404 is not a role problem');

    // The token has manage_collections but not the dependent data_access consent.
    const consent = await gcsError(
      nobody.createCollection(new GuestCollectionDocument({ mappedCollectionId: mappedId, collectionBasePath: '/', displayName: 'g', public: true })),
    );
    assert.equal(consent.httpStatus, 403);
    assert.equal(consent.detailDataType, 'missing_required_scopes#1.0.0');
    const required = `${manageScope(server)}[${dataAccess(mappedId)}]`;
    assert.deepEqual(consent.authorizationParameters?.requiredScopes, [required]);
    assert.deepEqual(consent.info.authorizationParameters?.requiredScopes, [required]);
    assert.match(consent.authorizationParameters?.sessionMessage ?? '', /data_access|consent/i);
  });
});
