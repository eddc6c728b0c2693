// The upload journal: one small file per upload in flight, so temp files orphaned by a crash are found and removed by sweep().
import fs from 'node:fs';
import path from 'node:path';
import { resolveTarget } from '../paths.ts';
import { TEMP_PATTERN } from './ops.ts';
import type { Location } from './types.ts';

/** The temp file's directory as it was when the file was made there: its real path and identity. */
export interface TempPlace {
  tempPath: string;
  dirDev: number;
  dirIno: number;
}

interface JournalEntry {
  tempName: string;
  /** known once the temp file exists; otherwise re-derived from the location */
  tempPath: string | null;
  dirDev?: number;
  dirIno?: number;
  location: Location;
  account: string;
  pid: number;
  createdAt: number;
}

export interface SweepReport {
  /** temp files removed */
  removed: string[];
  /** journal entries dropped whose temp file was already gone */
  stale: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class UploadJournal {
  readonly dir: string;
  private readonly active = new Set<string>();

  constructor(stateDir: string) {
    this.dir = path.join(stateDir, 'uploads-in-flight');
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  private file(tempName: string): string {
    return path.join(this.dir, `${tempName}.json`);
  }

  /** Written before the temp file is created: a crash at any later point leaves a trace. */
  async add(tempName: string, location: Location, account: string): Promise<void> {
    this.active.add(tempName);
    const entry: JournalEntry = { tempName, tempPath: null, location, account, pid: process.pid, createdAt: Date.now() };
    await fs.promises.writeFile(this.file(tempName), JSON.stringify(entry), { mode: 0o600 });
  }

  async setPath(tempName: string, place: TempPlace): Promise<void> {
    const f = this.file(tempName);
    const entry = JSON.parse(await fs.promises.readFile(f, 'utf8')) as JournalEntry;
    Object.assign(entry, place);
    await fs.promises.writeFile(f, JSON.stringify(entry), { mode: 0o600 });
  }

  async done(tempName: string): Promise<void> {
    this.active.delete(tempName);
    await fs.promises.unlink(this.file(tempName)).catch(() => {});
  }

  /** Removes one upload's temp file now (its writer died) and forgets it. */
  async clean(tempName: string): Promise<boolean> {
    const removed = await this.removeTemp(tempName);
    await this.done(tempName);
    return removed !== null;
  }

  private async removeTemp(tempName: string): Promise<string | null> {
    let entry: JournalEntry;
    try {
      entry = JSON.parse(await fs.promises.readFile(this.file(tempName), 'utf8')) as JournalEntry;
    } catch {
      return null;
    }
    let candidate = entry.tempPath;
    if (!candidate) {
      const r = await resolveTarget({ ...entry.location, intent: 'write' }).catch(() => null);
      if (!r || !r.ok) return null;
      candidate = path.join(path.dirname(r.path), entry.tempName);
    }
    // Only ever a regular file with our exact temp-name shape: a journal entry cannot be abused to delete anything else.
    if (!TEMP_PATTERN.test(path.basename(candidate)) || path.basename(candidate) !== entry.tempName) return null;
    // Removed through its directory, opened and confirmed to be the directory the file was made in (the sweep
    // may run as root): a component swapped for a link since then leads nowhere.
    const dir = path.dirname(candidate);
    let fd: number;
    try {
      fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
    } catch {
      return null;
    }
    try {
      const st = fs.fstatSync(fd);
      if (fs.readlinkSync(`/proc/self/fd/${fd}`) !== dir) return null;
      if (entry.dirIno !== undefined && (st.ino !== entry.dirIno || st.dev !== entry.dirDev)) return null;
      const temp = `/proc/self/fd/${fd}/${entry.tempName}`;
      if (!(await fs.promises.lstat(temp)).isFile()) return null;
      await fs.promises.unlink(temp);
      return candidate;
    } catch {
      return null;
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Removes temp files of uploads whose writer is gone (a previous run, a killed process). */
  async sweep(): Promise<SweepReport> {
    const report: SweepReport = { removed: [], stale: 0 };
    let names: string[];
    try {
      names = await fs.promises.readdir(this.dir);
    } catch {
      return report;
    }
    for (const file of names) {
      if (!file.endsWith('.json')) continue;
      const tempName = file.slice(0, -5);
      let entry: JournalEntry;
      try {
        entry = JSON.parse(await fs.promises.readFile(path.join(this.dir, file), 'utf8')) as JournalEntry;
      } catch {
        await fs.promises.unlink(path.join(this.dir, file)).catch(() => {});
        continue;
      }
      const ours = entry.pid === process.pid;
      if (ours ? this.active.has(tempName) : alive(entry.pid)) continue;
      const removed = await this.removeTemp(tempName);
      if (removed) report.removed.push(removed);
      else report.stale++;
      await fs.promises.unlink(path.join(this.dir, file)).catch(() => {});
    }
    return report;
  }
}
