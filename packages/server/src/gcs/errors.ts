// The GCS Manager API's error catalogue: the codes of its result envelope, their statuses and default messages.
import { defineErrors } from '../http/error-catalogue.ts';

export const gcsErrors = defineErrors(
  'gcs',
  {
    bad_request: { status: 400, message: 'Bad request' },
    not_authorized: { status: 401, message: 'Missing or invalid access token' },
    permission_denied: { status: 403, message: 'Permission denied' },
    subscription_required: { status: 403, message: 'A subscription is required' },
    not_found: { status: 404, message: 'Not found' },
    method_not_allowed: { status: 405, message: 'Method not allowed' },
    conflict: { status: 409, message: 'Conflict' },
    exists: { status: 409, message: 'Already exists' },
    payload_too_large: { status: 413, message: 'Payload too large' },
    unsupported_media_type: { status: 415, message: 'Unsupported media type' },
    unprocessable_entity: { status: 422, message: 'Data Validation Error' },
    too_many_requests: { status: 429, message: 'Too many requests' },
    internal_error: { status: 500, message: 'An internal error occurred' },
    service_unavailable: { status: 503, message: 'Service unavailable' },
  },
  {
    codes: [
      'bad_request',
      'not_authorized',
      'permission_denied',
      'not_found',
      'method_not_allowed',
      'conflict',
      'payload_too_large',
      'unsupported_media_type',
      'unprocessable_entity',
      'too_many_requests',
      'service_unavailable',
    ],
    fallback: 'bad_request',
  },
);
