// A Transfer client carrying the data_access consents of the mapped collections a command touches, and the login hint when one is missing.
import type { Command } from 'commander';
import { GCSCollectionScopes, TransferAPIError, TransferScopes, type TransferClient } from '@gatehouse/sdk';
import { CliError, formatOf } from '../output.ts';
import type { Session } from '../session.ts';

/**
 * A TransferClient fit for file operations and tasks on `collectionIds`: each non-HA mapped collection
 * wants its data_access consent under the Transfer token (`transfer:all[<a>/data_access <b>/data_access]`),
 * as globus-cli asks for it; the endpoint lookup tells which kind each collection is.
 */
export async function dataAccessTransferClient(session: Session, collectionIds: readonly string[]): Promise<TransferClient> {
  const plain = session.transferClient();
  let scope = TransferScopes.all;
  let needed = false;
  for (const id of new Set(collectionIds)) {
    const record = await plain.getEndpoint(id);
    if (record.entity_type !== 'GCSv5_mapped_collection' || record.high_assurance) continue;
    scope = scope.withDependency(GCSCollectionScopes(id).data_access);
    needed = true;
  }
  return needed ? session.transferClient(String(scope)) : plain;
}

/** The collections whose data_access a ConsentRequired asks for (its required scopes name them), else `fallback`. */
function collectionsAskedFor(error: TransferAPIError, fallback: readonly string[]): string[] {
  const scopes = error.authorizationParameters?.requiredScopes ?? [];
  const ids = [
    ...new Set(scopes.flatMap((s) => [...s.matchAll(/https:\/\/auth\.globus\.org\/scopes\/([0-9a-f-]{36})\/data_access/gi)].map((m) => m[1].toLowerCase()))),
  ];
  return ids.length ? ids : [...new Set(fallback)];
}

/** A missing consent in the user's terms: which login gives it (JSON output keeps the raw error). */
export function consentError(cmd: Command, error: unknown, collectionIds: readonly string[], session: Session): unknown {
  if (!(error instanceof TransferAPIError) || formatOf(cmd) === 'json' || error.code !== 'ConsentRequired') return error;
  const logins = collectionsAskedFor(error, collectionIds)
    .map((id) => `--collection ${id}`)
    .join(' ');
  const hint = session.credentials.kind === 'user' ? `\nHint: run \`gatehouse login ${logins}\`` : '';
  return new CliError(`${error.message}\nHTTP status: ${error.httpStatus}\ncode: ${error.code}${hint}`);
}
