// Auth's two error catalogues: OAuth2 (RFC 6749 codes, /v2/oauth2 and /v2/web) and the identity API (upper-case codes, /v2/api).
import { defineErrors, neutralEntries } from '../http/error-catalogue.ts';

/** The codes of `/v2/oauth2/*`: RFC 6749 §5.2 and the Globus additions clients branch on; other statuses keep their neutral names. */
export const oauthErrors = defineErrors(
  'oauth',
  {
    invalid_request: { status: 400, message: 'The request is missing a parameter or is malformed' },
    invalid_client: { status: 401, message: 'Client authentication failed' },
    invalid_grant: { status: 400, message: 'The grant is invalid, expired or revoked' },
    unauthorized_client: { status: 400, message: 'This client may not use this grant type' },
    unsupported_grant_type: { status: 400, message: 'Unsupported grant type' },
    unsupported_response_type: { status: 400, message: 'Unsupported response type' },
    invalid_scope: { status: 400, message: 'Unknown or invalid scope' },
    dependent_consent_required: { status: 400, message: 'A dependent scope has not been consented to' },
    invalid_token: { status: 401, message: 'Missing or invalid access token' },
    ...neutralEntries((code) => code),
  },
  {
    codes: [
      'invalid_request',
      'invalid_token',
      'forbidden',
      'not_found',
      'method_not_allowed',
      'not_acceptable',
      'request_timeout',
      'conflict',
      'too_many_requests',
      'request_header_fields_too_large',
      'service_unavailable',
    ],
    // A body or URL too large for the form is a malformed request in OAuth's words.
    also: { 413: 'invalid_request', 414: 'invalid_request', 415: 'invalid_request' },
    fallback: 'invalid_request',
  },
);

/** The codes of `/v2/api/*` (identities, clients, policies): the neutral ones, upper-cased, each its status's own. */
const authApiEntries = neutralEntries((code) => code.toUpperCase() as Uppercase<typeof code>);
export const authApiErrors = defineErrors('auth', authApiEntries, {
  codes: Object.keys(authApiEntries) as (keyof typeof authApiEntries)[],
  fallback: 'BAD_REQUEST',
});

export type OAuthCode = Parameters<typeof oauthErrors.error>[0];
export type AuthApiCode = Parameters<typeof authApiErrors.error>[0];
