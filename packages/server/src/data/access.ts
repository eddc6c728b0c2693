// Loads what a data-access decision needs from the current state (collection, gateway, guest owner, rules, caller), asks authz/data.ts, and records an admitted access as last_access.
import path from 'node:path';
import { sql } from 'kysely';
import type { FastifyReply } from 'fastify';
import type { Db, Store } from '../store/db.ts';
import { fromJson, nowSeconds, toJson } from '../store/db.ts';
import { forUpdate } from '../store/locking.ts';
import type { AuthContext } from '../auth/tokens.ts';
import { findByIds } from '../auth/identities.ts';
import { loadPrincipals } from '../groups/principals.ts';
import { gatewayUsesGroups, mappedUsernames, sharingUsesGroups, type CredentialState, type SharingPolicyDoc } from '../authz/gcs.ts';
import type { MappableIdentity } from '../authz/mapping.ts';
import { decideDataAccess, decideResolved, type DataAccessInput, type DataDecision, type DataDenial, type DataNeed, type DataGrant } from '../authz/data.ts';
import { findCollection, type Collection } from '../gcs/collection-repo.ts';
import { findGateway, type Gateway } from '../gcs/gateway-repo.ts';
import { mappedView, rootPath } from '../gcs/documents/collection.ts';
import { toSharingPolicy } from '../gcs/sharing-policy-repo.ts';
import { MAPPED_DEFAULTS, GUEST_DEFAULTS } from '../gcs/documents/collection.ts';
import { withDefaults } from '../gcs/documents/request.ts';
import { posixGroupsOf } from '../gcs/posix-accounts.ts';
import { implicitRulesFor } from '../gcs/access-rules-lookup.ts';
import type { AccessRule, Permission, PrincipalType } from '../authz/access-rules.ts';
import { cached, type CacheSpec } from '../store/cache.ts';
import { guestPolicyFacts } from '../gcs/guest-policy-facts.ts';
import type { UserCredentialRow } from '../gcs/tables.ts';
import type { IdentityRow } from '../auth/tables.ts';
import { lookupAccount } from './posix/accounts.ts';
import { isInside, lexicalTarget, normalizeClientPath, relativeBelow, resolveTarget, type PathIntent } from './paths.ts';
import { ConnectorError, fromErrno, type Location, type RealPaths } from './posix/types.ts';
import { LinkProbe, linkFreeOnce } from './link-probe.ts';

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

const IMPLICIT_RULES_CACHE: CacheSpec = { name: 'implicit-access-rules', tables: ['gcs_roles'], max: 10_000 };
const IDENTITIES_CACHE: CacheSpec = { name: 'data-identities', tables: ['identities'], max: 10_000 };

/** Identity rows by id: asked on every data request (caller set, guest owner); identities changes reach every process. */
function identityRows(db: Db, ids: string[]): Promise<IdentityRow[]> {
  return cached(db, IDENTITIES_CACHE, ids.join(' '), () => findByIds(db, ids));
}

interface GuestFacts {
  credential?: UserCredentialRow;
  rules: AccessRule[];
  sharingPolicies: SharingPolicyDoc[];
}

/**
 * What a guest decision reads that no cache may hold, in one statement: the creator's credential, the
 * stored access rules in force (oldest first, as explicitRuleRows orders them) and the mapped collection's
 * sharing policies (by id, as sharingPoliciesOf). Every column is text so the branches line up on both dialects.
 */
