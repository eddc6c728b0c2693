// Loads what a data-access decision needs from the current state (collection, gateway, guest owner, rules, caller) and asks authz/data.ts.
import path from 'node:path';
import type { Db } from '../store/db.ts';
import { fromJson, nowSeconds } from '../store/db.ts';
import type { AuthContext } from '../auth/tokens.ts';
import { findById, findByIds } from '../auth/identities.ts';
import { loadPrincipals } from '../authz/principals.ts';
import { gatewayUsesGroups, mappedUsernames, sharingUsesGroups, type CredentialState } from '../authz/gcs.ts';
import type { MappableIdentity } from '../authz/mapping.ts';
import { decideDataAccess, decideResolved, type DataAccessInput, type DataDecision, type DataNeed, type DataGrant } from '../authz/data.ts';
import { findCollection, findGateway, mappedView, rootPath, sharingPoliciesOf, type Collection, type Gateway } from '../gcs/model.ts';
import { MAPPED_DEFAULTS, GUEST_DEFAULTS } from '../gcs/model.ts';
import { withDefaults } from '../gcs/documents.ts';
import { posixGroupsOf } from '../gcs/posix-accounts.ts';
import { accessRulesFor } from '../transfer/access-rules-lookup.ts';
import type { UserCredentialRow } from '../gcs/tables.ts';
import { lookupAccount } from './posix/accounts.ts';
import { isInside, resolveTarget, type PathIntent } from './paths.ts';

export interface DataTarget {
  collection: Collection;
  gateway: Gateway | undefined;
  /** the GCS endpoint's view of high assurance: the gateway's flag */
  highAssurance: boolean;
  /** the collection's settings with defaults (enable_https, https_methods, …) */
  settings: Record<string, unknown>;
}

/** The collection named in a data URL or a Transfer operation, with its gateway; undefined when there is none. */
export async function loadTarget(db: Db, collectionId: string): Promise<DataTarget | undefined> {
  const collection = await findCollection(db, collectionId);
  if (!collection) return undefined;
  const gateway = await findGateway(db, collection.row.storage_gateway_id);
  const settings = withDefaults(collection.row.collection_type === 'guest' ? GUEST_DEFAULTS : MAPPED_DEFAULTS, collection.doc) as Record<string, unknown>;
  return { collection, gateway, highAssurance: gateway?.doc.high_assurance === true, settings };
}

function credentialState(row: UserCredentialRow): CredentialState {
  return {
    id: row.id,
    identity_id: row.identity_id,
    storage_gateway_id: row.storage_gateway_id,
    username: row.username,
    invalid: fromJson<{ invalid?: boolean }>(row.document, {}).invalid === true,
  };
}

function mappable(row: { password_hash?: unknown } & Record<string, unknown>): MappableIdentity {
  return { ...row, password_hash: undefined } as unknown as MappableIdentity;
}

export interface DataRequest {
  auth: AuthContext | undefined;
  /** collection-relative, normalised (no dot segments), may start with `/~` */
  path: string;
  need: DataNeed;
  httpsMethod?: string;
}

