// Transfer's error catalogue: every code the Transfer API answers with, its status and default message (spec transfer-and-data.md, transfer-tasks.md §0.2).
import { defineErrors } from '../http/error-catalogue.ts';

export const transferErrors = defineErrors(
  'transfer',
  {
    BadRequest: { status: 400, message: 'Bad request' },
    // The task routes' 400s (transfer-tasks.md §0.2).
    'ClientError.BadRequest': { status: 400, message: 'Bad request' },
    'ClientError.BadRequest.NoTransferItems': { status: 400, message: 'A transfer requires at least one item' },
    'ClientError.BadRequest.NoDeleteItems': { status: 400, message: 'A delete requires at least one item' },
    InvalidPath: { status: 400, message: 'Invalid path' },
    AuthenticationFailed: { status: 401, message: 'Missing or invalid access token' },
    // What globus-cli keys its login hint on; the task routes answer every 401 with it.
    'ClientError.AuthenticationFailed': { status: 401, message: 'Missing or invalid access token' },
    PermissionDenied: { status: 403, message: 'Permission denied' },
    ConsentRequired: { status: 403, message: 'Missing required data_access consent' },
    // A collection's session requirement (authentication timeout, allowed domains, guest auth policy), with authorization_parameters.
    AuthPolicyFailed: { status: 403, message: "The session does not meet the collection's authentication policy" },
    EndpointNotFound: { status: 404, message: 'No such endpoint' },
    UserNotFound: { status: 404, message: 'No such identity' },
    AccessRuleNotFound: { status: 404, message: 'Access rule not found' },
    'ClientError.NotFound': { status: 404, message: 'Not found' },
    'ClientError.BadMethod': { status: 405, message: 'Method not allowed' },
    Conflict: { status: 409, message: 'Conflict' },
    NotSupported: { status: 409, message: 'Not supported' },
    Exists: { status: 409, message: 'Already exists' },
    LimitExceeded: { status: 409, message: 'Limit exceeded' },
    // globus-cli keys on this one for `mkdir --exist-ok`.
    'ExternalError.MkdirFailed.Exists': { status: 409, message: 'The directory exists' },
    'ExternalError.DirListingFailed.NotDirectory': { status: 409, message: 'Not a directory' },
    // Storage failures: the status follows the cause (a 4xx of the connector, else 502).
    'ExternalError.DirListingFailed': { status: 502, message: 'Listing failed' },
    'ExternalError.StatFailed': { status: 502, message: 'Stat failed' },
    'ExternalError.MkdirFailed': { status: 502, message: 'Mkdir failed' },
    'ExternalError.RenameFailed': { status: 502, message: 'Rename failed' },
    'ExternalError.DeleteFailed': { status: 502, message: 'Delete failed' },
    RequestLimitExceeded: { status: 429, message: 'Too many requests' },
    InternalError: { status: 500, message: 'An internal error occurred' },
    ServiceUnavailable: { status: 503, message: 'Service unavailable' },
  },
  {
    codes: [
      'BadRequest',
      'AuthenticationFailed',
      'PermissionDenied',
      'ClientError.NotFound',
      'ClientError.BadMethod',
      'Conflict',
      'RequestLimitExceeded',
      'ServiceUnavailable',
    ],
    also: { 413: 'BadRequest', 415: 'BadRequest' },
    fallback: 'BadRequest',
  },
);

export type TransferCode = Parameters<typeof transferErrors.error>[0];

/** An unknown task, another owner's task and a malformed id alike (§4.4). */
export const taskNotFound = (id: string) => transferErrors.error('ClientError.NotFound', `No task found with id '${id}'`);

/** The code the task routes show for an error of another module: the `ClientError.*` spelling of §0.2 where there is one. */
export function taskErrorCode(error: { status: number; code: string; service?: string }): TransferCode {
  if (error.service === 'transfer') return transferErrors.codeOf(error as never);
  if (error.status === 400) return 'ClientError.BadRequest';
  if (error.status === 401) return 'ClientError.AuthenticationFailed';
  if (error.status === 404) return 'ClientError.NotFound';
  return transferErrors.forStatus(error.status);
}

export const endpointNotFound = (id: string) => transferErrors.error('EndpointNotFound', `No such endpoint '${id}'`);
