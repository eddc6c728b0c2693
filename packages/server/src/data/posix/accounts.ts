// Local accounts from the host's user database (NSS through getent/id): credentials for workers, names for listings.
import { execFile } from 'node:child_process';
import os from 'node:os';
import { ConnectorError } from './types.ts';

export interface Account {
  username: string;
  uid: number;
  gid: number;
  /** supplementary groups, primary included, as `id -G` prints them */
  groups: number[];
  home: string;
}

function run(cmd: string, args: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 5000, encoding: 'utf8' }, (error, stdout) => resolve(error ? null : stdout));
  });
}

// POSIX portable names plus what NSS back ends commonly allow (`.`, `@` for AD); never a leading `-` (option injection).
const USERNAME = /^[A-Za-z0-9_.@][A-Za-z0-9_.@$-]{0,254}$/;

export function validUsername(name: string): boolean {
  return typeof name === 'string' && USERNAME.test(name);
}

const accountCache = new Map<string, { at: number; account: Promise<Account | null> }>();
// Group membership changes should reach new workers within a minute.
const ACCOUNT_TTL_MS = 60_000;

async function readAccount(username: string): Promise<Account | null> {
  const passwd = await run('getent', ['passwd', username]);
  const fields = passwd?.trim().split('\n')[0]?.split(':');
  if (!fields || fields.length < 7 || fields[0] !== username) return null;
  const uid = Number(fields[2]);
  const gid = Number(fields[3]);
  const groupsOut = await run('id', ['-G', '--', username]);
  const groups = (groupsOut ?? `${gid}`)
    .trim()
    .split(/\s+/)
    .map(Number)
    .filter((n) => Number.isInteger(n) && n >= 0);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) return null;
  return { username, uid, gid, groups: groups.includes(gid) ? groups : [gid, ...groups], home: fields[5] || '/' };
}

/** The account named `username`, or null when the host does not know it. Concurrent callers share one lookup. */
export function lookupAccount(username: string): Promise<Account | null> {
  if (!validUsername(username)) return Promise.resolve(null);
  const cached = accountCache.get(username);
  if (cached && Date.now() - cached.at < ACCOUNT_TTL_MS) return cached.account;
  const account = readAccount(username);
  accountCache.set(username, { at: Date.now(), account });
  return account;
}

export async function requireAccount(username: string): Promise<Account> {
  const account = await lookupAccount(username);
  if (!account) throw new ConnectorError('account_unavailable', `Local account '${username}' does not exist on this host`);
  return account;
}

/** The account the server process itself runs as. */
export function serverUsername(): string {
  try {
    return os.userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'unknown');
  }
}

const userNames = new Map<number, Promise<string>>();
const groupNames = new Map<number, Promise<string>>();

async function nameFromDb(db: 'passwd' | 'group', id: number): Promise<string> {
  const out = await run('getent', [db, String(id)]);
  const name = out?.split(':')[0];
  return name ? name : String(id);
}

/** Owner name for listings; unknown ids print as numbers, like ls does. */
export function userName(uid: number): Promise<string> {
  let p = userNames.get(uid);
  if (!p) {
    p = nameFromDb('passwd', uid);
    userNames.set(uid, p);
    // Forget after a while: accounts come and go (tests create and delete them).
    setTimeout(() => userNames.delete(uid), 300_000).unref();
  }
  return p;
}

export function groupName(gid: number): Promise<string> {
  let p = groupNames.get(gid);
  if (!p) {
    p = nameFromDb('group', gid);
    groupNames.set(gid, p);
    setTimeout(() => groupNames.delete(gid), 300_000).unref();
  }
  return p;
}
