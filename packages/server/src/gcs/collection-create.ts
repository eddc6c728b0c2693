// Creating collections (POST /api/collections): mapped ones by endpoint administrators, guests after the checks of spec semantics.md §7.
import { randomBytes } from 'node:crypto';
import type { ServiceContext } from '../context.ts';
import type { Db } from '../store/db.ts';
import { nowSeconds, toJson } from '../store/db.ts';
import { newId } from '../auth/secrets.ts';
import { canManageEndpoint, canManageDomains } from '../authz/gcs.ts';
import { normalizePath, invalidRestrictionPaths, type PathRestrictions } from '../authz/paths.ts';
import { enforce, manageScope, type Caller } from './caller.ts';
import { checkConnectorPolicies, createDocument, requireFields, today } from './documents/request.ts';
import { gcsError, invalidInput } from './envelope.ts';
import { loadCollection, toCollection, type Collection } from './collection-repo.ts';
import { connectorPrefix } from './constants.ts';
import { endpointDomain } from './documents/domain.ts';
import { findGateway } from './gateway-repo.ts';
import { applyCollectionDomain, domainRecord } from './custom-domains.ts';
import { findPolicy } from '../auth/policies.ts';
import { gatewayIdentityRefusal, subscriptionRequired } from './refusals.ts';
import { collectionFieldRules } from './collection-fields.ts';
import { decideGuestCreation, type GuestCreationDenial } from '../authz/guest-creation.ts';
import { loadGuestCreationFacts, type GuestCreationFacts } from './guest-creation-facts.ts';

/** A fresh `m-`/`g-` host name: random labels, re-drawn on the rare clash the unique index would refuse. */
async function assignedDomain(db: Db, prefix: 'm' | 'g', domain: string): Promise<string> {
  for (;;) {
    const name = `${prefix}-${randomBytes(3).toString('hex')}.${domain.toLowerCase()}`;
    if (!(await db.selectFrom('collections').select('id').where('domain_name', '=', name).executeTakeFirst())) return name;
  }
}

async function insertCollection(
  db: Db,
  c: {
    id: string;
    type: string;
    gatewayId: string;
    mappedId: string | null;
    identityId: string;
    credentialId: string | null;
    domainName: string;
    doc: Record<string, unknown>;
  },
): Promise<Collection> {
  const row = {
    id: c.id,
    domain_name: c.domainName,
    collection_type: c.type,
    storage_gateway_id: c.gatewayId,
    mapped_collection_id: c.mappedId,
    identity_id: c.identityId,
    user_credential_id: c.credentialId,
    public: c.doc.public === false ? 0 : 1,
    document: toJson(c.doc),
    created_at: nowSeconds(),
  };
  await db.insertInto('collections').values(row).execute();
  // The creator's administrator role: it goes only with the collection.
  await db
    .insertInto('gcs_roles')
    .values({
      id: newId(),
      collection_id: c.id,
      scope_key: c.id,
      principal: `urn:globus:auth:identity:${c.identityId}`,
      role: 'administrator',
      protected: 1,
      created_at: nowSeconds(),
    })
    .execute();
  return toCollection(row);
}

/** A mapped collection's guest_auth_policy_id must name an Auth policy when it is set; stored lower-case. */
export async function checkGuestAuthPolicy(db: Db, doc: Record<string, unknown>): Promise<void> {
  if (typeof doc.guest_auth_policy_id !== 'string') return;
  const policy = await findPolicy(db, doc.guest_auth_policy_id);
  if (!policy) throw invalidInput(`guest_auth_policy_id ${doc.guest_auth_policy_id} names no Auth policy`, 'guest_auth_policy_id');
  doc.guest_auth_policy_id = policy.id;
}

function checkBasePathSyntax(path: string, relative: boolean): string {
  const expanded = relative ? (path.startsWith('/') ? path : `/${path}`) : path;
  if (!relative && (path === '~' || path.startsWith('~/'))) return path;
  const normal = normalizePath(expanded);
  if (normal === null)
    throw invalidInput(
      relative ? 'collection_base_path must stay inside the mapped collection' : 'collection_base_path must be an absolute path',
      'collection_base_path',
    );
  return normal;
}

