// Local POSIX accounts: the groups a mapped account belongs to, from the host's user database (NSS via `id`).
import { execFile } from 'node:child_process';

/**
 * Names `id` can look up without being read as options or shell syntax; anything else is not a
 * POSIX account name (mapping output is admin-configured but derived from identity fields).
 */
const ACCOUNT_NAME_RE = /^[A-Za-z0-9_.][A-Za-z0-9_.@-]{0,255}\$?$/;

/**
 * The POSIX group names of a local account (primary and supplementary), or undefined when there is no
 * such account. `id -Gn` goes through NSS, so LDAP/SSSD accounts resolve as they do for file access.
 */
export function posixGroupsOf(username: string): Promise<string[] | undefined> {
  if (!ACCOUNT_NAME_RE.test(username)) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    execFile('id', ['-Gn', '--', username], { timeout: 5000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' } }, (error, stdout) => {
      if (error) return resolve(undefined);
      resolve(stdout.trim().split(/\s+/).filter(Boolean));
    });
  });
}

/**
 * A per-request memo of account groups: one request may judge the same account for many collections,
 * while the next request must see membership changes, so nothing outlives the request.
 */
export function accountGroupsCache(): (usernames: string[]) => Promise<Map<string, string[]>> {
  const known = new Map<string, Promise<string[] | undefined>>();
  return async (usernames) => {
    const out = new Map<string, string[]>();
    for (const name of new Set(usernames)) {
      if (!known.has(name)) known.set(name, posixGroupsOf(name));
      const groups = await known.get(name)!;
      if (groups !== undefined) out.set(name, groups);
    }
    return out;
  };
}
