// The Groups API's error catalogue: its upper-snake codes, their statuses and default messages.
import { defineErrors } from '../http/error-catalogue.ts';

export const groupsErrors = defineErrors(
  'groups',
  {
    BAD_REQUEST: { status: 400, message: 'Bad request' },
    AUTHENTICATION_ERROR: { status: 401, message: 'Missing or invalid access token' },
    FORBIDDEN: { status: 403, message: 'Forbidden' },
    NOT_FOUND: { status: 404, message: 'Not found' },
    CONFLICT: { status: 409, message: 'Conflict' },
    UNPROCESSABLE: { status: 422, message: 'Unprocessable entity' },
    TOO_MANY_REQUESTS: { status: 429, message: 'Too many requests' },
    INTERNAL_ERROR: { status: 500, message: 'An internal error occurred' },
    SERVICE_UNAVAILABLE: { status: 503, message: 'Service unavailable' },
  },
  {
    codes: ['BAD_REQUEST', 'AUTHENTICATION_ERROR', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'UNPROCESSABLE', 'TOO_MANY_REQUESTS', 'SERVICE_UNAVAILABLE'],
    fallback: 'BAD_REQUEST',
  },
);
