// Auth's two error catalogues: OAuth2 (RFC 6749 codes, /v2/oauth2 and /v2/web) and the identity API (upper-case codes, /v2/api).
import { defineErrors } from '../http/error-catalogue.ts';

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
    forbidden: { status: 403, message: 'Forbidden' },
    not_found: { status: 404, message: 'Not found' },
    method_not_allowed: { status: 405, message: 'Method not allowed' },
    request_timeout: { status: 408, message: 'The request was not received in time' },
    conflict: { status: 409, message: 'Conflict' },
    too_many_requests: { status: 429, message: 'Too many requests' },
    request_header_fields_too_large: { status: 431, message: 'Request header fields too large' },
    internal_error: { status: 500, message: 'An internal error occurred' },
    service_unavailable: { status: 503, message: 'Service unavailable' },
  },
  {
    400: 'invalid_request',
    401: 'invalid_token',
    403: 'forbidden',
    404: 'not_found',
    405: 'method_not_allowed',
    408: 'request_timeout',
    409: 'conflict',
    413: 'invalid_request',
    414: 'invalid_request',
    415: 'invalid_request',
    429: 'too_many_requests',
    431: 'request_header_fields_too_large',
    503: 'service_unavailable',
  },
  'invalid_request',
);

/** The codes of `/v2/api/*` (identities, clients, policies). */
export const authApiErrors = defineErrors(
  'auth',
  {
    BAD_REQUEST: { status: 400, message: 'Bad request' },
    UNAUTHORIZED: { status: 401, message: 'Missing or invalid access token' },
    FORBIDDEN: { status: 403, message: 'Forbidden' },
    NOT_FOUND: { status: 404, message: 'Not found' },
    METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed' },
    REQUEST_TIMEOUT: { status: 408, message: 'The request was not received in time' },
    CONFLICT: { status: 409, message: 'Conflict' },
    PAYLOAD_TOO_LARGE: { status: 413, message: 'Payload too large' },
    URI_TOO_LONG: { status: 414, message: 'URI too long' },
    UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported media type' },
    TOO_MANY_REQUESTS: { status: 429, message: 'Too many requests' },
    REQUEST_HEADER_FIELDS_TOO_LARGE: { status: 431, message: 'Request header fields too large' },
    INTERNAL_ERROR: { status: 500, message: 'An internal error occurred' },
    SERVICE_UNAVAILABLE: { status: 503, message: 'Service unavailable' },
  },
  {
    400: 'BAD_REQUEST',
    401: 'UNAUTHORIZED',
    403: 'FORBIDDEN',
    404: 'NOT_FOUND',
    405: 'METHOD_NOT_ALLOWED',
    408: 'REQUEST_TIMEOUT',
    409: 'CONFLICT',
    413: 'PAYLOAD_TOO_LARGE',
    414: 'URI_TOO_LONG',
    415: 'UNSUPPORTED_MEDIA_TYPE',
    429: 'TOO_MANY_REQUESTS',
    431: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
    503: 'SERVICE_UNAVAILABLE',
  },
  'BAD_REQUEST',
);

export type OAuthCode = Parameters<typeof oauthErrors.error>[0];
export type AuthApiCode = Parameters<typeof authApiErrors.error>[0];
