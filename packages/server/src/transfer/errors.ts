// Transfer's error catalogue: every code the Transfer API answers with, its status and default message (spec transfer-and-data.md, transfer-tasks.md §0.2).
import { defineErrors } from '../http/error-catalogue.ts';

export const transferErrors = defineErrors(
  'transfer',
  {
    BadRequest: { status: 400, message: 'Bad request' },
    'ClientError.BadRequest': { status: 400, message: 'Bad request' },
    InvalidPath: { status: 400, message: 'Invalid path' },
    AuthenticationFailed: { status: 401, message: 'Missing or invalid access token' },
    PermissionDenied: { status: 403, message: 'Permission denied' },
    ConsentRequired: { status: 403, message: 'Missing required data_access consent' },
    EndpointNotFound: { status: 404, message: 'No such endpoint' },
    AccessRuleNotFound: { status: 404, message: 'Access rule not found' },
    TaskNotFound: { status: 404, message: 'Task not found' },
    'ClientError.NotFound': { status: 404, message: 'Not found' },
    'ClientError.BadMethod': { status: 405, message: 'Method not allowed' },
    Conflict: { status: 409, message: 'Conflict' },
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

export const endpointNotFound = (id: string) => transferErrors.error('EndpointNotFound', `No such endpoint '${id}'`);
