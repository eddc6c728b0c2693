// Expansion as a transfer runs: a submitted item is stat'ed and becomes a file or a directory entry; a directory is listed page by page into child entries (filters applied, symlinks counted and not followed).
import { ConnectorError, type FileEntry } from '../../data/posix/types.ts';
import { fromJson } from '../../store/db.ts';
import type { ItemSpec, TransferTaskEntryRow } from '../task-tables.ts';
import { admit, type Admitted } from './access.ts';
import { bumpCounters, moveEntry, TaskClosed } from './counters.ts';
import { fault, FaultError, faultOf } from './faults.ts';
import { compileFilters, included } from './filters.ts';
import { detailsOf, failFatal, inTask, taskAuth, type StepContext } from './step.ts';

/** Entries of one directory listed per page: the listing is re-read per page, so a page is large. */
export const LIST_PAGE = 10_000;
const INSERT_CHUNK = 500;

/** Temp files of copies in progress (copy.ts) are never part of a source's tree. */
const ENGINE_TEMP = /^\.gatehouse-[0-9a-f]{8}-\d+\.part$/;
const UPLOAD_TEMP = /^\.gatehouse-upload-[0-9a-f]{32}\.part$/;

export function childPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

function isSymlink(e: FileEntry): boolean {
  return e.type === 'invalid_symlink' || e.link_target !== null;
}

/**
 * Writes the destination directory and, where they are missing, its parents, each decided as a write on
 * the destination. EEXIST of a directory is success; of anything else a fault.
 */
export async function makeDirectories(step: StepContext, dirPath: string): Promise<void> {
  const collection = step.task.destination_collection_id!;
  const parts = dirPath.split('/').filter(Boolean);
  // The deepest first: usually only it is missing.
  for (let depth = parts.length; depth >= 1; depth--) {
    const p = `/${parts.slice(0, depth).join('/')}`;
    let dst: Admitted;
    try {
      dst = await admit(step.ctx, collection, taskAuth(step), p, 'write', 'destination', 'make directories', step.decisions);
    } catch (error) {
      if (error instanceof FaultError && error.fault.code === 'FILE_NOT_FOUND' && depth > 1) continue;
      throw error;
    }
    if (dst.grant.relative === '/') return;
    try {
      await dst.connector.mkdir(dst.at);
    } catch (error) {
      if (error instanceof ConnectorError && error.code === 'ENOENT' && depth > 1) continue;
      if (!(error instanceof ConnectorError && error.code === 'EEXIST')) throw new FaultError(faultOf(error, 'destination', 'make directories'));
      const existing = await dst.connector.stat(dst.at).catch(() => null);
      if (existing?.type !== 'dir') throw new FaultError(fault('NOT_A_DIRECTORY', `'${p}' exists and is not a directory`, 'destination', 'make directories'));
    }
    // Made (or there): the levels below it, down to the target.
    for (let below = depth + 1; below <= parts.length; below++) {
      const q = `/${parts.slice(0, below).join('/')}`;
      const d = await admit(step.ctx, collection, taskAuth(step), q, 'write', 'destination', 'make directories', step.decisions);
      try {
        await d.connector.mkdir(d.at);
      } catch (error) {
        if (!(error instanceof ConnectorError && error.code === 'EEXIST')) throw new FaultError(faultOf(error, 'destination', 'make directories'));
      }
    }
    return;
  }
}

/**
 * A submitted item, looked at for the first time (or again after a fault): the source is decided and
 * stat'ed (a link given as an item is followed), `recursive` absent takes its type, a mismatch fails the
 * task, and the entry becomes a `file` or `dir` entry — one more subtask. Returns the entry as it now is.
 */