async function guestFacts(db: Db, credentialId: string | null, guestId: string, mappedId: string | null, now: number): Promise<GuestFacts> {
  const { rows } = await sql<{ k: string; n: number; a: string; b: string | null; c: string | null; d: string | null; e: string | null; f: string | null }>`
    select 'c' as k, 0 as n, id as a, identity_id as b, storage_gateway_id as c, username as d, document as e, null as f from user_credentials where id = ${credentialId}
    union all
    select 'r', created_at, id, principal_type, principal, path, permissions, cast(expires_at as text) from transfer_access_rules
      where collection_id = ${guestId} and (expires_at is null or expires_at > ${now})
    union all
    select 's', 0, id, document, null, null, null, null from sharing_policies where collection_id = ${mappedId}
    order by k, n, a`.execute(db);
  const facts: GuestFacts = { rules: [], sharingPolicies: [] };
  for (const r of rows) {
    if (r.k === 'c') facts.credential = { id: r.a, identity_id: r.b!, storage_gateway_id: r.c!, username: r.d!, document: r.e!, created_at: 0 };
    else if (r.k === 'r') {
      facts.rules.push({
        id: r.a,
        principal_type: r.b as PrincipalType,
        principal: r.c!,
        path: r.d!,
        permissions: r.e as Permission,
        expires_at: r.f === null ? null : Number(r.f),
        role_id: null,
        role_type: null,
      });
    } else {
      const policy = toSharingPolicy({ id: r.a, collection_id: mappedId!, document: r.b!, created_at: 0 });
      facts.sharingPolicies.push({ users: policy.users, sharing_restrict_paths: policy.sharing_restrict_paths });
    }
  }
  return facts;
}

/**
 * Builds the decision input from the store and the host's user database, as they are at this moment.
 * Rarely written rows come through caches that every process invalidates on change (store/cache.ts);
 * the rest of a guest's facts is one statement, and independent reads go out together.
 */
async function decisionInput(db: Db, target: DataTarget, request: DataRequest): Promise<DataAccessInput> {
  const { collection, gateway } = target;
  const guest = collection.row.collection_type === 'guest';
  const { auth } = request;
  const now = nowSeconds();
  const callerIds = auth?.identitySet ?? [];
  const ownerId = guest ? collection.row.identity_id : undefined;
  const identityIds = ownerId && !callerIds.includes(ownerId) ? [...callerIds, ownerId] : callerIds;
  const mappedId = guest ? collection.row.mapped_collection_id : null;
  const [mappedRow, principals, rows, facts, implicitRules, callerCredentialRows] = await Promise.all([
    mappedId ? findCollection(db, mappedId) : undefined,
    loadPrincipals(db, auth),
    identityIds.length ? identityRows(db, identityIds) : [],
    guest ? guestFacts(db, collection.row.user_credential_id, collection.row.id, mappedId, now) : undefined,
    guest ? cached(db, IMPLICIT_RULES_CACHE, collection.row.id, () => implicitRulesFor(db, collection.row.id)) : undefined,
    !guest && gateway && auth
      ? db.selectFrom('user_credentials').selectAll().where('storage_gateway_id', '=', gateway.row.id).where('identity_id', 'in', callerIds).execute()
      : undefined,
  ]);
  const mappedDoc = mappedRow && mappedRow.row.collection_type === 'mapped' ? mappedView(mappedRow) : undefined;
  const byId = new Map(rows.map((r) => [r.id, r]));
  const identities = callerIds
    .map((id) => byId.get(id))
    .filter((r) => r !== undefined)
    .map((r) => mappable(r as never));

  let credential: CredentialState | undefined;
  let owner: MappableIdentity | undefined;
  let rules: DataAccessInput['rules'];
  let sharingPolicies: DataAccessInput['sharingPolicies'];
  let callerCredentials: DataAccessInput['callerCredentials'];
  let policyFacts: Pick<DataAccessInput, 'guestAuthPolicy' | 'identityGroups'> = {};
  const usernames: string[] = [];
  if (facts) {
    credential = facts.credential ? credentialState(facts.credential) : undefined;
    const ownerRow = byId.get(collection.row.identity_id);
    owner = ownerRow ? mappable(ownerRow as never) : undefined;
    rules = [...implicitRules!, ...facts.rules];
    sharingPolicies = mappedDoc ? facts.sharingPolicies : [];
    policyFacts = await guestPolicyFacts(db, mappedDoc?.guest_auth_policy_id, auth);
    if (credential) usernames.push(credential.username);
  } else if (callerCredentialRows) {
    callerCredentials = callerCredentialRows.map(credentialState);
    usernames.push(...mappedUsernames(gateway!.policy, identities));
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
    ...policyFacts,
    auth,
    principals,
    identities,
    callerCredentials,
    accountGroups,
    homes,
    path: request.path,
    need: request.need,
    httpsMethod: request.httpsMethod,
    now,
  };
}

