// Transfer's error layout ("type zero"): {code, message, request_id, resource}.
import type { ApiError, ErrorRequest } from '../http/errors.ts';
import { transferErrors } from './errors.ts';

/**
 * Errors from Transfer's catalogue keep their code; any other (framework, a shared module) gets the
 * catalogue's code for its status. Extra members (ConsentRequired's `required_scopes`,
 * `authorization_parameters`) sit beside `code`, where the CLI and SDKs read them.
 */
export function renderTransferError(error: ApiError, request: ErrorRequest) {
  const code = transferErrors.codeOf(error);
  return { ...error.extra, code, message: error.message, request_id: request.id, resource: request.url.split('?')[0] };
}
