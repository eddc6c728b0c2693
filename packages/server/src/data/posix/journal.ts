// The upload journal: one small file per upload in flight, so temp files orphaned by a crash are found and removed by sweep().
import fs from 'node:fs';
import path from 'node:path';
import { resolveTarget } from '../paths.ts';
import { TEMP_PATTERN } from './ops.ts';
import type { Location } from './types.ts';

interface JournalEntry {
  tempName: string;
  /** known once the temp file exists; otherwise re-derived from the location */
  tempPath: string | null;
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

  async setPath(tempName: string, tempPath: string): Promise<void> {
    const f = this.file(tempName);
    const entry = JSON.parse(await fs.promises.readFile(f, 'utf8')) as JournalEntry;
    entry.tempPath = tempPath;
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
    try {
      const st = await fs.promises.lstat(candidate);
      if (!st.isFile()) return null;
      await fs.promises.unlink(candidate);
      return candidate;
    } catch {
      return null;
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
