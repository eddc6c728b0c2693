// Transfer's error layout ("type zero"): {code, message, request_id, resource}.
import type { ApiError, ErrorRequest } from '../http/errors.ts';
import { taskErrorCode, transferErrors } from './errors.ts';

/**
 * Errors from Transfer's catalogue keep their code; any other (framework, a shared module) gets the
 * catalogue's code for its status. Extra members (ConsentRequired's `required_scopes`,
 * `authorization_parameters`) sit beside `code`, where the CLI and SDKs read them.
 */
export function renderTransferError(error: ApiError, request: ErrorRequest) {
  const code = transferErrors.codeOf(error);
  return { ...error.extra, code, message: error.message, request_id: request.id, resource: resourceOf(request.url) };
}

/** The task routes' envelope: the same layout, with §0.2's `ClientError.*` codes for framework errors (400, 404). */
export function renderTaskError(error: ApiError, request: ErrorRequest) {
  return { ...error.extra, code: taskErrorCode(error), message: error.message, request_id: request.id, resource: resourceOf(request.url) };
}

/** The path without the query and without the `/v0.10` prefix (spec transfer-tasks.md §0.2). */
export function resourceOf(url: string): string {
  return url.split('?')[0].replace(/^\/v0\.10(?=\/)/, '');
}
