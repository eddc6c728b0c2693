// A user credential refused for an old sign-in asks the client to log in again with everything the gateway needs (one re-login error builder).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { storeName } from './helpers/server.ts';
import { api, makeActor, startGcsWorld, type GcsWorld } from './helpers/gcs.ts';
import { hashToken } from '../src/auth/secrets.ts';

describe(`user credentials behind a gateway's authentication timeout (${storeName})`, () => {
  let world: GcsWorld;
  before(async () => {
    world = await startGcsWorld();
  });
  after(() => world?.server.stop());

  test('the 403 names the identities and whether MFA is required, like every other gateway refusal', async () => {
    const { server, admin, gatewayId } = world;
    const patched = await api(server, admin.token, 'PATCH', `/api/storage_gateways/${gatewayId}`, { authentication_timeout_mins: 1 });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const stale = await makeActor(server, 'signed in long ago');
    // A client identity's sign-in is its token's issue time: move it two hours back.
    const twoHoursAgo = Math.floor(Date.now() / 1000) - 7200;
    await server.store.db.updateTable('access_tokens').set({ issued_at: twoHoursAgo }).where('token_hash', '=', hashToken(stale.token)).execute();
    const res = await api(server, stale.token, 'POST', '/api/user_credentials', { storage_gateway_id: gatewayId });
    assert.equal(res.status, 403, JSON.stringify(res.body));
    assert.equal(res.body.detail.DATA_TYPE, 'authentication_timeout#1.1.0');
    assert.deepEqual(res.body.authorization_parameters, {
      session_message: 'Re-authenticate to use this storage gateway',
      session_required_identities: [stale.id],
      session_required_mfa: false,
    });
  });
});
