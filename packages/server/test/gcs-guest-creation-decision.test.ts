// decideGuestCreation: the preconditions of spec semantics.md §7 in order, as a pure decision over loaded facts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideGuestCreation, type GuestCreationInput } from '../src/authz/guest-creation.ts';

const GATEWAY = '11111111-1111-4111-8111-111111111111';
const ME = '22222222-2222-4222-8222-222222222222';
const NOW = 1_800_000_000;

function facts(over: Partial<GuestCreationInput> = {}): GuestCreationInput {
  return {
    mappedId: '33333333-3333-4333-8333-333333333333',
    mapped: { collection_type: 'mapped', storage_gateway_id: GATEWAY, settings: { allow_guest_collections: true }, root: '/data' },
    endpointSubscriptionId: 'sub',
    gateway: { connector_id: 'posix', identity_mappings: [], allowed_domains: ['example.org'] } as unknown as GuestCreationInput['gateway'],
    dataAccessConsent: true,
    identityId: ME,
    identitySet: [ME],
    identity: { id: ME, username: 'alice@example.org', identity_type: 'user' } as unknown as GuestCreationInput['identity'],
    auth: { authenticatedAt: NOW - 10, issuedAt: NOW - 10 },
    credentials: [{ id: 'c1', identity_id: ME, storage_gateway_id: GATEWAY, username: 'alice', invalid: false }],
    basePath: '/projects',
    sharingPolicies: [],
    realBase: { ok: true, base: null },
    documentInvalid: false,
    requested: {},
    counts: { ownedByIdentity: 0, onMappedCollection: 0 },
    now: NOW,
    ...over,
  };
}

test('guest creation: the first failed precondition answers, in the order of semantics.md §7', () => {
  const reason = (over: Partial<GuestCreationInput>) => {
    const d = decideGuestCreation(facts(over));
    return d.allowed ? 'allowed' : d.reason;
  };
  assert.equal(reason({ mapped: undefined, endpointSubscriptionId: null }), 'mapped_collection_not_found');
  assert.equal(reason({ endpointSubscriptionId: null, gateway: undefined }), 'subscription_required');
  assert.equal(
    reason({ mapped: { collection_type: 'mapped', storage_gateway_id: GATEWAY, settings: {}, root: '/data' }, gateway: undefined }),
    'guests_not_allowed',
  );
  assert.equal(reason({ gateway: undefined, dataAccessConsent: false }), 'storage_gateway_not_found');
  assert.equal(reason({ dataAccessConsent: false, identitySet: [] }), 'missing_data_access');
  assert.equal(reason({ identitySet: [] }), 'id_not_in_identity_set');
  assert.equal(reason({ auth: { authenticatedAt: 0, issuedAt: 0 }, credentials: [] }), 'gateway_identity');
  assert.equal(reason({ credentials: [] }), 'credential_not_found');
  assert.equal(reason({ requestedCredentialId: 'nope' }), 'invalid_credential');
  assert.equal(reason({ basePath: '/../..', counts: { ownedByIdentity: 1e9, onMappedCollection: 0 } }), 'invalid_base_path');
  assert.equal(reason({ realBase: { ok: false }, documentInvalid: true }), 'not_shareable');
  assert.equal(reason({ documentInvalid: true, requested: { enable_https: true } }), 'invalid_document');
  assert.equal(reason({ counts: { ownedByIdentity: 1e9, onMappedCollection: 0 } }), 'limit_exceeded');
});

test('guest creation: an admitted creation names the credential, the account and the normalised base path', () => {
  const d = decideGuestCreation(facts({ basePath: 'projects/./a/' }));
  assert.ok(d.allowed);
  assert.equal(d.credential.id, 'c1');
  assert.equal(d.relative, '/projects/a');
});
