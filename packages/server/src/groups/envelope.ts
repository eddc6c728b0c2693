// Groups error bodies: {code, detail, message} (BaseErrorModel plus `message` for the JS SDK's well-formed check).
import type { ApiError, ErrorRequest } from '../http/errors.ts';
import { groupsErrors } from './errors.ts';

/** Codes from the Groups catalogue stay; framework and shared-module errors get the catalogue's code for their status. */
export function renderGroupsError(error: ApiError, request: ErrorRequest) {
  const code = groupsErrors.codeOf(error);
  return { code, detail: error.message, message: error.message, request_id: request.id, ...error.extra };
}
