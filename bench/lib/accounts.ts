// Local accounts and host tools for the benches that run as root: throwaway accounts for root mode, and reference commands installed when missing.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { log } from './report.ts';

export interface Account {
  name: string;
  uid: number;
  gid: number;
  groups: number[];
}

export function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A fresh account with its own group, no home and no shell. */
export function createAccount(): Account {
  const name = `ghbench_${randomBytes(3).toString('hex')}`;
  sh('useradd', ['-M', '-U', '-d', '/nonexistent', '-s', '/usr/sbin/nologin', name]);
  return { name, uid: Number(sh('id', ['-u', name])), gid: Number(sh('id', ['-g', name])), groups: sh('id', ['-G', name]).trim().split(/\s+/).map(Number) };
}

export function removeAccount(account: Account): void {
  try {
    sh('userdel', ['-f', account.name]);
  } catch {
    // already gone
  }
}

/** The reference command, installed from Debian when it is missing (rsync is not in every base image). */
export function ensureCommand(command: string, debianPackage = command): void {
  if (spawnSync(command, ['--version']).status === 0) return;
  log(`${command} is missing: apt-get install ${debianPackage}`);
  sh('apt-get', ['update', '-qq']);
  sh('apt-get', ['install', '-y', '-qq', debianPackage]);
}

/**
 * Runs `fn` with `count` fresh accounts and a world-searchable work dir under the temp dir (its real path, on
 * the same file system as the destinations), removing both afterwards — also on Ctrl-C.
 */
export async function withAccounts<T>(count: number, prefix: string, fn: (accounts: Account[], work: string) => Promise<T>): Promise<T> {
  const accounts = Array.from({ length: count }, createAccount);
  const work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  fs.chmodSync(work, 0o755);
  const cleanup = () => {
    fs.rmSync(work, { recursive: true, force: true });
    for (const a of accounts) removeAccount(a);
  };
  const interrupted = () => {
    cleanup();
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  try {
    return await fn(accounts, work);
  } finally {
    process.off('SIGINT', interrupted);
    cleanup();
  }
}
