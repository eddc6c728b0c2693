// Shared pieces of the GCS commands: a GCSClient on the session, API errors in the admin's words, option parsers and printers.
import { resolveIdentity } from '../../identities.ts';
import fs from 'node:fs';
import { type Command, Option } from 'commander';
import { GCSAPIError, GCSClient, missingRequiredRoles, type GCSDocument, type GCSInfo, type GCSMissingRole, type GCSResult } from '@gatehouse/sdk';
import { CliError, formatOf, print, table, toText } from '../../output.ts';
import { withSession, type Session } from '../../session.ts';

export interface GcsContext {
  session: Session;
  client: GCSClient;
  info: GCSInfo;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `role` on the endpoint / on collection X: how an admin reads a missing_required_role entry. */
function roleWords(entry: GCSMissingRole): string {
  return entry.collection ? `${entry.role} on collection ${entry.collection}` : `${entry.role} on the endpoint`;
}

/** The API's message plus what its `detail` document says, in the layout main.ts uses for API errors. */
export function gcsErrorText(error: GCSAPIError): string {
  const lines = [error.message];
  const detail = error.detail as Record<string, unknown> | string | null | undefined;
  const roles = missingRequiredRoles(error);
  if (roles) lines.push(`Missing role (any one suffices): ${roles.map(roleWords).join(', ')}`);
  else if (typeof detail === 'string' && detail !== error.message) lines.push(detail);
  else if (detail && typeof detail === 'object') {
    const { DATA_TYPE, ...fields } = detail;
    if (Array.isArray(fields.errors)) {
      for (const e of fields.errors as Array<{ property?: string; message?: string }>) lines.push(`  ${e.property ? `${e.property}: ` : ''}${e.message ?? ''}`);
    } else if (Object.keys(fields).length) {
      lines.push(`${String(DATA_TYPE ?? 'detail').split('#')[0]}: ${JSON.stringify(fields)}`);
    }
  }
  const required = error.authorizationParameters?.requiredScopes;
  if (required?.length) lines.push(`Consent required for: ${required.join(' ')}`);
  lines.push(`HTTP status: ${error.httpStatus}`);
  if (error.code) lines.push(`code: ${error.code}`);
  return lines.join('\n');
}

/**
 * Runs a GCS command: learns the endpoint's resource server from /api/info (no token needed), then
 * calls `fn` with a client holding a manage_collections authorizer. With `--format json` API errors
 * pass through raw, as globus-cli prints them.
 */
/**
 * `fn` with a GCS client of the endpoint this server hosts. `scope`: what a client-credentials token asks
 * for instead of plain manage_collections (e.g. with a mapped collection's data_access as a dependency); a
 * stored login uses its token, whose consents were settled at login.
 */
export function withGcs<T>(cmd: Command, fn: (ctx: GcsContext) => Promise<T>, scope?: (endpointId: string) => string): Promise<T> {
  return withSession(cmd, async (session) => {
    try {
      const info = (await new GCSClient(session.origin, { transport: session.transport }).getGcsInfo()).data;
      const authorizer = scope ? session.scopedAuthorizer(info.client_id, scope(info.client_id)) : session.authorizer(info.client_id);
      const client = new GCSClient(session.origin, { transport: session.transport, authorizer });
      return await fn({ session, client, info });
    } catch (error) {
      if (error instanceof GCSAPIError && formatOf(cmd) === 'text') throw new CliError(gcsErrorText(error));
      throw error;
    }
  });
}

// ---- option parsers -----------------------------------------------------------------------------

/** Repeatable option that also splits commas: `--domain a --domain b,c` → [a, b, c]. */
export function collect(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

export function integer(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n)) throw new CliError(`${name} must be an integer, got ${value}`, 2);
    return n;
  };
}

/** JSON given inline or as a path to a file holding it (globus-connect-server accepts both). */
export function jsonValue(name: string): (value: string) => unknown {
  return (value) => {
    const text = value.trim().startsWith('{') || value.trim().startsWith('[') ? value : fs.existsSync(value) ? fs.readFileSync(value, 'utf8') : value;
    try {
      return JSON.parse(text);
    } catch {
      throw new CliError(`${name} must be JSON or a file containing JSON`, 2);
    }
  };
}

/** Commander's attribute name for a long flag: `--allow-guest-collections` → `allowGuestCollections`. */
const optionKey = (flag: string) => flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** `--x` / `--no-x`-style pairs with globus-connect-server's own spellings (e.g. --public / --private). */
export function flagPair(command: Command, on: string, off: string, description: string): Command {
  command.addOption(new Option(on, description).conflicts(optionKey(off)));
  command.addOption(new Option(off, `opposite of ${on}`).conflicts(optionKey(on)));
  return command;
}

/** The value a flagPair chose: true, false, or undefined when neither was given. */
export function pairValue(opts: Record<string, unknown>, on: string, off: string): boolean | undefined {
  if (opts[optionKey(on)]) return true;
  if (opts[optionKey(off)]) return false;
  return undefined;
}

export function requireUuid(what: string, value: string): string {
  if (!UUID_RE.test(value)) throw new CliError(`${what} must be a UUID, got ${value}`, 2);
  return value.toLowerCase();
}

/**
 * A role principal as globus-connect-server takes it: a URN as is, a group id with --principal-type
 * group, an identity id, or a username looked up in Auth.
 */
export async function resolvePrincipal(session: Session, value: string, type: 'identity' | 'group'): Promise<string> {
  if (value.startsWith('urn:')) return value;
  if (type === 'group') return `urn:globus:groups:id:${requireUuid('A group principal', value)}`;
  if (UUID_RE.test(value)) return `urn:globus:auth:identity:${value.toLowerCase()}`;
  return `urn:globus:auth:identity:${await identityIdOf(session, value)}`;
}

/** An identity id, or the id of a username (a bare name is the server's local user: alice → alice@<identity domain>). */
export async function identityIdOf(session: Session, value: string): Promise<string> {
  return (await resolveIdentity(session, value)).id;
}

// ---- printers -----------------------------------------------------------------------------------

/** One document: JSON as received, text as `key: value` lines without the DATA_TYPE. */
export function printDocument(cmd: Command, doc: GCSDocument, heading?: string): void {
  print(cmd, doc, (d: GCSDocument) => {
    const { DATA_TYPE: _dt, ...fields } = d;
    return (heading ? `${heading}\n` : '') + toText(fields);
  });
}

/** A list: JSON array of documents, text table of the chosen columns. */
export function printList(cmd: Command, docs: GCSDocument[], columns: string[]): void {
  print(cmd, docs, (rows: GCSDocument[]) => table(rows, columns));
}

/** A result without a document (deletes, owner changes): JSON envelope, text message. */
export function printResult(cmd: Command, result: GCSResult): void {
  print(cmd, result, (r: GCSResult) => r.message);
}

export function requireChanges(fields: Record<string, unknown>, hint: string): void {
  if (Object.values(fields).every((v) => v === undefined)) throw new CliError(`Nothing to update: give ${hint}`, 2);
}
