// Loads what decideGuestCreation (authz/guest-creation.ts) needs for POST /api/collections of a guest: mapped collection (locked), gateway, identity, credentials, groups, where the base path leads, counts.
import type { Db } from '../store/db.ts';
import { fromJson, nowSeconds } from '../store/db.ts';
import { lockRow } from '../store/locking.ts';
import { hasDependency } from '../authz/data.ts';
import { gatewayUsesGroups, sharingUsesGroups } from '../authz/gcs.ts';
import { chosenCredential, guestRelativeBasePath, type GuestCreationInput } from '../authz/guest-creation.ts';
import { interpolatePath, joinUnderRoot } from '../authz/paths.ts';
import { realBasePath } from '../data/paths.ts';
import { lookupAccount } from '../data/posix/accounts.ts';
import type { Caller } from './caller.ts';
import { mappedView, rootPath } from './documents/collection.ts';
import { findCollection } from './collection-repo.ts';
import { findGateway } from './gateway-repo.ts';
import { sharingPoliciesOf } from './sharing-policy-repo.ts';
import { toBool } from './documents/request.ts';

export interface GuestCreationFacts {
  input: GuestCreationInput;
  /** the guest document the body makes, or the error refusing it */
  document: { ok: true; doc: Record<string, unknown> } | { ok: false; error: unknown };
  /** the mapped collection's storage gateway, when it exists */
  gatewayId?: string;
}

/**
 * The facts in the order the checks use them, each loaded only once what it depends on is there (a
 * missing mapped collection, gateway or identity ends the loading: the decision stops there too). The
 * mapped collection is locked for the whole creation (its settings hold, and its guests are counted,
 * until this guest is in), then the identity's row, whose guests span mapped collections — the order
 * every creation takes.
 */
export async function loadGuestCreationFacts(
  db: Db,
  caller: Caller,
  body: Record<string, unknown>,
  makeDocument: (connectorId: string) => Record<string, unknown>,
): Promise<GuestCreationFacts> {
  const auth = caller.auth!;
  const mappedId = String(body.mapped_collection_id).toLowerCase();
  const identityId = typeof body.identity_id === 'string' ? body.identity_id.toLowerCase() : auth.identityId;
  const input: GuestCreationInput = {
    mappedId,
    endpointSubscriptionId: caller.endpoint.doc.subscription_id as string | null | undefined,
    dataAccessConsent: hasDependency(auth.scopeTree, `https://auth.globus.org/scopes/${mappedId}/data_access`),
    identityId,
    identitySet: auth.identitySet,
    auth: { authenticatedAt: auth.authenticatedAt, issuedAt: auth.issuedAt },
    credentials: [],
    requestedCredentialId: typeof body.user_credential_id === 'string' ? body.user_credential_id : undefined,
    basePath: String(body.collection_base_path),
    sharingPolicies: [],
    documentInvalid: false,
    requested: {},
    counts: { ownedByIdentity: 0, onMappedCollection: 0 },
    now: nowSeconds(),
  };
  const facts: GuestCreationFacts = { input, document: { ok: true, doc: {} } };
  const mapped = await findCollection(db, mappedId, { forUpdate: true });
  if (!mapped) return facts;
  const settings = mappedView(mapped);
  const root = rootPath(mapped, undefined);
  input.mapped = { collection_type: mapped.row.collection_type, storage_gateway_id: mapped.row.storage_gateway_id, settings, root };
  if (mapped.row.collection_type !== 'mapped') return facts;
  if (settings.allow_guest_collections !== true) return facts;
  const gateway = await findGateway(db, mapped.row.storage_gateway_id);
  if (!gateway) return facts;
  input.gateway = gateway.policy;
  facts.gatewayId = gateway.row.id;
  if (!auth.identitySet.includes(identityId)) return facts;
  input.identity = (await caller.identities()).find((i) => i.id === identityId);
  if (!input.identity) return facts;
  const rows = await db
    .selectFrom('user_credentials')
    .selectAll()
    .where('storage_gateway_id', '=', gateway.row.id)
    .where('identity_id', '=', identityId)
    .execute();
  input.credentials = rows.map((r) => ({
    id: r.id,
    identity_id: r.identity_id,
    storage_gateway_id: r.storage_gateway_id,
    username: r.username,
    invalid: fromJson<{ invalid?: boolean }>(r.document, {}).invalid === true,
  }));
  const credential = chosenCredential(input.credentials, input.requestedCredentialId);
  if (!credential) return facts;
  const username = credential.username;
  if (gatewayUsesGroups(gateway.policy) || sharingUsesGroups(settings)) input.accountGroups = (await caller.accountGroups([username])).get(username);
  const relative = guestRelativeBasePath(input.basePath);
  if (relative === null || joinUnderRoot(root, relative) === null) return facts;
  input.sharingPolicies = await sharingPoliciesOf(db, mappedId);
  const account = await lookupAccount(username);
  input.realBase = await realBasePath(interpolatePath(root, { user: username, home: account?.home }), relative);
  try {
    const doc = makeDocument(gateway.row.connector_id);
    facts.document = { ok: true, doc };
    input.requested = { enable_https: toBool(doc.enable_https), https_methods: doc.https_methods as string[] | undefined };
  } catch (error) {
    facts.document = { ok: false, error };
    input.documentInvalid = true;
    return facts;
  }
  await lockRow(db, 'identities', identityId);
  const owned = await db
    .selectFrom('collections')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('identity_id', '=', identityId)
    .where('collection_type', '=', 'guest')
    .executeTakeFirstOrThrow();
  const onMapped = await db
    .selectFrom('collections')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('mapped_collection_id', '=', mappedId)
    .executeTakeFirstOrThrow();
  input.counts = { ownedByIdentity: Number(owned.n), onMappedCollection: Number(onMapped.n) };
  return facts;
}
