// The GCS part of the SDK: GCSClient, response unpacking, document builders and wire types.
export { GCSClient } from './client.ts';
export type { GCSClientOptions, PageOptions, CollectionFilter, CollectionQuery, DomainInput, GCSPaginator } from './client.ts';
export { UnpackingGCSResponse, dataTypeName, documentsOf, missingRequiredRoles } from './response.ts';
export {
  GCS_DATA_TYPES,
  CONNECTOR_IDS,
  GCSPayload,
  toBoolean,
  pathRestrictions,
  MappedCollectionDocument,
  GuestCollectionDocument,
  POSIXCollectionPolicies,
  StorageGatewayDocument,
  POSIXStoragePolicies,
  UserCredentialDocument,
  GCSRoleDocument,
  EndpointDocument,
  SharingPolicyDocument,
} from './data.ts';
export type {
  BoolLike,
  Nested,
  ExtraFields,
  DocumentInput,
  CollectionFields,
  MappedCollectionFields,
  GuestCollectionFields,
  StorageGatewayFields,
  UserCredentialFields,
  EndpointFields,
} from './data.ts';
export type * from './types.ts';
export { GCSAPIError } from '../core/errors.ts';
