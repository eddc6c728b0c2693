// The user_credential#1.0.0 document.
import { fromJson } from '../../store/db.ts';
import { CREDENTIAL_FIELDS } from '../bodies.ts';
import { DT, POSIX_STAGING_CONNECTOR } from '../constants.ts';
import type { UserCredentialRow } from '../tables.ts';
import { knownFields } from './request.ts';

export function userCredentialDocument(row: UserCredentialRow, connectorId: string, gatewayName: string) {
  const doc = knownFields(fromJson<Record<string, unknown>>(row.document, {}), CREDENTIAL_FIELDS);
  return {
    display_name: `${row.username} on ${gatewayName}`,
    policies: { DATA_TYPE: connectorId === POSIX_STAGING_CONNECTOR ? 'posix_staging_user_credential_policies#1.0.0' : 'posix_user_credential_policies#1.0.0' },
    invalid: false,
    provisioned: false,
    home_directory: null,
    ...doc,
    deleted: false,
    DATA_TYPE: DT.userCredential,
    id: row.id,
    identity_id: row.identity_id,
    storage_gateway_id: row.storage_gateway_id,
    connector_id: connectorId,
    username: row.username,
  };
}
