// TransferClient: the Globus Transfer API v0.10 (so far the endpoint lookup; access rules and file operations come next).
import { BaseClient, urlPath } from '../core/base-client.ts';
import type { BaseClientOptions } from '../core/base-client.ts';
import { getServiceUrl } from '../core/config.ts';
import { TransferAPIError } from '../core/errors.ts';
import type { TransferEndpoint } from './types.ts';
import type { Paginator } from '../core/paging.ts';
import type { AccessRuleCreateResult, AccessRuleData, AccessRuleDocument, AccessRuleList, AccessRuleResult, AccessRuleUpdateData } from './access-rule.ts';

export interface TransferClientOptions extends BaseClientOptions {
  /** A Globus environment name (default GLOBUS_SDK_ENVIRONMENT or production). */
  environment?: string;
}

export class TransferClient extends BaseClient {
  constructor(options: TransferClientOptions = {}) {
    super(options, {
      serviceName: 'transfer',
      baseUrl: getServiceUrl('transfer', { baseUrl: options.baseUrl, environment: options.environment }),
      errorClass: TransferAPIError,
    });
  }

  /** GET /v0.10/endpoint/{endpoint_id} — a GCS endpoint or one of its collections, as Transfer describes it. */
  getEndpoint(endpointId: string): Promise<TransferEndpoint> {
    return this.get(urlPath`v0.10/endpoint/${endpointId}`);
  }

  // Access rules (ACLs) of a guest collection: `endpointId` is the guest collection id.

  /**
   * GET /v0.10/endpoint/{endpoint_id}/access_list — the rules, including the implicit `rw` on `/` of the
   * collection's administrators and access managers (`id: null`). Without offset/limit: the whole list.
   */
  accessList(endpointId: string, options: { offset?: number; limit?: number } = {}): Promise<AccessRuleList> {
    return this.get(urlPath`v0.10/endpoint/${endpointId}/access_list`, { query: { offset: options.offset, limit: options.limit } });
  }

  /** GET /v0.10/endpoint/{endpoint_id}/access_list page by page (`offset`/`limit`); iterate it for the rules. */
  paginateAccessList(endpointId: string, options: { limit?: number; maxPages?: number } = {}): Paginator<AccessRuleList, AccessRuleDocument, number> {
    return this.paginateOffset<AccessRuleDocument, AccessRuleList>(urlPath`v0.10/endpoint/${endpointId}/access_list`, { limit: options.limit, maxPages: options.maxPages });
  }

  /** POST /v0.10/endpoint/{endpoint_id}/access (201) — build `rule` with `accessRule` and friends; read `access_id` from the result. */
  addAccessRule(endpointId: string, rule: AccessRuleData | Record<string, unknown>): Promise<AccessRuleCreateResult> {
    return this.post(urlPath`v0.10/endpoint/${endpointId}/access`, rule);
  }

  /** GET /v0.10/endpoint/{endpoint_id}/access/{access_id} — one stored rule (implicit role entries have no id). */
  getAccessRule(endpointId: string, ruleId: string): Promise<AccessRuleDocument> {
    return this.get(urlPath`v0.10/endpoint/${endpointId}/access/${ruleId}`);
  }

  /** PUT /v0.10/endpoint/{endpoint_id}/access/{access_id} — change `permissions` / `expiration_date` (see `accessRuleUpdate`); code `Updated`. */
  updateAccessRule(endpointId: string, ruleId: string, update: AccessRuleUpdateData | Record<string, unknown>): Promise<AccessRuleResult> {
    return this.put(urlPath`v0.10/endpoint/${endpointId}/access/${ruleId}`, update);
  }

  /** DELETE /v0.10/endpoint/{endpoint_id}/access/{access_id} — code `Deleted`. */
  deleteAccessRule(endpointId: string, ruleId: string): Promise<AccessRuleResult> {
    return this.delete(urlPath`v0.10/endpoint/${endpointId}/access/${ruleId}`);
  }
}
