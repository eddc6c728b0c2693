// Identities named on the command line: an identity id as is, a username looked up in Auth (a bare name is the server's local user, `alice` → `alice@<identity domain>`).
import { CliError } from './output.ts';
import type { Session } from './session.ts';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Like globus-cli: a UUID is an identity id, anything else a username looked up in Auth (GET /v2/api/identities). */
export async function resolveIdentity(session: Session, value: string): Promise<{ id: string; username: string }> {
  if (UUID_RE.test(value)) return { id: value.toLowerCase(), username: value };
  const { identities } = await session.authClient().getIdentities({ usernames: value });
  const wanted = value.toLowerCase();
  // The server qualifies a bare name with its identity domain; a qualified one comes back as asked.
  const match = identities.find((i) => {
    const name = i.username.toLowerCase();
    return name === wanted || (!wanted.includes('@') && name.startsWith(`${wanted}@`));
  });
  if (!match) {
    const hint = value.includes('@') ? '' : ` (a bare name is looked up as ${value}@ the server's identity domain)`;
    throw new CliError(`No identity with username ${value}${hint}`);
  }
  return { id: match.id, username: match.username };
}
