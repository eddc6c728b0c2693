// Process trees of tests that kill servers: a server's descendants (its per-account workers) and kill -9 of the lot.
import { execFileSync } from 'node:child_process';

/** Every descendant of a process (workers may be children or grandchildren of the server). */
export function descendants(pid: number): number[] {
  let direct: number[] = [];
  try {
    direct = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    // pgrep exits 1 when there are none
  }
  return direct.flatMap((child) => [child, ...descendants(child)]);
}

export function killHard(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** kill -9 of a process and everything below it, as a crash of the whole service would leave them. */
export function killFamily(pid: number): void {
  const family = descendants(pid);
  killHard(pid);
  for (const p of family) killHard(p);
}