/** Builds the decision input from the store and the host's user database, as they are at this moment. */
async function decisionInput(db: Db, target: DataTarget, request: DataRequest): Promise<DataAccessInput> {
  const { collection, gateway } = target;
  const guest = collection.row.collection_type === 'guest';
  const mappedRow = guest && collection.row.mapped_collection_id ? await findCollection(db, collection.row.mapped_collection_id) : undefined;
  const mappedDoc = mappedRow && mappedRow.row.collection_type === 'mapped' ? mappedView(mappedRow) : undefined;
  const { auth } = request;
  const principals = await loadPrincipals(db, auth);
  const identityRows = auth ? await findByIds(db, auth.identitySet) : [];
  const identities = auth ? auth.identitySet.map((id) => identityRows.find((r) => r.id === id)).filter((r) => r !== undefined).map((r) => mappable(r as never)) : [];

  let credential: CredentialState | undefined;
  let owner: MappableIdentity | undefined;
  let rules: DataAccessInput['rules'];
  let sharingPolicies: DataAccessInput['sharingPolicies'];
  let callerCredentials: DataAccessInput['callerCredentials'];
  const usernames: string[] = [];
  if (guest) {
    const row = collection.row.user_credential_id ? await db.selectFrom('user_credentials').selectAll().where('id', '=', collection.row.user_credential_id).executeTakeFirst() : undefined;
    credential = row ? credentialState(row) : undefined;
    const ownerRow = await findById(db, collection.row.identity_id);
    owner = ownerRow ? mappable(ownerRow as never) : undefined;
    rules = await accessRulesFor(db, collection.row.id);
    sharingPolicies = mappedDoc ? (await sharingPoliciesOf(db, mappedRow!.row.id)).map((p) => ({ users: p.users, sharing_restrict_paths: p.sharing_restrict_paths })) : [];
    if (credential) usernames.push(credential.username);
  } else if (gateway && auth) {
    const rows = await db.selectFrom('user_credentials').selectAll().where('storage_gateway_id', '=', gateway.row.id).where('identity_id', 'in', auth.identitySet).execute();
    callerCredentials = rows.map(credentialState);
    usernames.push(...mappedUsernames(gateway.policy, identities));
  }

  const groupsNeeded = gateway && (gatewayUsesGroups(gateway.policy) || (mappedDoc !== undefined && sharingUsesGroups(mappedDoc as never)));
  const accountGroups = new Map<string, string[]>();
  const homes = new Map<string, string>();
  for (const name of new Set(usernames)) {
    if (groupsNeeded) {
      const groups = await posixGroupsOf(name);
      if (groups) accountGroups.set(name, groups);
    }
    const account = await lookupAccount(name);
    if (account) homes.set(name, account.home);
  }

  const settings = target.settings;
  return {
    collection: {
      ...collection.ref,
      user_credential_id: collection.row.user_credential_id,
      root_path: rootPath(collection, mappedRow),
      base_path: guest ? String(collection.doc.collection_base_path ?? '/') : undefined,
      enable_https: settings.enable_https !== false,
      https_methods: (settings.https_methods as string[] | null | undefined) ?? null,
      restrict_transfers_to_high_assurance: (settings.restrict_transfers_to_high_assurance as string | null | undefined) ?? null,
    },
    gateway: gateway?.policy,
    mapped: mappedDoc ? { ...(mappedDoc as Record<string, unknown>), root_path: rootPath(mappedRow!, undefined) } : undefined,
    credential,
    owner,
    sharingPolicies,
    rules,
    auth,
    principals,
    identities,
    callerCredentials,
    accountGroups,
    homes,
    path: request.path,
    need: request.need,
    httpsMethod: request.httpsMethod,
    now: nowSeconds(),
  };
}

/**
 * Decides one data request. When the path exists and a symlink on it leads elsewhere inside the
 * collection, the resolved path is decided too: a link cannot open a restricted part of the tree.
 */
export async function decideRequest(db: Db, target: DataTarget, request: DataRequest, intent: PathIntent): Promise<DataDecision> {
  const input = await decisionInput(db, target, request);
  const decision = decideDataAccess(input);
  if (!decision.allowed) return decision;
  const resolved = await resolveTarget({ root: decision.root, base: decision.base, path: decision.relative, intent }).catch(() => null);
  if (!resolved || !resolved.ok) return decision;
  const real = path.relative(resolved.boundary, resolved.path);
  const resolvedRelative = `/${real.split(path.sep).join('/')}`.replace(/\/$/, '') || '/';
  if (!isInside(resolved.boundary, resolved.path) || resolvedRelative === (decision.relative.replace(/\/$/, '') || '/')) return decision;
  const second = decideResolved({ ...input, need: request.need }, resolvedRelative);
  return second.allowed ? decision : second;
}

export type { DataGrant };
