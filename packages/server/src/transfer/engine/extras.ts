// delete_destination_extra (spec §15.4): once every file of a recursive item is copied, what each destination directory holds that its source does not is deleted — unless source errors were skipped there.
import { ConnectorError } from '../../data/posix/types.ts';
import type { TransferTaskEntryRow } from '../task-tables.ts';
import { admit } from './access.ts';
import { bumpCounters, TaskClosed } from './counters.ts';
import { childPath, LIST_PAGE } from './expand.ts';
import { FaultError } from './faults.ts';
import { compileFilters, included } from './filters.ts';
import { event, inTask, taskAuth, type StepContext } from './step.ts';

const DIRS_PER_BATCH = 100;
const NAMES_PER_QUERY = 500;

function parentOf(p: string): string {
  return p.slice(0, p.lastIndexOf('/')) || '/';
}

/**
 * Walks the task's directory entries in seq order (a page at a time, never the whole tree in memory).
 * For each, the destination directory is listed and every name that no entry of the task put there, that
 * the filter rules do not exclude and that does not exist in the source (a symlink there is not extra) is
 * deleted, recursively, as a write on the destination. A directory with skipped source errors among its
 * entries is left alone, with the event DELETE_DESTINATION_EXTRA_SKIPPED. Each deletion is recorded as an
 * `extra` entry (a succeeded subtask).
 */
export async function deleteExtras(step: StepContext): Promise<void> {
  const db = step.ctx.store.db;
  const taskId = step.task.task_id;
  const filters = compileFilters(step.options.filter_rules);
  for (let after = 0; ;) {
    const dirs = await db
      .selectFrom('transfer_task_entries')
      .selectAll()
      .where('task_id', '=', taskId)
      .where('kind', '=', 'dir')
      .where('state', '=', 'succeeded')
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(DIRS_PER_BATCH)
      .execute();
    if (dirs.length === 0) return;
    for (const dir of dirs) {
      if (step.signal.aborted) return;
      await extrasOf(step, dir, filters);
    }
    after = dirs[dirs.length - 1].seq;
  }
}

async function extrasOf(step: StepContext, dir: TransferTaskEntryRow, filters: ReturnType<typeof compileFilters>): Promise<void> {
  const db = step.ctx.store.db;
  const taskId = step.task.task_id;
  const destination = dir.destination_path!;
  const skippedHere = await db
    .selectFrom('transfer_task_entries')
    .select('source_path')
    .where('task_id', '=', taskId)
    .where('state', '=', 'skipped_error')
    .where('source_path', 'like', `${dir.source_path.replace(/[\\%_]/g, '\\$&')}/%`)
    .execute();
  if (skippedHere.some((r) => parentOf(r.source_path) === dir.source_path)) {
    await event(step, {
      code: 'DELETE_DESTINATION_EXTRA_SKIPPED',
      description: 'Recursive delete on destination path skipped due to skippable source errors',
      details: destination,
      is_error: false,
    });
    return;
  }
  const collection = step.task.destination_collection_id!;
  const listing = await admit(step.ctx, collection, taskAuth(step), destination, 'read', 'destination', 'list', step.decisions);
  const candidates: Array<{ name: string; type: 'file' | 'dir' }> = [];
  for (let offset = 0; ;) {
    const page = await listing.connector.list(listing.at, { offset, limit: LIST_PAGE, orderBy: [{ field: 'name' }], showHidden: true });
    for (let i = 0; i < page.entries.length; i += NAMES_PER_QUERY) {
      const chunk = page.entries.slice(i, i + NAMES_PER_QUERY).filter((e) => !/^\.gatehouse-/.test(e.name));
      if (chunk.length === 0) continue;
      const known = new Set(
        (
          await db
            .selectFrom('transfer_task_entries')
            .select('destination_path')
            .where('task_id', '=', taskId)
            .where(
              'destination_path',
              'in',
              chunk.map((e) => childPath(destination, e.name)),
            )
            .execute()
        ).map((r) => r.destination_path),
      );
      for (const e of chunk) {
        const type = e.type === 'dir' ? 'dir' : 'file';
        if (!known.has(childPath(destination, e.name)) && included(filters, e.name, type)) candidates.push({ name: e.name, type });
      }
    }
    offset += page.entries.length;
    if (page.entries.length === 0 || offset >= page.total) break;
  }
  for (const { name } of candidates) {
    if (step.signal.aborted) return;
    const inSource = await admit(
      step.ctx,
      step.task.source_collection_id,
      taskAuth(step),
      childPath(dir.source_path, name),
      'read',
      'source',
      'stat',
      step.decisions,
    )
      .then((s) => s.connector.stat(s.at).then(() => true))
      .catch(
        (error) => !(error instanceof ConnectorError && error.code === 'ENOENT') && !(error instanceof FaultError && error.fault.code === 'FILE_NOT_FOUND'),
      );
    if (inSource) continue;
    const target = childPath(destination, name);
    const extra = await admit(step.ctx, collection, taskAuth(step), target, 'write', 'destination', 'delete', step.decisions);
    await extra.connector.remove(extra.at, { recursive: true }).catch((error) => {
      if (!(error instanceof ConnectorError && error.code === 'ENOENT')) throw error;
    });
    const now = Date.now();
    await inTask(step, async (trx) => {
      await trx
        .insertInto('transfer_task_entries')
        .values({
          task_id: taskId,
          item: dir.item,
          kind: 'extra',
          source_path: childPath(dir.source_path, name),
          destination_path: target,
          state: 'succeeded',
          completed_at: now,
        })
        .execute();
      if (!(await bumpCounters(trx, taskId, { subtasks_total: 1, subtasks_succeeded: 1 }))) throw new TaskClosed();
    });
  }
}
