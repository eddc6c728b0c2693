// Temp files of ended tasks: an entry with a checkpoint has (or may have) a temp file at its destination; once its task is complete or failed, it is removed.
import { sql } from 'kysely';
import type { ServiceContext } from '../../context.ts';
import { fromJson, nowSeconds } from '../../store/db.ts';
import { taskAuthContext } from '../../authz/task-authority.ts';
import type { TaskAuthority } from '../task-tables.ts';
import { admit } from './access.ts';
import { removeTemp } from './copy.ts';
import { tempNameOf } from './files.ts';

const BATCH = 200;
/** Failed tasks are swept for this long after they ended (the process that ended one sweeps it at once). */
const RECENT_MS = 3_600_000;

/**
 * Removes the temp files of ended tasks (those that failed recently, or one), decided as a write on the destination as
 * the task's submitter; the checkpoint is cleared either way, so a temp file the submitter may no longer
 * write is left, not retried forever. Returns how many entries were handled.
 */
export async function sweepTemps(ctx: ServiceContext, taskId?: string): Promise<number> {
  const db = ctx.store.db;
  // Which tasks: the one given, or those that failed in the last hour (a task ends FAILED with its work cut
  // short; a succeeded task has no checkpoint left). Through the tasks' status index, never a scan of entries.
  const tasks = taskId
    ? [taskId]
    : (
        await db
          .selectFrom('transfer_tasks')
          .select('task_id')
          .where('status', '=', 'FAILED')
          .where('completed_at', '>', Date.now() - RECENT_MS)
          .execute()
      ).map((t) => t.task_id);
  if (tasks.length === 0) return 0;
  const rows = await db
    .selectFrom('transfer_task_entries as e')
    .innerJoin('transfer_tasks as t', 't.task_id', 'e.task_id')
    .select(['e.seq', 'e.task_id', 'e.destination_path', 't.destination_collection_id', 't.authority'])
    .where('e.task_id', 'in', tasks)
    .where('e.state', 'in', ['canceled', 'expired', 'failed', 'succeeded', 'active', 'retrying', 'pending'])
    .where('e.checkpoint_offset', 'is not', null)
    .where('e.kind', '=', 'file')
    .where('t.status', 'in', ['SUCCEEDED', 'FAILED'])
    .limit(BATCH)
    .execute();
  for (const row of rows) {
    if (row.destination_collection_id && row.destination_path) {
      const authority = fromJson<TaskAuthority>(row.authority, { identityId: '', identitySet: [] });
      try {
        const dst = await admit(
          ctx,
          row.destination_collection_id,
          taskAuthContext(authority, nowSeconds()),
          row.destination_path,
          'write',
          'destination',
          'delete',
        );
        await removeTemp({ connector: dst.connector, at: dst.at }, tempNameOf(row.task_id, row.seq));
      } catch {
        // Not removable as the submitter (access gone, collection deleted): left in place.
      }
    }
    await db
      .updateTable('transfer_task_entries')
      .set({ checkpoint_offset: null, checkpoint_digest: null })
      .where('seq', '=', row.seq)
      .where(sql.ref('checkpoint_offset'), 'is not', null)
      .execute();
  }
  return rows.length;
}
