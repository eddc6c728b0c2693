// Public entry point of @gatehouse/sdk: core transport, errors, paging, authorizers, Auth clients and scopes.
export {
  SDK_VERSION,
  PRODUCTION_BASE_URLS,
  EnvironmentConfigurationError,
  getServiceUrl,
  gcsBaseUrl,
  normalizeBaseUrl,
  readEnv,
  defaultTimeoutMs,
} from './core/config.ts';
export type { ServiceName } from './core/config.ts';
export { Transport, encodeQuery, encodeForm, parseRetryAfter } from './core/transport.ts';
export type { TransportOptions, TransportRequest, QueryParams, QueryValue, QueryScalar, FormParams, FormValue, FetchLike } from './core/transport.ts';
export { GlobusError, NetworkError, GlobusAPIError, AuthAPIError, GCSAPIError, GroupsAPIError, TransferAPIError, readErrorInit } from './core/errors.ts';
export type { AuthorizationParameters, ErrorInfo, SubError, GlobusAPIErrorInit, GlobusAPIErrorClass } from './core/errors.ts';
export { Paginator, paginateMarker, paginateOffset, paginateToken, itemsAt } from './core/paging.ts';
export type { PaginatorSpec, NextCursor, MarkerPagingOptions, OffsetPagingOptions, TokenPagingOptions } from './core/paging.ts';
export { BaseClient, joinUrl, urlPath } from './core/base-client.ts';
export type { BaseClientOptions, BaseClientDefaults, RequestOptions, FullRequestOptions, GlobusResponse } from './core/base-client.ts';

export type { Authorizer } from './authorizers/authorizer.ts';
export { NullAuthorizer } from './authorizers/null.ts';
export { AccessTokenAuthorizer } from './authorizers/access-token.ts';
export { BasicAuthorizer } from './authorizers/basic.ts';
export { RenewingAuthorizer, RefreshTokenAuthorizer, ClientCredentialsAuthorizer, EXPIRY_MARGIN_SECONDS } from './authorizers/renewing.ts';
export type { RenewingAuthorizerOptions, OnRefresh, RefreshTokenClient, ClientCredentialsClient } from './authorizers/renewing.ts';

export { AuthClient, IDENTITY_BATCH_SIZE } from './auth/client.ts';
export type { AuthClientOptions } from './auth/client.ts';
export { AuthLoginClient } from './auth/login-client.ts';
export type { AuthorizeUrlParams, AuthorizationFlow } from './auth/login-client.ts';
export { ConfidentialAppAuthClient, DEPENDENT_TOKEN_GRANT } from './auth/confidential-client.ts';
export { GATEHOUSE_CLI_CLIENT_ID, NativeAppAuthClient } from './auth/native-client.ts';
export type { NativeFlowOptions } from './auth/native-client.ts';
export { OAuthTokenResponse, OAuthDependentTokenResponse, decodeJwtPayload } from './auth/response.ts';
export type { TokenData, TokenResponseData, TokenResponseItem } from './auth/response.ts';
export { createCodeVerifier, codeChallengeS256, base64UrlEncode } from './auth/pkce.ts';
export type * from './auth/types.ts';

export { Scope, ScopeParseError, parseScopes, scopesToString, scopeResourceServer, urnScope, urlScope, SCOPE_URL_PREFIX } from './scopes/scope.ts';
export type { ScopeLike } from './scopes/scope.ts';
export { AuthScopes, GroupsScopes, TransferScopes, GCSEndpointScopes, GCSCollectionScopes } from './scopes/builders.ts';
export type { GCSEndpointScopeSet, GCSCollectionScopeSet } from './scopes/builders.ts';
export * from './groups/index.ts';
export * from './gcs/index.ts';
export * from './transfer/index.ts';
export * from './transfer/operations.ts';
export * from './gcs/https.ts';
