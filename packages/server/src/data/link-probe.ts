// Whether a lexical path has no link on it: one realpath (or, for many paths of one decider, a remembered link-free parent directory plus an lstat of the final name).
import fs from 'node:fs';
import path from 'node:path';
import type { PathIntent } from './paths.ts';

/** Directories remembered by one prober; past this many it starts over, so a long-lived prober stays small. */
const MAX_DIRS = 1024;

async function isReal(p: string): Promise<boolean> {
  return (await fs.promises.realpath(p).catch(() => null)) === p;
}

/**
 * Answers "is `target` reached without following any link" for the paths of one decision's facts (a
 * Transfer task's files, decided for at most the facts window). A true answer only saves the server its
 * own resolution: the connector still confirms, when it opens, that what it acts on sits at exactly these
 * paths (data/posix/ops.ts), so a link made after the probe is refused there, as it is after a realpath.
 */
export class LinkProbe {
  private readonly dirs = new Map<string, Promise<boolean>>();

  /**
   * A write never follows its final name: only the parent matters. A read follows it: an lstat shows it is
   * no link, unless the caller has just seen the name as no link in a listing (`listed`); if it has become
   * one since, the connector's confirmation refuses the read (path_changed) and the caller's next attempt
   * comes without `listed`.
   */
  async linkFree(target: string, boundary: string, intent: PathIntent, listed = false): Promise<boolean> {
    if (target === boundary) return isReal(target);
    const parent = path.dirname(target);
    if (!(await this.dir(parent))) return false;
    if (intent === 'write' || listed) return true;
    const st = await fs.promises.lstat(target).catch(() => null);
    return st !== null && !st.isSymbolicLink();
  }

  private dir(p: string): Promise<boolean> {
    let known = this.dirs.get(p);
    if (!known) {
      if (this.dirs.size >= MAX_DIRS) this.dirs.clear();
      known = isReal(p);
      this.dirs.set(p, known);
    }
    return known;
  }
}

/** The probe of a single decision: one realpath, of the parent for a write. */
export async function linkFreeOnce(target: string, boundary: string, intent: PathIntent): Promise<boolean> {
  return isReal(intent === 'write' && target !== boundary ? path.dirname(target) : target);
}
