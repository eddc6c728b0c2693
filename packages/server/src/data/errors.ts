// The HTTPS data plane's error catalogue: its codes (the decision's denial reasons, the connector's errno names, its own), statuses and default messages.
import { defineErrors, neutralEntries } from '../http/error-catalogue.ts';
import { CONNECTOR_ERRORS } from './posix/types.ts';

export const dataErrors = defineErrors(
  'data',
  {
    ...neutralEntries((code) => code),
    // The storage's own failures keep their errno names (ENOENT, EACCES, …): clients of the data plane see the kernel's word.
    ...CONNECTOR_ERRORS,
    AuthenticationRequired: { status: 401, message: 'This collection requires authentication' },
    MethodNotAllowed: { status: 405, message: 'Method not allowed on this collection' },
    invalid_path: { status: 400, message: 'Invalid path' },
    // The reasons of a data-access denial (authz/data.ts), which the envelope names as they are.
    permission_denied: { status: 403, message: 'Permission denied' },
    https_disabled: { status: 403, message: 'HTTPS access is disabled on this collection' },
    outside_restrictions: { status: 403, message: 'The path is outside what this collection allows' },
    no_mapping: { status: 403, message: 'None of your identities maps to a local account on this storage gateway' },
    not_from_allowed_domain: { status: 403, message: 'Access needs an identity from an allowed domain' },
    authentication_timeout: { status: 403, message: 'Your authentication is too old for this collection' },
    auth_policy_not_satisfied: { status: 403, message: 'The authentication policy of this collection is not satisfied' },
    directory_listing_not_supported: { status: 403, message: 'Directory listings are not available over HTTPS; use the Transfer ls operation' },
    precondition_failed: { status: 412, message: 'Precondition failed' },
    // The browser sign-in's callback (data/browser-session.ts).
    login_state_mismatch: { status: 400, message: 'This sign-in was not started by this browser' },
    login_not_completed: { status: 403, message: 'Sign-in did not complete' },
    invalid_grant: { status: 400, message: 'The sign-in granted no access to this collection' },
  },
  {
    codes: [
      'bad_request',
      'AuthenticationRequired',
      'forbidden',
      'not_found',
      'MethodNotAllowed',
      'not_acceptable',
      'request_timeout',
      'conflict',
      'payload_too_large',
      'uri_too_long',
      'unsupported_media_type',
      'too_many_requests',
      'request_header_fields_too_large',
      'service_unavailable',
    ],
    fallback: 'bad_request',
  },
);

export type DataCode = Parameters<typeof dataErrors.error>[0];
