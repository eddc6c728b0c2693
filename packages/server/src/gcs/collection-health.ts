// Whether a collection is still usable (collection check; the guest re-checks of semantics.md §8 items 1–5).
import type { Db } from '../store/db.ts';
import { fromJson } from '../store/db.ts';
import { findById } from '../auth/identities.ts';
import { collectionProblem, gatewayUsesGroups, sharingUsesGroups, type AccountGroups, type CollectionProblem } from '../authz/gcs.ts';
import { findCollection, type Collection } from './collection-repo.ts';
import { findGateway } from './gateway-repo.ts';
import { mappedView } from './documents/collection.ts';
import { accountGroupsCache } from './posix-accounts.ts';

/**
 * Loads what the decision needs from the current state (gateway, mapped collection, credential, owner
 * identity, the account's POSIX groups) and returns the first problem, or null.
 */
export async function collectionHealth(
  db: Db,
  collection: Collection,
  lookupGroups: (usernames: string[]) => Promise<AccountGroups> = accountGroupsCache(),
): Promise<CollectionProblem | null> {
  const gateway = await findGateway(db, collection.row.storage_gateway_id);
  const ref = { ...collection.ref, user_credential_id: collection.row.user_credential_id };
  if (!gateway || collection.row.collection_type !== 'guest') return collectionProblem({ collection: ref, gateway: gateway?.policy });
  const mappedRow = collection.row.mapped_collection_id ? await findCollection(db, collection.row.mapped_collection_id) : undefined;
  const mapped = mappedRow && mappedRow.row.collection_type === 'mapped' ? mappedView(mappedRow) : undefined;
  const credentialRow = collection.row.user_credential_id
    ? await db.selectFrom('user_credentials').selectAll().where('id', '=', collection.row.user_credential_id).executeTakeFirst()
    : undefined;
  const credential = credentialRow && {
    id: credentialRow.id,
    identity_id: credentialRow.identity_id,
    storage_gateway_id: credentialRow.storage_gateway_id,
    username: credentialRow.username,
    invalid: fromJson<{ invalid?: boolean }>(credentialRow.document, {}).invalid === true,
  };
  const ownerRow = await findById(db, collection.row.identity_id);
  const owner = ownerRow ? { ...ownerRow, password_hash: undefined } : undefined;
  const needsGroups = credential && (gatewayUsesGroups(gateway.policy) || (mapped !== undefined && sharingUsesGroups(mapped)));
  const accountGroups = needsGroups ? (await lookupGroups([credential.username])).get(credential.username) : undefined;
  return collectionProblem({ collection: ref, gateway: gateway.policy, mapped, credential, owner, accountGroups });
}

const MESSAGES: Record<CollectionProblem['kind'], string> = {
  storage_gateway_not_found: 'Deleted Storage Gateway',
  collection_not_found: 'Deleted Mapped Collection',
  guest_collections_disabled: 'The mapped collection no longer allows guest collections',
  credential_not_found: 'Missing User Credential',
  invalid_credential: 'Invalid User Credential',
  not_from_allowed_domain: 'The owner identity is not from an allowed domain of the storage gateway',
  invalid_user: 'The owner identity no longer maps to the user credential account',
  sharing_not_allowed: 'The user credential account may no longer share from the mapped collection',
};

/** The typed detail document of a problem, where the spec has one. */
function problemDetail(p: CollectionProblem): Record<string, unknown> | null {
  switch (p.kind) {
    case 'storage_gateway_not_found':
      return { DATA_TYPE: 'storage_gateway_not_found#1.0.0', storage_gateway_id: p.storage_gateway_id };
    case 'collection_not_found':
      return { DATA_TYPE: 'collection_not_found#1.0.0', collection_id: p.collection_id };
    case 'credential_not_found':
      return { DATA_TYPE: 'credential_not_found#1.0.0', accounts: [] };
    case 'invalid_credential':
      return { DATA_TYPE: 'invalid_credential#1.0.0', user_credential_id: p.user_credential_id };
    case 'not_from_allowed_domain':
      return { DATA_TYPE: 'not_from_allowed_domain#1.0.0', allowed_domains: p.allowed_domains };
    case 'invalid_user':
    case 'sharing_not_allowed':
      return { DATA_TYPE: 'invalid_user#1.0.0', usernames: p.usernames };
    default:
      return null;
  }
}

/** `check_result#1.0.0`: `error` is null for a healthy collection, else `{code, detail}` naming the first problem [I for the error shape]. */
export function checkResultDocument(collectionId: string, problem: CollectionProblem | null) {
  return {
    DATA_TYPE: 'check_result#1.0.0',
    id: collectionId,
    message: problem ? MESSAGES[problem.kind] : 'OK',
    error: problem ? { code: problem.kind, detail: problemDetail(problem) } : null,
  };
}
