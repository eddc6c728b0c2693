// Paths a command names that do not exist (yet) on a collection: the change is made anyway, as Globus makes it, but the command says so.
import { GlobusAPIError } from '@gatehouse/sdk';
import type { Session } from '../session.ts';
import { dataAccessTransferClient } from './collection-consent.ts';

/**
 * Looks at `path` on the collection (Transfer ls, GET /v0.10/operation/endpoint/{id}/ls, with the
 * collection's data_access where it has one) and warns on
 * stderr when it is not there. Anything else — no consent, no permission, a server that cannot tell —
 * says nothing: the warning is a courtesy, never a failure.
 */
export async function warnIfMissing(session: Session, collectionId: string, path: string, what: string): Promise<void> {
  try {
    await (await dataAccessTransferClient(session, [collectionId])).operationLs(collectionId, { path, limit: 1 });
  } catch (error) {
    // A missing path is a 404; a missing collection root, which no path can be resolved under, InvalidPath.
    const missing =
      error instanceof GlobusAPIError &&
      ((error.httpStatus === 404 && error.code === 'ClientError.NotFound') || (error.code === 'InvalidPath' && /does not exist/.test(error.message)));
    if (missing) process.stderr.write(`Warning: ${what} ${path} does not exist on collection ${collectionId} (yet): ${error.message}\n`);
  }
}
