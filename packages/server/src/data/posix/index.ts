// The POSIX connector factory: connectorFor(localUsername) → a worker-backed connector as root, the in-process one in personal mode.
import { requireAccount, serverUsername, validUsername } from './accounts.ts';
import { UploadJournal, type SweepReport } from './journal.ts';
import { InProcessConnector } from './local.ts';
import { AccountPool } from './pool.ts';
import { WorkerConnector } from './worker-connector.ts';
import { ConnectorError, type PosixConnector } from './types.ts';
import { workerScript } from './worker-script.ts';

export * from './types.ts';
export type { SweepReport } from './journal.ts';
export { readTransport } from './worker-connector.ts';

export interface PosixConnectorsOptions {
  /** the server's data dir (or a subdir): holds the upload journal */
  stateDir: string;
  /** `auto` (default): privileged when running as root, personal otherwise */
  mode?: 'auto' | 'personal' | 'privileged';
  /** personal mode: the one account operations may run as; defaults to the process's own */
  serverAccount?: string;
  /** an account's idle workers exit after this long (default 30 s) */
  idleTimeoutMs?: number;
  /** concurrent worker processes per account (default 8); streams hold one each */
  maxWorkersPerAccount?: number;
  /** how worker reads reach the server: `auto` (descriptor handoff via /proc, socket fallback) or always `socket` */
  readTransport?: 'auto' | 'socket';
}

export class PosixConnectors {
  readonly mode: 'personal' | 'privileged';
  readonly serverAccount: string;
  private readonly journal: UploadJournal;
  private readonly pools = new Map<string, AccountPool>();
  private readonly idleTimeoutMs: number;
  private readonly maxWorkers: number;
  private local: InProcessConnector | null = null;
  private readonly readTransport: 'auto' | 'socket';
  private readonly stateDir: string;
  private script: string | undefined;

  constructor(options: PosixConnectorsOptions) {
    const mode = options.mode ?? 'auto';
    this.mode = mode === 'auto' ? (process.getuid?.() === 0 ? 'privileged' : 'personal') : mode;
    this.serverAccount = options.serverAccount ?? serverUsername();
    this.stateDir = options.stateDir;
    this.journal = new UploadJournal(options.stateDir);
    this.idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
    this.maxWorkers = Math.max(1, options.maxWorkersPerAccount ?? 8);
    this.readTransport = options.readTransport ?? 'auto';
    if (this.mode === 'privileged' && process.getuid?.() !== 0) throw new Error('Privileged POSIX mode needs the server to run as root');
  }

  /**
   * The connector acting as `localUsername`. Privileged: a pool of worker processes with that account's
   * uid, gid and groups (root itself is refused). Personal: only the server's own account.
   */
  async connectorFor(localUsername: string): Promise<PosixConnector> {
    if (!validUsername(localUsername)) throw new ConnectorError('account_unavailable', `'${String(localUsername)}' is not a valid local account name`);
    if (this.mode === 'personal') {
      if (localUsername !== this.serverAccount) {
        throw new ConnectorError(
          'account_unavailable',
          `Gatehouse runs as '${this.serverAccount}' (personal mode) and cannot act as local account '${localUsername}'`,
        );
      }
      this.local ??= new InProcessConnector(this.serverAccount, this.journal);
      return this.local;
    }
    const account = await requireAccount(localUsername);
    if (account.uid === 0) throw new ConnectorError('account_unavailable', `Gatehouse does not act as a uid 0 account ('${localUsername}')`);
    let pool = this.pools.get(localUsername);
    // Same name, different uid (account recreated): the old workers hold stale credentials.
    if (pool && (pool.account.uid !== account.uid || pool.account.gid !== account.gid || pool.account.groups.join() !== account.groups.join())) {
      void pool.close();
      pool = undefined;
    }
    if (!pool) {
      this.script ??= workerScript(this.stateDir);
      pool = new AccountPool(account, {
        workerScript: this.script,
        idleTimeoutMs: this.idleTimeoutMs,
        maxWorkersPerAccount: this.maxWorkers,
        readTransport: this.readTransport,
      });
      this.pools.set(localUsername, pool);
    }
    return new WorkerConnector(pool, this.journal, this.readTransport);
  }

  /** Removes temp files left by uploads whose writer died (run at start; safe to run any time). */
  sweep(): Promise<SweepReport> {
    return this.journal.sweep();
  }

  /** Worker pids of an account (diagnostics, tests). */
  workerPids(localUsername: string): number[] {
    return this.pools.get(localUsername)?.pids() ?? [];
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close()));
  }
}

/** Creates the factory and sweeps what a previous run left behind. */
export async function createPosixConnectors(options: PosixConnectorsOptions): Promise<PosixConnectors> {
  const connectors = new PosixConnectors(options);
  await connectors.sweep();
  return connectors;
}
