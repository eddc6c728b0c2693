// GCS constants: the connectors, the API and Manager versions, and the DATA_TYPE of each document.

export const POSIX_CONNECTOR = '145812c8-decc-41f1-83cf-bb2a85a2a70b';

export const POSIX_STAGING_CONNECTOR = '052be037-7dda-4d20-b163-3077314dc3e6';

export const CONNECTORS: Array<{ id: string; display_name: string }> = [
  { id: POSIX_CONNECTOR, display_name: 'POSIX' },
  { id: POSIX_STAGING_CONNECTOR, display_name: 'POSIX Staging' },
];

/** The DATA_TYPE prefix of a connector's policies documents. */
export function connectorPrefix(connectorId: string): string {
  return connectorId === POSIX_STAGING_CONNECTOR ? 'posix_staging' : 'posix';
}

export const API_VERSION = '1.32.0';

export const MANAGER_VERSION = '5.4.80-gatehouse';

export const DT = {
  endpoint: 'endpoint#1.2.0',
  role: 'role#1.0.0',
  storageGateway: 'storage_gateway#1.3.0',
  collection: 'collection#1.16.0',
  userCredential: 'user_credential#1.0.0',
  sharingPolicy: 'sharing_policy#1.0.0',
  node: 'node#1.3.0',
} as const;
