// Server and SDK name a scope's resource server the same way: the segment after the prefix, up to the next separator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { scopeResourceServer } from '@gatehouse/sdk';
import { resourceServerOf } from '../src/auth/scopes.ts';

test('resource server of a scope: the same answer from server and SDK, for every URN and URL form', () => {
  assert.equal(resourceServerOf('urn:globus:auth:scope:transfer.api.globus.org:all'), 'transfer.api.globus.org');
  // A name with a colon in it still belongs to the segment before it (the server once took the last colon).
  assert.equal(resourceServerOf('urn:globus:auth:scope:abc.example.org:x:y'), 'abc.example.org');
  assert.equal(resourceServerOf('https://auth.globus.org/scopes/5c2b0e3a-0000-4000-8000-000000000000/data_access'), '5c2b0e3a-0000-4000-8000-000000000000');
  assert.equal(resourceServerOf('openid'), 'auth.globus.org');
  assert.equal(resourceServerOf('custom'), undefined);
  const segment = fc.stringMatching(/^[a-z0-9.-]{1,20}$/);
  const scope = fc.oneof(
    fc.tuple(segment, fc.stringMatching(/^[a-z_:]{1,20}$/)).map(([rs, name]) => `urn:globus:auth:scope:${rs}:${name}`),
    fc.tuple(segment, fc.stringMatching(/^[a-z_/]{1,20}$/)).map(([rs, name]) => `https://auth.globus.org/scopes/${rs}/${name}`),
    fc.string(),
  );
  fc.assert(fc.property(scope, (s) => resourceServerOf(s) === scopeResourceServer(s)));
});
