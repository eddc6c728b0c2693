// Per-path authorization of a task's I/O, as the HTTPS data plane decides it (data/access.ts): read on the source, write on the destination, then the connector of the account the decision names.
import type { ServiceContext } from '../../context.ts';
import type { AuthContext } from '../../auth/tokens.ts';
import { loadTarget, recordLastAccess, requestDecider, type CheckedDecision, type DataTarget } from '../../data/access.ts';
import type { PathIntent } from '../../data/paths.ts';
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

/** How old the facts a task's decisions are made on may be: a removed rule or mapping stops the next files within it. */
export const FACTS_MS = 250;

type Decider = { target: DataTarget | undefined; decide?: (path: string, intent: PathIntent, listed?: boolean) => Promise<CheckedDecision>; at: number };

/**
 * The facts of one task's decisions, per collection and need, loaded at most every FACTS_MS: a tree of
 * files is decided file by file (each path, each link on it, on its own), without loading the same
 * collection, rules and mapping for every file.
 */
export class TaskDecisions {
  private readonly deciders = new Map<string, Promise<Decider>>();

  async decider(ctx: ServiceContext, collectionId: string, auth: AuthContext, need: 'read' | 'write'): Promise<Decider> {
    const key = `${collectionId} ${need}`;
    const now = Date.now();
    const cached = this.deciders.get(key);
    if (cached) {
      const d = await cached;
      if (now - d.at < FACTS_MS) return d;
    }
    const loading = (async (): Promise<Decider> => {
      const target = await loadTarget(ctx.store.db, collectionId);
      if (!target) return { target, at: now };
      return { target, decide: await requestDecider(ctx.store.db, target, { auth, need }), at: now };
    })();
    this.deciders.set(key, loading);
    loading.catch(() => this.deciders.delete(key));
    return loading;
  }
}

/**
 * Decides one path of a task now, as its submitter (the AuthContext of authz/task-authority.ts), and
 * returns the connector to act with; a denial or a path that cannot be resolved is thrown as a FaultError
 * (PERMISSION_DENIED, FILE_NOT_FOUND, …) on that side. Every admitted path counts as an access of the
 * collection for last_access, as the data plane counts it. `listed`: the path's final name was just seen
 * in a listing as no link (data/link-probe.ts).
 */
export async function admit(
  ctx: ServiceContext,
  collectionId: string,
  auth: AuthContext,
  path: string,
  need: 'read' | 'write',
  side: Side,
  operation: string,
  decisions: TaskDecisions = new TaskDecisions(),
  listed = false,
): Promise<Admitted> {
  let decision: CheckedDecision;
  let target: DataTarget | undefined;
  try {
    const d = await decisions.decider(ctx, collectionId, auth, need);
    target = d.target;
    if (!d.decide) throw new FaultError(fault('ENDPOINT_ERROR', `Collection ${collectionId} no longer exists`, side, operation));
    decision = await d.decide(path, need, listed);
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
  return { target: target!, grant: decision, connector, at: decision.at };
}