function trimSlash(p: string): string {
  return p.replace(/\/+$/, '') || '/';
}

const leavesRoot = (relative: string): DataDenial => ({
  allowed: false,
  status: 403,
  reason: 'path_outside_root',
  message: `Path '${relative}' leaves the collection root`,
});

/**
 * The decision again on the real paths, where a link leads elsewhere: the target below the real boundary,
 * and for a guest its base below the real root of its mapped collection, so that neither a link inside the
 * share nor a guest base that is itself a link opens a part of the tree the restrictions close.
 */
function decideOnRealPath(input: DataAccessInput, decision: DataGrant, real: RealPaths): DataDecision {
  if (!isInside(real.root, real.boundary) || !isInside(real.boundary, real.target)) return leavesRoot(decision.relative);
  const relative = relativeBelow(real.boundary, real.target);
  const base = decision.base === undefined ? undefined : relativeBelow(real.root, real.boundary);
  const sameBase = base === undefined || base === (normalizeClientPath(decision.base!) as { relative?: string }).relative;
  if (sameBase && relative === trimSlash(decision.relative)) return decision;
  const second = decideResolved(input, relative, base);
  return second.allowed ? decision : second;
}

/** A granted decision with the location the connector is to act on: the real paths it was decided on included. */
export type CheckedGrant = DataGrant & { at: Location };
export type CheckedDecision = CheckedGrant | DataDenial;

/**
 * Decides one data request, then resolves its path and, where a link on it (or on a guest's base) leads
 * elsewhere, decides on the real paths too. The grant carries those real paths (`at.real`): the connector
 * acts only on what is at exactly those paths when it runs. A path the resolution refuses is refused
 * (path_outside_root), and one it cannot resolve fails with the connector's error (ConnectorError).
 */
export async function decideRequest(db: Db, target: DataTarget, request: DataRequest, intent: PathIntent): Promise<CheckedDecision> {
  return decideOn(await decisionInput(db, target, request), intent);
}

/**
 * decideRequest for many paths of one caller, collection and need (a Transfer task's files): the facts
 * are loaded once, and each path is decided on them and resolved on its own. The facts are those of the
 * moment it was made, so the caller keeps it only briefly.
 */
export async function requestDecider(
  db: Db,
  target: DataTarget,
  request: Omit<DataRequest, 'path'>,
): Promise<(path: string, intent: PathIntent, listed?: boolean) => Promise<CheckedDecision>> {
  const input = await decisionInput(db, target, { ...request, path: '/' });
  // A tree's files share their directories: each directory is resolved once for this decider's lifetime.
  const probe = new LinkProbe();
  return (p, intent, listed) => decideOn({ ...input, path: p }, intent, (t, b, i) => probe.linkFree(t, b, i, listed));
}

async function decideOn(input: DataAccessInput, intent: PathIntent, linkFree = linkFreeOnce): Promise<CheckedDecision> {
  const decision = decideDataAccess(input);
  if (!decision.allowed) return decision;
  const at: Location = { root: decision.root, base: decision.base, path: decision.relative };
  const lex = lexicalTarget(at.root, at.base, at.path);
  if ('ok' in lex) throw new ConnectorError(lex.code, lex.message);
  // Usually no component is a link: one realpath shows it — of the parent for a write, whose final name is never followed.
  if (await linkFree(lex.target, lex.boundary, intent))
    return { ...decision, at: { ...at, real: { target: lex.target, boundary: lex.boundary, root: path.resolve(at.root) } } };
  let resolved;
  try {
    resolved = await resolveTarget({ ...at, intent });
  } catch (error) {
    throw fromErrno(error, decision.relative);
  }
  if (!resolved.ok) {
    if (resolved.code === 'path_outside_root') return leavesRoot(decision.relative);
    throw new ConnectorError(resolved.code, resolved.message);
  }
  const real: RealPaths = { target: resolved.path, boundary: resolved.boundary, root: resolved.root };
  const final = decideOnRealPath(input, decision, real);
  return final.allowed ? { ...decision, at: { ...at, real } } : final;
}

