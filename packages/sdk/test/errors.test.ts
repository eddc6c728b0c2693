// Error parsing for every body shape the Globus services send, built from real Response objects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GlobusAPIError, AuthAPIError, GCSAPIError, TransferAPIError, GroupsAPIError } from '../src/index.ts';

const json = (status: number, body: unknown, contentType = 'application/json') =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': contentType } });

test('Auth API error: code, message and request id from errors[]', async () => {
  const err = await AuthAPIError.fromResponse(
    json(401, {
      errors: [{ status: '401', id: 'req-123', code: 'UNAUTHORIZED', detail: 'Call must be authenticated', title: 'Unauthorized' }],
      error: 'unauthorized',
      error_description: 'Unauthorized',
    }),
    { method: 'GET', url: 'https://auth.example/v2/api/identities' },
  );
  assert.ok(err instanceof AuthAPIError && err instanceof GlobusAPIError && err instanceof Error);
  assert.equal(err.name, 'AuthAPIError');
  assert.equal(err.httpStatus, 401);
  assert.equal(err.code, 'UNAUTHORIZED');
  assert.equal(err.message, 'Call must be authenticated');
  assert.equal(err.requestId, 'req-123');
  assert.equal(err.errors.length, 1);
  assert.equal(err.errors[0].code, 'UNAUTHORIZED');
  assert.equal(err.errors[0].status, '401');
  assert.equal(err.method, 'GET');
  assert.equal(err.authorizationParameters, undefined);
  assert.equal((err.raw as { error: string }).error, 'unauthorized');
});

test('OAuth error: error/error_description', async () => {
  const err = await AuthAPIError.fromResponse(json(400, { error: 'invalid_grant', error_description: 'code expired' }));
  assert.equal(err.code, 'invalid_grant');
  assert.equal(err.message, 'code expired');
  assert.equal(err.errors[0].message, 'code expired');
});

test('GCS result envelope with string detail', async () => {
  const err = await GCSAPIError.fromResponse(
    json(404, { DATA_TYPE: 'result#1.0.0', code: 'not_found', detail: 'Collection abc not found', http_response_code: 404, data: [] }),
  );
  assert.equal(err.code, 'not_found');
  assert.equal(err.message, 'Collection abc not found');
  assert.equal(err.detail, 'Collection abc not found');
  assert.equal(err.detailDataType, undefined);
});

test('GCS envelope with a detail document and a GARE', async () => {
  const body = {
    DATA_TYPE: 'result#1.1.0',
    code: 'permission_denied',
    http_response_code: 403,
    message: 'You need to authenticate with example.org',
    detail: { DATA_TYPE: 'authentication_timeout#1.1.0', identities: ['id-1'], require_mfa: false },
    authorization_parameters: {
      session_message: 'log in again',
      session_required_identities: ['id-1'],
      session_required_policies: 'p1,p2',
      session_required_mfa: true,
      required_scopes: ['urn:globus:auth:scope:ep:manage_collections'],
      prompt: 'login',
    },
    data: [{ DATA_TYPE: 'authentication_timeout#1.1.0' }],
  };
  const err = await GCSAPIError.fromResponse(json(403, body));
  assert.equal(err.code, 'permission_denied');
  assert.equal(err.message, 'You need to authenticate with example.org');
  assert.equal(err.detailDataType, 'authentication_timeout#1.1.0');
  assert.equal(err.data.length, 1);
  assert.deepEqual(err.authorizationParameters?.sessionRequiredPolicies, ['p1', 'p2']);
  assert.deepEqual(err.authorizationParameters?.sessionRequiredIdentities, ['id-1']);
  assert.equal(err.authorizationParameters?.sessionRequiredMfa, true);
  assert.equal(err.authorizationParameters?.prompt, 'login');
  assert.deepEqual(err.authorizationParameters?.requiredScopes, ['urn:globus:auth:scope:ep:manage_collections']);
  assert.ok(err.info.authorizationParameters);
  assert.equal(err.info.consentRequired, undefined);
  assert.equal(err.isAuthorizationRequired, true);
});

