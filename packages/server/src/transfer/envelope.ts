// Transfer's error layout ("type zero"): {code, message, request_id, resource}.
import type { ApiError, ErrorRequest } from '../http/errors.ts';

const CODE_BY_STATUS: Record<number, string> = {
  400: 'BadRequest',
  401: 'AuthenticationFailed',
  403: 'PermissionDenied',
  404: 'ClientError.NotFound',
  405: 'ClientError.BadMethod',
  409: 'Conflict',
  415: 'BadRequest',
  429: 'RequestLimitExceeded',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

/**
 * ApiErrors thrown with a Transfer code keep it; framework errors get the code for their status.
 * Extra members (ConsentRequired's `required_scopes`, `authorization_parameters`) sit beside `code`,
 * where the CLI and SDKs read them.
 */
export function renderTransferError(error: ApiError, request: ErrorRequest) {
  const code = /^[A-Z]/.test(error.code) ? error.code : (CODE_BY_STATUS[error.status] ?? 'BadRequest');
  return { ...error.extra, code, message: error.message, request_id: request.id, resource: request.url.split('?')[0] };
}
