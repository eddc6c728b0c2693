// Auth error bodies: the Auth API layout, and OAuth2 (RFC 6749) errors carrying the same `errors` list.
import type { ApiError, ErrorReply, ErrorRequest } from '../http/errors.ts';
import { authApiErrors, oauthErrors } from './errors.ts';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
};

function body(error: ApiError, request: ErrorRequest, code: string, oauthError: string) {
  // Extra members of the first error (e.g. `unapproved_scopes`) join the standard ones.
  const { errors: extraErrors, ...rest } = error.extra as { errors?: Record<string, unknown>[] };
  const base = { status: String(error.status), id: request.id, code, detail: error.message, title: TITLES[error.status] ?? 'Error' };
  return { errors: [{ ...base, ...(extraErrors?.[0] ?? {}) }], error: oauthError, error_description: error.message, ...rest };
}

/** /v2/api/*: the identity API's upper-case codes (authApiErrors); errors from elsewhere by their status. */
export function renderAuthApiError(error: ApiError, request: ErrorRequest) {
  const code = authApiErrors.codeOf(error);
  return body(error, request, code, code.toLowerCase());
}

/** /v2/oauth2/*: RFC 6749 `error` codes (oauthErrors); errors from elsewhere by their status (a framework 400 is invalid_request). */
export function renderOAuthError(error: ApiError, request: ErrorRequest, reply: ErrorReply) {
  const code = oauthErrors.codeOf(error);
  if (code === 'invalid_client') reply.header('www-authenticate', 'Basic realm="gatehouse"');
  if (code === 'invalid_token') reply.header('www-authenticate', 'Bearer error="invalid_token"');
  return body(error, request, code, code);
}