export async function expandItem(step: StepContext, entry: TransferTaskEntryRow): Promise<TransferTaskEntryRow | null> {
  const spec = fromJson<ItemSpec>(entry.spec, {});
  const src = await admit(step.ctx, step.task.source_collection_id, taskAuth(step), entry.source_path, 'read', 'source', 'stat', step.decisions);
  let stat: FileEntry;
  try {
    stat = await src.connector.stat(src.at);
  } catch (error) {
    throw new FaultError(faultOf(error, 'source', 'stat'));
  }
  const isDir = stat.type === 'dir';
  if (spec.recursive !== undefined && spec.recursive !== isDir) {
    const description = isDir
      ? `'${entry.source_path}' is a directory; the item is not recursive`
      : `'${entry.source_path}' is not a directory; the item is recursive`;
    const f = fault(isDir ? 'IS_A_DIRECTORY' : 'NOT_A_DIRECTORY', description, 'source', 'stat');
    await failFatal(
      step,
      { code: f.code, description },
      { code: f.code, description: f.description, details: await detailsOf(step, f, entry.source_path), is_error: true },
    );
    return null;
  }
  const kind = isDir ? 'dir' : 'file';
  let next: TransferTaskEntryRow | null = null;
  await inTask(step, async (db) => {
    const set = { size: isDir ? null : stat.size, mtime_ms: stat.mtime_ms, checksum_algorithm: spec.checksum_algorithm ?? null, next_attempt_at: null };
    const moved = await moveEntry(db, step.task.task_id, entry, { kind, state: 'pending', set }, isDir ? { directories: 1 } : { files: 1 });
    if (moved) next = { ...entry, ...set, kind, state: 'pending' };
  });
  return next;
}

/**
 * A directory entry: the source is decided and listed, the destination directory made, and each page of
 * the listing becomes child entries in one transaction with the counters and the resume point (`listed`),
 * so a page is expanded exactly once whoever holds the task. Excluded names (filter_rules) are left out
 * with their subtrees; symlinks are counted and not followed. The entry succeeds once the last page is in.
 */
export async function expandDir(step: StepContext, entry: TransferTaskEntryRow): Promise<void> {
  const taskId = step.task.task_id;
  const src = await admit(step.ctx, step.task.source_collection_id, taskAuth(step), entry.source_path, 'read', 'source', 'list', step.decisions);
  const destination = entry.destination_path!;
  await makeDirectories(step, destination);
  const filters = compileFilters(step.options.filter_rules);
  let offset = entry.listed ?? 0;
  for (;;) {
    if (step.signal.aborted) return;
    let listed;
    try {
      listed = await src.connector.list(src.at, { offset, limit: LIST_PAGE, orderBy: [{ field: 'name' }], showHidden: true });
    } catch (error) {
      throw new FaultError(faultOf(error, 'source', 'list'));
    }
    const rows: Array<Record<string, unknown>> = [];
    let files = 0;
    let directories = 0;
    let symlinks = 0;
    for (const e of listed.entries) {
      if (ENGINE_TEMP.test(e.name) || UPLOAD_TEMP.test(e.name)) continue;
      if (isSymlink(e)) {
        symlinks++;
        continue;
      }
      const type = e.type === 'dir' ? 'dir' : 'file';
      if (!included(filters, e.name, type)) continue;
      if (type === 'dir') directories++;
      else files++;
      rows.push({
        task_id: taskId,
        item: entry.item,
        kind: type,
        source_path: childPath(entry.source_path, e.name),
        destination_path: childPath(destination, e.name),
        state: 'pending',
        size: type === 'file' ? e.size : null,
        mtime_ms: e.mtime_ms,
        checksum_algorithm: entry.checksum_algorithm,
      });
    }
    const end = offset + listed.entries.length >= listed.total || listed.entries.length === 0;
    const nextOffset = offset + listed.entries.length;
    const now = Date.now();
    const ok = await inTask(step, async (db) => {
      const progressed = await db
        .updateTable('transfer_task_entries')
        .set({ listed: nextOffset })
        .where('seq', '=', entry.seq)
        .where('state', '=', entry.state)
        .where((eb) => (offset === 0 ? eb.or([eb('listed', 'is', null), eb('listed', '=', 0)]) : eb('listed', '=', offset)))
        .executeTakeFirst();
      if (Number(progressed.numUpdatedRows) === 0) throw new TaskClosed();
      for (let i = 0; i < rows.length; i += INSERT_CHUNK)
        await db
          .insertInto('transfer_task_entries')
          .values(rows.slice(i, i + INSERT_CHUNK) as never)
          .execute();
      const n = files + directories;
      if (!(await bumpCounters(db, taskId, { files, directories, symlinks, subtasks_total: n, subtasks_pending: n }))) throw new TaskClosed();
      if (end) {
        await moveEntry(db, taskId, entry, { state: 'succeeded', set: { completed_at: now, next_attempt_at: null, error_code: null } });
      }
    });
    if (!ok || end) return;
    offset = nextOffset;
  }
}
