// One item of a DELETE task (spec §3.3): decided as a write, globs expanded in the last component, symlinks unlinked never followed, a missing path fatal unless ignore_missing, the collection root never deleted.
import { ConnectorError } from '../../data/posix/types.ts';
import type { TransferTaskEntryRow } from '../task-tables.ts';
import { admit } from './access.ts';
import { moveEntry } from './counters.ts';
import { childPath } from './expand.ts';
import { fault, FaultError, faultOf } from './faults.ts';
import { deleteTarget } from './globs.ts';
import { detailsOf, failFatal, inTask, taskAuth, type StepContext } from './step.ts';

async function paths(step: StepContext, itemPath: string): Promise<string[]> {
  const target = deleteTarget(itemPath, step.options.interpret_globs === true);
  if (target.kind === 'literal') return [target.path];
  const parent = await admit(step.ctx, step.task.source_collection_id, taskAuth(step), target.parent, 'read', 'source', 'list', step.decisions);
  const names: string[] = [];
  for (let offset = 0; ;) {
    let page;
    try {
      page = await parent.connector.list(parent.at, { offset, limit: 10_000, showHidden: true });
    } catch (error) {
      throw new FaultError(faultOf(error, 'source', 'list'));
    }
    for (const e of page.entries) if (target.pattern.test(e.name)) names.push(childPath(target.parent, e.name));
    offset += page.entries.length;
    if (page.entries.length === 0 || offset >= page.total) break;
  }
  return names;
}

/** Removes what one delete entry names, or fails the task (missing without ignore_missing, the root, a non-empty directory without recursive). */
export async function deleteEntry(step: StepContext, entry: TransferTaskEntryRow): Promise<void> {
  const taskId = step.task.task_id;
  let files = 0;
  let directories = 0;
  let missing = false;
  /** a target was found by this attempt or an earlier one (entry.mtime_ms) */
  let seen = entry.mtime_ms !== null;
  const fatal = async (code: string, description: string, eventDescription: string, message: string) => {
    const f = fault(code, message, 'source', 'delete');
    await failFatal(step, { code, description }, { code, description: eventDescription, details: await detailsOf(step, f, entry.source_path), is_error: true });
  };
  const targets = await paths(step, entry.source_path);
  if (targets.length === 0) missing = true;
  for (const p of targets) {
    if (step.signal.aborted) return;
    let at;
    try {
      at = await admit(step.ctx, step.task.source_collection_id, taskAuth(step), p, 'write', 'source', 'delete', step.decisions);
    } catch (error) {
      if (error instanceof FaultError && error.fault.code === 'FILE_NOT_FOUND') {
        missing = true;
        continue;
      }
      throw error;
    }
    if (at.grant.relative === '/') {
      await fatal('PERMISSION_DENIED', 'the collection root cannot be deleted', 'permission denied', `'${p}' is the collection root`);
      return;
    }
    const found = await at.connector.stat(at.at).catch(() => null);
    const isDir = found?.type === 'dir' && found.link_target === null;
    if (found && !seen) {
      await step.ctx.store.db.updateTable('transfer_task_entries').set({ mtime_ms: found.mtime_ms }).where('seq', '=', entry.seq).execute();
      seen = true;
    }
    try {
      await at.connector.remove(at.at, { recursive: step.options.recursive === true });
      if (isDir) directories++;
      else files++;
    } catch (error) {
      if (error instanceof ConnectorError && error.code === 'ENOENT') {
        missing = true;
        continue;
      }
      if (error instanceof ConnectorError && error.code === 'ENOTEMPTY') {
        await fatal(
          'DIRECTORY_NOT_EMPTY',
          'directory not empty',
          'directory not empty',
          `'${p}' is a directory that is not empty and the delete is not recursive`,
        );
        return;
      }
      throw new FaultError(faultOf(error, 'source', 'delete'));
    }
  }
  // What an earlier attempt found and (partly) removed before its fault is not missing now: it is deleted.
  if (missing && step.options.ignore_missing !== true && !seen) {
    await fatal('FILE_NOT_FOUND', 'file not found', 'No such file or directory', `No such file or directory: '${entry.source_path}'`);
    return;
  }
  const now = Date.now();
  await inTask(step, (db) =>
    moveEntry(db, taskId, entry, { state: 'succeeded', set: { completed_at: now, next_attempt_at: null, error_code: null } }, { files, directories }),
  );
}