test('GCS detail document of type authorization_parameters is a GARE even without a root object', async () => {
  const err = await GCSAPIError.fromResponse(
    json(403, {
      DATA_TYPE: 'result#1.0.0',
      code: 'permission_denied',
      http_response_code: 403,
      detail: { DATA_TYPE: 'authorization_parameters#1.0.0', session_required_single_domain: ['example.org'] },
    }),
  );
  assert.equal(err.message, 'HTTP 403');
  assert.deepEqual(err.authorizationParameters?.sessionRequiredSingleDomain, ['example.org']);
  assert.equal(err.info.authorizationParameters, undefined);
});

test('Transfer/Groups style: code, message, request_id', async () => {
  const err = await TransferAPIError.fromResponse(
    json(404, { code: 'EndpointNotFound', message: "No such endpoint 'x'", request_id: 'abc123', resource: '/endpoint/x' }),
  );
  assert.equal(err.code, 'EndpointNotFound');
  assert.equal(err.message, "No such endpoint 'x'");
  assert.equal(err.requestId, 'abc123');
  const g = await GroupsAPIError.fromResponse(json(409, { code: 'CONFLICT', detail: 'already a member' }));
  assert.equal(g.code, 'CONFLICT');
  assert.equal(g.message, 'already a member');
});

test('legacy consent-required forms', async () => {
  const a = await TransferAPIError.fromResponse(
    json(403, { code: 'ConsentRequired', message: 'Missing required data_access consent', request_id: 'r', required_scopes: ['s1', 's2'] }),
  );
  assert.deepEqual(a.info.consentRequired, { requiredScopes: ['s1', 's2'] });
  assert.deepEqual(a.authorizationParameters?.requiredScopes, ['s1', 's2']);
  const b = await GlobusAPIError.fromResponse(json(403, { code: 'ConsentRequired', required_scope: 'only' }));
  assert.deepEqual(b.authorizationParameters?.requiredScopes, ['only']);
  const c = await AuthAPIError.fromResponse(
    json(400, { error: 'dependent_consent_required', errors: [{ code: 'DEPENDENT_CONSENT_REQUIRED', unapproved_scopes: ['dep'] }] }),
  );
  assert.deepEqual(c.authorizationParameters?.requiredScopes, ['dep']);
  assert.equal(c.code, 'DEPENDENT_CONSENT_REQUIRED');
  const none = await GlobusAPIError.fromResponse(json(403, { code: 'ConsentRequired', message: 'no scopes given' }));
  assert.equal(none.authorizationParameters, undefined);
});

test('GARE inside a sub-error is found', async () => {
  const err = await GlobusAPIError.fromResponse(
    json(403, {
      errors: [
        { code: 'X', detail: 'first' },
        { code: 'Y', authorization_parameters: { session_required_mfa: true } },
      ],
    }),
  );
  assert.equal(err.code, undefined, 'sub-errors disagree, so no single code');
  assert.equal(err.message, 'first');
  assert.deepEqual(err.messages, ['first']);
  assert.equal(err.authorizationParameters?.sessionRequiredMfa, true);
});

test('JSON:API bodies', async () => {
  const err = await GlobusAPIError.fromResponse(
    json(
      422,
      {
        errors: [
          { code: 'INVALID', detail: 'bad a' },
          { code: 'INVALID', title: 'bad b' },
        ],
      },
      'application/vnd.api+json',
    ),
  );
  assert.equal(err.code, 'INVALID');
  assert.deepEqual(err.messages, ['bad a', 'bad b']);
  assert.equal(err.message, 'bad a; bad b');
});

test('non-JSON bodies: no code, status text kept', async () => {
  const html = await GlobusAPIError.fromResponse(new Response('<html>bad gateway</html>', { status: 502, headers: { 'Content-Type': 'text/html' } }));
  assert.equal(html.code, undefined);
  assert.equal(html.raw, undefined);
  assert.equal(html.httpStatus, 502);
  assert.equal(html.text, '<html>bad gateway</html>');
  const plain = await GlobusAPIError.fromResponse(new Response('rate limited', { status: 429 }));
  assert.equal(plain.message, 'rate limited');
  const broken = await GlobusAPIError.fromResponse(new Response('{not json', { status: 500, headers: { 'Content-Type': 'application/json' } }));
  assert.equal(broken.raw, undefined);
  assert.equal(broken.message, '{not json');
  assert.match(String(broken), /GlobusAPIError: \(500, Error\)/);
});