export async function createMapped(db: Db, config: ServiceContext['config'], caller: Caller, body: Record<string, unknown>): Promise<Collection> {
  enforce(canManageEndpoint(caller.held));
  requireFields(body, ['storage_gateway_id']);
  const gateway = await findGateway(db, String(body.storage_gateway_id));
  if (!gateway)
    throw gcsError(403, `Storage gateway ${String(body.storage_gateway_id)} not found`, {
      DATA_TYPE: 'storage_gateway_not_found#1.0.0',
      storage_gateway_id: body.storage_gateway_id,
    });
  if (typeof gateway.doc.root === 'string' && normalizePath(gateway.doc.root) === null) throw invalidInput('The storage gateway root is not an absolute path');
  const doc = createDocument(body, collectionFieldRules('mapped'));
  checkConnectorPolicies(doc.policies, 'collection', connectorPrefix(gateway.row.connector_id));
  doc.collection_base_path = checkBasePathSyntax(String(body.collection_base_path), false);
  const bad = invalidRestrictionPaths(doc.sharing_restrict_paths as PathRestrictions | undefined);
  if (bad.length) throw invalidInput(bad.map((p) => `sharing_restrict_paths entry ${p} must be absolute`));
  await checkGuestAuthPolicy(db, doc);
  const requested = typeof body.domain_name === 'string' ? body.domain_name.toLowerCase() : undefined;
  if (
    requested !== undefined &&
    (!requested.endsWith(`.${config.domain.toLowerCase()}`) || /^[mg]-/.test(requested) || !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(requested))
  ) {
    throw invalidInput(`domain_name must be a subdomain of ${config.domain} not starting with m- or g-`, 'domain_name');
  }
  if (requested !== undefined) {
    const clash = await db.selectFrom('collections').select('id').where('domain_name', '=', requested).execute();
    if (clash.length) throw gcsError(409, `domain_name ${requested} is in use`, { DATA_TYPE: 'resource_conflict#1.0.0', resources: clash.map((r) => r.id) });
    // A name chosen by the administrator stays put when a wildcard domain renames assigned ones.
    doc.requested_domain = true;
  }
  // A custom domain document (collection#1.3.0 `domain`) is an endpoint administrator's choice, as with the domain route.
  const customDomain =
    body.domain && typeof body.domain === 'object' ? await domainRecord(body.domain as Record<string, unknown>, config.tlsDomainCertDir) : undefined;
  if (customDomain) enforce(canManageDomains(caller.held));
  doc.created_at = today();
  delete doc.storage_gateway_id;
  const created = await insertCollection(db, {
    id: newId(),
    type: 'mapped',
    gatewayId: gateway.row.id,
    mappedId: null,
    identityId: caller.auth!.identityId,
    credentialId: null,
    domainName: requested ?? (await assignedDomain(db, 'm', config.domain)),
    doc,
  });
  if (!customDomain) return created;
  const endpointName = endpointDomain(caller.endpoint);
  await applyCollectionDomain(db, created, customDomain, endpointName && !endpointName.wildcard ? endpointName.domain_name : undefined);
  return loadCollection(db, created.row.id);
}

