// Per-path authorization of a task's I/O, as the HTTPS data plane decides it (data/access.ts decideRequest): read on the source, write on the destination, then the connector of the account the decision names.
import type { ServiceContext } from '../../context.ts';
import type { AuthContext } from '../../auth/tokens.ts';
import { decideRequest, loadTarget, recordLastAccess, type DataTarget } from '../../data/access.ts';
import { dataConnectors } from '../../data/index.ts';
import { ConnectorError, type Location, type PosixConnector } from '../../data/posix/types.ts';
import type { DataGrant } from '../../authz/data.ts';
import { fault, faultOf, FaultError, type Side } from './faults.ts';

export interface Admitted {
  target: DataTarget;
  grant: DataGrant;
  connector: PosixConnector;
  /** where the connector acts, with the real paths decided on */
  at: Location;
}

/** The collection's name in events, as its document says. */
export function endpointOf(target: DataTarget | undefined, id: string): { id: string; name: string } {
  return { id, name: String(target?.collection.doc.display_name ?? id) };
}

/**
 * Decides one path of a task now, as its submitter (the AuthContext of authz/task-authority.ts), and
 * returns the connector to act with; a denial or a path that cannot be resolved is thrown as a FaultError
 * (PERMISSION_DENIED, FILE_NOT_FOUND, …) on that side. Every admitted path counts as an access of the
 * collection for last_access, as the data plane counts it.
 */
export async function admit(
  ctx: ServiceContext,
  collectionId: string,
  auth: AuthContext,
  path: string,
  need: 'read' | 'write',
  side: Side,
  operation: string,
): Promise<Admitted> {
  const target = await loadTarget(ctx.store.db, collectionId);
  if (!target) throw new FaultError(fault('ENDPOINT_ERROR', `Collection ${collectionId} no longer exists`, side, operation));
  let decision;
  try {
    decision = await decideRequest(ctx.store.db, target, { auth, path, need }, need);
  } catch (error) {
    throw new FaultError(faultOf(error, side, operation));
  }
  if (!decision.allowed) throw new FaultError(fault('PERMISSION_DENIED', decision.message, side, operation));
  let connector: PosixConnector;
  try {
    connector = await (await dataConnectors(ctx)).connectorFor(decision.account);
  } catch (error) {
    throw new FaultError(faultOf(error instanceof ConnectorError ? error : new ConnectorError('account_unavailable', String(error)), side, operation));
  }
  void recordLastAccess(ctx.store, collectionId, new Date().toISOString().slice(0, 10)).catch(() => {});
  return { target, grant: decision, connector, at: decision.at };
}