export interface ReadAdmission {
  /** the decision on the path as the client wrote it */
  decision: DataDecision;
  /**
   * The final decision once the read has opened the file and reports where it really is (ReadResult.real):
   * the same decision when no link was involved. Nothing may be sent before it. Without a report (a read
   * that failed) the server resolves the path itself, and refuses what it cannot resolve.
   */
  onRealPath(real: RealPaths | undefined): Promise<DataDecision>;
}

/**
 * decideRequest for a file read, with the link check moved after the open: the reading account resolves
 * the path anyway, so the server needs no resolution of its own (no file-system call on its event loop).
 */
export async function decideForRead(db: Db, target: DataTarget, request: DataRequest): Promise<ReadAdmission> {
  const input = await decisionInput(db, target, request);
  const decision = decideDataAccess(input);
  return {
    decision,
    onRealPath: async (real) => {
      if (!decision.allowed) return decision;
      if (real) return decideOnRealPath(input, decision, real);
      const resolved = await resolveTarget({ root: decision.root, base: decision.base, path: decision.relative, intent: 'read' }).catch(() => null);
      if (!resolved?.ok) return leavesRoot(decision.relative);
      return decideOnRealPath(input, decision, { target: resolved.path, boundary: resolved.boundary, root: resolved.root });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// last_access: the UTC day of the collection's latest successful data access.

let currentDay = { number: -1, text: '' };
function utcDay(): string {
  const now = Date.now();
  const number = Math.floor(now / 86_400_000);
  if (number !== currentDay.number) currentDay = { number, text: new Date(now).toISOString().slice(0, 10) };
  return currentDay.text;
}

/** Per process: the day already recorded (or being recorded) per collection, so a busy collection costs one write a day. */
const recorded = new Map<string, string>();

/**
 * The day to record for an access to `target` that succeeds, or undefined when its document (as loaded
 * for this request) already says today: the common case costs a string comparison.
 */
function lastAccessDue(target: DataTarget): string | undefined {
  const day = utcDay();
  if (target.collection.doc.last_access === day || recorded.get(target.collection.row.id) === day) return undefined;
  return day;
}

/**
 * Writes `last_access` into the collection document, in a transaction of its own that re-reads the document
 * under the write lock (SQLite's immediate transaction, PostgreSQL's row lock): a concurrent edit of the
 * collection is never lost, and the date never moves back. Run it after the response, not before.
 */
export async function recordLastAccess(store: Store, collectionId: string, day: string): Promise<void> {
  if (recorded.get(collectionId) === day) return;
  if (recorded.size >= 10_000) recorded.clear();
  recorded.set(collectionId, day);
  try {
    await store.tx(async (trx) => {
      const row = await forUpdate(trx, trx.selectFrom('collections').select('document').where('id', '=', collectionId)).executeTakeFirst();
      if (!row) return;
      const doc = fromJson<Record<string, unknown>>(row.document, {});
      if (typeof doc.last_access === 'string' && doc.last_access >= day) return;
      await trx
        .updateTable('collections')
        .set({ document: toJson({ ...doc, last_access: day }) })
        .where('id', '=', collectionId)
        .execute();
    });
  } catch (error) {
    // Not recorded: a later access tries again.
    recorded.delete(collectionId);
    throw error;
  }
}

/**
 * Every admitted access to a collection's files — the HTTPS data plane and the Transfer file operations
 * alike — counts for `last_access` (the guest auto-delete job reads it): call this once the request has
 * been authorized. The date is written only when the response went out whole with a success status,
 * never on the request's own path, and a failed write is logged, not answered.
 */
export function noteAccess(store: Store, target: DataTarget, reply: FastifyReply): void {
  const day = lastAccessDue(target);
  if (!day) return;
  const id = target.collection.row.id;
  reply.raw.once('finish', () => {
    if (reply.statusCode >= 400) return;
    recordLastAccess(store, id, day).catch((error) => reply.log.warn({ err: error, collection: id }, 'could not record last_access'));
  });
}

export type { DataGrant };
