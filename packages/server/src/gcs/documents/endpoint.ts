// The endpoint#1.2.0 document: defaults, the side fields kept beside it, and its rendering.
import type { Endpoint } from '../endpoint-repo.ts';
import { DT } from '../constants.ts';
import { withDefaults } from './request.ts';

export const ENDPOINT_DEFAULTS = {
  display_name: '',
  organization: '',
  department: null,
  description: null,
  contact_email: null,
  contact_info: null,
  info_link: null,
  keywords: null,
  public: true,
  allow_udt: false,
  network_use: 'normal',
  max_concurrency: null,
  max_parallelism: null,
  preferred_concurrency: null,
  preferred_parallelism: null,
  subscription_id: null,
  gridftp_control_channel_port: null,
};

/**
 * Endpoint-record fields kept beside the document but set through their own routes: the advertised
 * owner (read by the Transfer record) and the domain (its private key must never be rendered).
 */
export const ENDPOINT_SIDE_FIELDS = ['owner_string', 'domain'] as const;

export function endpointDocument(endpoint: Endpoint, publicUrl: string) {
  const doc: Record<string, unknown> = {
    ...withDefaults(ENDPOINT_DEFAULTS, endpoint.doc),
    DATA_TYPE: DT.endpoint,
    id: endpoint.id,
    gcs_manager_url: publicUrl,
    earliest_last_access: null,
  };
  for (const f of ENDPOINT_SIDE_FIELDS) delete doc[f];
  return doc;
}