/** How a guest-creation precondition fails, in the GCS envelope; a refused document answers with its own error. */
function guestCreationRefusal(denial: GuestCreationDenial, document: GuestCreationFacts['document'], endpointId: string): unknown {
  switch (denial.reason) {
    case 'mapped_collection_not_found':
      return gcsError(403, `Mapped collection ${denial.collection_id} not found`, {
        DATA_TYPE: 'collection_not_found#1.0.0',
        collection_id: denial.collection_id,
      });
    case 'subscription_required':
      return subscriptionRequired('Guest collections require a managed endpoint (one with a subscription_id)');
    case 'guests_not_allowed':
      return gcsError(403, 'Guest collections are not allowed on this mapped collection');
    case 'storage_gateway_not_found':
      return gcsError(403, 'The mapped collection has no storage gateway', {
        DATA_TYPE: 'storage_gateway_not_found#1.0.0',
        storage_gateway_id: denial.storage_gateway_id,
      });
    case 'missing_data_access': {
      const required = [`${manageScope(endpointId)}[${denial.data_access_scope}]`];
      return gcsError(
        403,
        'Missing required data_access consent',
        { DATA_TYPE: 'missing_required_scopes#1.0.0', required_scopes: required },
        { authorization_parameters: { session_message: 'Consent to data access on the mapped collection is required', required_scopes: required } },
      );
    }
    case 'id_not_in_identity_set':
      return gcsError(403, 'identity_id is not one of the caller identities', { DATA_TYPE: 'id_not_in_identity_set#1.0.0', id: denial.id });
    case 'gateway_identity':
      return gatewayIdentityRefusal(denial.denial);
    case 'invalid_credential':
      return gcsError(403, 'Invalid user credential', { DATA_TYPE: 'invalid_credential#1.0.0', user_credential_id: denial.user_credential_id });
    case 'credential_not_found':
      return gcsError(403, 'No user credential for this storage gateway', {
        DATA_TYPE: 'credential_not_found#1.0.0',
        accounts: denial.accounts.map((a) => ({
          DATA_TYPE: 'account#1.0.0',
          identity_id: a.identity_id,
          storage_gateway_id: denial.storage_gateway_id,
          username: a.username,
        })),
      });
    case 'ambiguous_credential':
      return invalidInput('Several user credentials match: give user_credential_id', 'user_credential_id');
    case 'invalid_user':
      return gcsError(403, 'Invalid user', { DATA_TYPE: 'invalid_user#1.0.0', usernames: denial.usernames });
    case 'sharing_not_allowed':
      return gcsError(403, 'This account may not share from the mapped collection', { DATA_TYPE: 'invalid_user#1.0.0', usernames: denial.usernames });
    case 'invalid_base_path':
      return invalidInput(denial.message, 'collection_base_path');
    case 'base_path_escapes':
      return invalidInput('collection_base_path escapes the mapped collection', 'collection_base_path');
    case 'not_shareable':
      return gcsError(403, `Path ${denial.path} may not be shared from this mapped collection`);
    case 'invalid_document':
      return document.ok ? invalidInput('Invalid guest collection document') : document.error;
    case 'inheritance':
      return invalidInput(denial.errors);
    case 'limit_exceeded':
      return gcsError(403, 'Guest collection limit reached', { DATA_TYPE: 'limit_exceeded#1.0.0' });
  }
}

/** A guest collection, once every precondition of semantics.md §7 holds (decided in authz/guest-creation.ts). */
export async function createGuest(db: Db, config: ServiceContext['config'], caller: Caller, body: Record<string, unknown>): Promise<Collection> {
  requireFields(body, ['mapped_collection_id']);
  const facts = await loadGuestCreationFacts(db, caller, body, (connectorId) => {
    const doc = createDocument(body, collectionFieldRules('guest'));
    checkConnectorPolicies(doc.policies, 'collection', connectorPrefix(connectorId));
    return doc;
  });
  const decision = decideGuestCreation(facts.input);
  if (!decision.allowed) throw guestCreationRefusal(decision, facts.document, caller.endpoint.id);
  const doc = (facts.document as { ok: true; doc: Record<string, unknown> }).doc;
  for (const f of ['mapped_collection_id', 'user_credential_id', 'storage_gateway_id']) delete doc[f];
  Object.assign(doc, { collection_base_path: decision.relative, created_at: today() });
  return insertCollection(db, {
    id: newId(),
    type: 'guest',
    gatewayId: facts.gatewayId!,
    mappedId: facts.input.mappedId,
    identityId: facts.input.identityId,
    credentialId: decision.credential.id,
    domainName: await assignedDomain(db, 'g', config.domain),
    doc,
  });
}
