// GCS document builders and GCSClient addressing: wire shapes only, no server needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CONNECTOR_IDS,
  EndpointDocument,
  GCSClient,
  GCSRoleDocument,
  GuestCollectionDocument,
  MappedCollectionDocument,
  POSIXCollectionPolicies,
  POSIXStoragePolicies,
  SharingPolicyDocument,
  StorageGatewayDocument,
  UnpackingGCSResponse,
  UserCredentialDocument,
  GlobusError,
  pathRestrictions,
} from '../src/index.ts';

const wire = (doc: unknown) => JSON.parse(JSON.stringify(doc));

test('GCSClient addresses https://<address>/api/ as the Python SDK does', () => {
  assert.equal(new GCSClient('gcs.example.org').baseUrl, 'https://gcs.example.org/api/');
  assert.equal(new GCSClient('127.0.0.1:8443').baseUrl, 'https://127.0.0.1:8443/api/');
  assert.equal(new GCSClient('https://gcs.example.org:8443/').baseUrl, 'https://gcs.example.org:8443/api/');
  assert.equal(new GCSClient('https://gcs.example.org/api').baseUrl, 'https://gcs.example.org/api/');
  assert.equal(new GCSClient('ignored', { baseUrl: 'https://elsewhere/api/' }).baseUrl, 'https://elsewhere/api/');
  assert.equal(String(GCSClient.getGcsEndpointScopes('ep').manage_collections), 'urn:globus:auth:scope:ep:manage_collections');
  assert.equal(String(GCSClient.getGcsCollectionScopes('c').data_access), 'https://auth.globus.org/scopes/c/data_access');
});

test('collection documents: newest version, collection_type always, string booleans, undefined dropped, null kept', () => {
  const guest = new GuestCollectionDocument({
    public: 'True',
    collectionBasePath: '/',
    displayName: 'guest_collection',
    mappedCollectionId: 'm',
    description: undefined,
    userCredentialId: undefined,
  });
  assert.deepEqual(wire(guest), {
    DATA_TYPE: 'collection#1.16.0',
    collection_type: 'guest',
    public: true,
    collection_base_path: '/',
    display_name: 'guest_collection',
    mapped_collection_id: 'm',
  });
  const mapped = new MappedCollectionDocument({
    storageGatewayId: 'sg',
    allowGuestCollections: 'false',
    enableHttps: false,
    httpsMethods: ['GET'],
    description: null,
    sharingRestrictPaths: pathRestrictions({ readWrite: ['/projects/'], none: ['/projects/secret/'] }),
    policies: new POSIXCollectionPolicies({ sharingGroupsAllow: ['staff'] }),
    additionalFields: { some_future_field: 1 },
  });
  assert.deepEqual(wire(mapped), {
    DATA_TYPE: 'collection#1.16.0',
    collection_type: 'mapped',
    storage_gateway_id: 'sg',
    allow_guest_collections: false,
    enable_https: false,
    https_methods: ['GET'],
    description: null,
    sharing_restrict_paths: { DATA_TYPE: 'path_restrictions#1.0.0', read_write: ['/projects/'], none: ['/projects/secret/'] },
    policies: { DATA_TYPE: 'posix_collection_policies#1.1.0', sharing_groups_allow: ['staff'] },
    some_future_field: 1,
  });
  assert.throws(() => new MappedCollectionDocument({ public: 'maybe' }), /public must be a boolean/);
});

test('gateway, credential, role, endpoint and sharing-policy documents', () => {
  assert.deepEqual(
    wire(
      new StorageGatewayDocument({
        displayName: 'FS',
        connectorId: CONNECTOR_IDS.POSIX,
        highAssurance: 'False',
        allowedDomains: ['example.org'],
        policies: new POSIXStoragePolicies({ groupsDeny: ['wheel'] }),
      }),
    ),
    {
      DATA_TYPE: 'storage_gateway#1.3.0',
      display_name: 'FS',
      connector_id: '145812c8-decc-41f1-83cf-bb2a85a2a70b',
      high_assurance: false,
      allowed_domains: ['example.org'],
      policies: { DATA_TYPE: 'posix_storage_policies#1.0.0', groups_deny: ['wheel'] },
    },
  );
  assert.deepEqual(wire(new UserCredentialDocument({ storageGatewayId: 'sg', identityId: 'id', username: 'alice' })), {
    DATA_TYPE: 'user_credential#1.0.0',
    storage_gateway_id: 'sg',
    identity_id: 'id',
    username: 'alice',
  });
  assert.deepEqual(wire(new GCSRoleDocument({ role: 'administrator', principal: 'urn:globus:auth:identity:x' })), {
    DATA_TYPE: 'role#1.0.0',
    role: 'administrator',
    principal: 'urn:globus:auth:identity:x',
  });
  assert.deepEqual(wire(new EndpointDocument({ displayName: 'EP', public: 'TRUE', allowUdt: '0', gridftpControlChannelPort: 2811, subscriptionId: null })), {
    DATA_TYPE: 'endpoint#1.2.0',
    display_name: 'EP',
    public: true,
    allow_udt: false,
    gridftp_control_channel_port: 2811,
    subscription_id: null,
  });
  assert.deepEqual(wire(new SharingPolicyDocument({ collectionId: 'c', users: null, sharingRestrictPaths: pathRestrictions({ read: ['/'] }) })), {
    DATA_TYPE: 'sharing_policy#1.0.0',
    collection_id: 'c',
    users: null,
    sharing_restrict_paths: { DATA_TYPE: 'path_restrictions#1.0.0', read: ['/'] },
  });
});

test('UnpackingGCSResponse takes the first document of the expected name, any version', () => {
  const envelope = {
    DATA_TYPE: 'result#1.1.0',
    code: 'success',
    http_response_code: 200,
    detail: 'success',
    message: 'Operation successful',
    has_next_page: false,
    data: [
      { DATA_TYPE: 'connector#1.1.0', id: 'c' },
      { DATA_TYPE: 'info#1.0.0', client_id: 'first' },
      { DATA_TYPE: 'info#9.9.9', client_id: 'second' },
    ],
  };
  const response = new UnpackingGCSResponse(envelope, 'info');
  assert.equal(response.data.client_id, 'first');
  assert.equal(response.documents.length, 2);
  assert.equal(response.httpStatus, 200);
  assert.equal(response.full, envelope);
  assert.throws(
    () => new UnpackingGCSResponse(envelope, 'endpoint').data,
    (e: unknown) => e instanceof GlobusError && /no endpoint document/.test(e.message),
  );
});
