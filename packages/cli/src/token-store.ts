// The user's stored logins: tokens.json in the config dir, per server origin and resource server, private to the user.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TokenData } from '@gatehouse/sdk';
import { CliError } from './output.ts';

/** One `gatehouse login` to one server. */
export interface StoredLogin {
  /** The public client the tokens were issued to: refresh and revoke must name it. */
  client_id: string;
  identity_id?: string;
  username?: string;
  /** Keyed by resource server (auth.globus.org, groups.api.globus.org, …). */
  tokens: Record<string, TokenData>;
  /** The CA certificate (PEM) the login trusted for this server: later commands trust it wherever they run. */
  ca?: string;
}

export interface TokenFile {
  format: 1;
  /** Keyed by server origin, e.g. https://127.0.0.1:8443 */
  logins: Record<string, StoredLogin>;
}

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME ? env.XDG_CONFIG_HOME : path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'gatehouse');
}

export function tokenFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(configDir(env), 'tokens.json');
}

export function readTokenFile(file = tokenFilePath()): TokenFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { format: 1, logins: {} };
    throw error;
  }
  let parsed: Partial<TokenFile>;
  try {
    parsed = JSON.parse(text) as Partial<TokenFile>;
  } catch {
    throw new CliError(`${file} is not valid JSON: fix or delete it, then run \`gatehouse login\``);
  }
  return { format: 1, logins: parsed && typeof parsed.logins === 'object' && parsed.logins ? parsed.logins : {} };
}

/**
 * Replaces the file atomically. The temporary file is created 0600 before any secret is written
 * to it, so there is no moment at which the tokens are readable by others (umask only narrows).
 */
export function writeTokenFile(data: TokenFile, file = tokenFilePath()): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.writeFileSync(fd, JSON.stringify(data, null, 2) + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (error) {
    fs.rmSync(tmp, { force: true });
    throw error;
  }
  fs.chmodSync(file, 0o600);
}

/** Read-modify-write, re-reading first so a refresh in one process does not drop another's login. */
export function updateTokenFile(change: (data: TokenFile) => void, file = tokenFilePath()): TokenFile {
  const data = readTokenFile(file);
  change(data);
  writeTokenFile(data, file);
  return data;
}
