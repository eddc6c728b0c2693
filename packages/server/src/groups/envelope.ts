// Groups error bodies: {code, detail, message} (BaseErrorModel plus `message` for the JS SDK's well-formed check).
import type { ApiError, ErrorRequest } from '../http/errors.ts';

const CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'AUTHENTICATION_ERROR',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  422: 'UNPROCESSABLE',
  429: 'TOO_MANY_REQUESTS',
  503: 'SERVICE_UNAVAILABLE',
};

export function renderGroupsError(error: ApiError, request: ErrorRequest) {
  // Framework and shared-module codes are lower-case or Auth-flavoured; Groups codes are upper snake case.
  const own = /^[A-Z][A-Z0-9_]*$/.test(error.code);
  const code = own ? error.code : (CODE_BY_STATUS[error.status] ?? (error.status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST'));
  return { code, detail: error.message, message: error.message, request_id: request.id, ...error.extra };
}
