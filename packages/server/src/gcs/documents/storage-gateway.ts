// The storage_gateway#1.3.0 document: defaults, private fields, default policies per connector, and its rendering.
import type { Gateway } from '../gateway-repo.ts';
import { DT, POSIX_STAGING_CONNECTOR } from '../constants.ts';

export const GATEWAY_DEFAULTS = {
  display_name: '',
  high_assurance: false,
  require_mfa: false,
  admin_managed_credentials: false,
  allowed_domains: [] as string[],
  authentication_timeout_mins: 15840,
  identity_mappings: [] as unknown[],
  restrict_paths: null,
  users_allow: [] as string[],
  users_deny: [] as string[],
  process_user: null,
  load_dsi_module: null,
  network_use: 'normal',
  max_concurrency: null,
  max_parallelism: null,
  preferred_concurrency: null,
  preferred_parallelism: null,
};

const GATEWAY_PRIVATE = ['identity_mappings', 'restrict_paths', 'users_allow', 'users_deny'];

export function defaultStoragePolicies(connectorId: string) {
  return connectorId === POSIX_STAGING_CONNECTOR
    ? { DATA_TYPE: 'posix_staging_storage_policies#1.0.0', groups_allow: [], groups_deny: [] }
    : { DATA_TYPE: 'posix_storage_policies#1.0.0', groups_allow: [], groups_deny: [] };
}

export function gatewayDocument(gateway: Gateway, includePrivate: boolean) {
  const doc: Record<string, unknown> = {
    ...gateway.doc,
    DATA_TYPE: DT.storageGateway,
    id: gateway.row.id,
    connector_id: gateway.row.connector_id,
    deleted: false,
  };
  doc.policies = doc.policies ?? defaultStoragePolicies(gateway.row.connector_id);
  if (!includePrivate) {
    for (const f of GATEWAY_PRIVATE) delete doc[f];
    const policies = { ...(doc.policies as Record<string, unknown>) };
    delete policies.groups_allow;
    delete policies.groups_deny;
    delete policies.environment;
    doc.policies = policies;
  }
  return doc;
}
