// Transfer tasks run by the task engine: tasks with their options, counters and lease; their entries (items, then what expansion finds); events; admin cancels.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { Dialect } from '../db.ts';
import { serialId } from './columns.ts';

const COUNTERS = [
  'files',
  'directories',
  'symlinks',
  'files_skipped',
  'files_transferred',
  'bytes_transferred',
  'bytes_checksummed',
  'faults',
  'subtasks_total',
  'subtasks_pending',
  'subtasks_retrying',
  'subtasks_succeeded',
  'subtasks_failed',
  'subtasks_canceled',
  'subtasks_expired',
  'subtasks_skipped_errors',
] as const;

export function transferTaskEngineMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      // The synchronous delete tasks of 0005 become completed tasks of the engine's table.
      await db.schema.alterTable('transfer_tasks').renameTo('transfer_tasks_0005').execute();
      await db.schema.dropIndex('transfer_tasks_owner').ifExists().execute();

      let tasks = db.schema
        .createTable('transfer_tasks')
        .addColumn('task_id', 'text', (c) => c.primaryKey())
        // Unique on its own: a submission id another identity already used is a Conflict, never a second task.
        .addColumn('submission_id', 'text', (c) => c.notNull().unique())
        // The primary identity at submission: only a caller whose identity it still is sees the task.
        .addColumn('owner_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('label', 'text')
        // DELETE: the collection deleted on; destination null.
        .addColumn('source_collection_id', 'text', (c) => c.notNull())
        .addColumn('destination_collection_id', 'text')
        // Milliseconds since the epoch.
        .addColumn('requested_at', 'bigint', (c) => c.notNull())
        .addColumn('completed_at', 'bigint')
        .addColumn('deadline_at', 'bigint', (c) => c.notNull())
        // 1 when the submitter chose the deadline: it is never extended.
        .addColumn('deadline_fixed', 'integer', (c) => c.notNull().defaultTo(0))
        // JSON: the effective options of the submission (sync_level, verify_checksum, filter_rules, notify_on_*, local users, …).
        .addColumn('options', 'text', (c) => c.notNull())
        // JSON: what the task's file decisions are made with (identity set, client, grant, authentication time).
        .addColumn('authority', 'text', (c) => c.notNull())
        .addColumn('fatal_error', 'text')
        .addColumn('nice_status', 'text')
        .addColumn('nice_status_at', 'bigint')
        .addColumn('is_paused', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('pause_message', 'text')
        .addColumn('canceled_by_admin', 'text')
        .addColumn('canceled_by_admin_message', 'text')
        .addColumn('history_deleted', 'integer', (c) => c.notNull().defaultTo(0))
        // The process working the task and until when its lease holds; a lapsed lease may be taken over.
        .addColumn('lease_owner', 'text')
        .addColumn('lease_expires_at', 'bigint')
        // Bumped by every change an engine must notice at once (cancel, pause, deadline): it compares, not polls rows.
        .addColumn('revision', 'integer', (c) => c.notNull().defaultTo(0));
      for (const name of COUNTERS) tasks = tasks.addColumn(name, 'bigint', (c) => c.notNull().defaultTo(0));
      await tasks.execute();
      await db.schema.createIndex('transfer_tasks_owner').on('transfer_tasks').columns(['owner_id', 'requested_at']).execute();
      await db.schema.createIndex('transfer_tasks_runnable').on('transfer_tasks').columns(['status', 'lease_expires_at']).execute();
      await db.schema.createIndex('transfer_tasks_source').on('transfer_tasks').columns(['source_collection_id', 'requested_at']).execute();
      await db.schema.createIndex('transfer_tasks_destination').on('transfer_tasks').columns(['destination_collection_id', 'requested_at']).execute();

      // One row per submitted item, then one per file and directory that recursive expansion finds, as it finds them.
      await serialId(db.schema.createTable('transfer_task_entries'), dialect, 'seq')
        .addColumn('task_id', 'text', (c) => c.notNull().references('transfer_tasks.task_id').onDelete('cascade'))
        // The submitted item it belongs to (its position in DATA).
        .addColumn('item', 'integer', (c) => c.notNull())
        // item (not yet looked at), file, dir (to expand), symlink_item, delete (a path to remove), extra (delete_destination_extra)
        .addColumn('kind', 'text', (c) => c.notNull())
        // Collection-relative, normalised; destination null for deletes.
        .addColumn('source_path', 'text', (c) => c.notNull())
        .addColumn('destination_path', 'text')
        // pending, active, retrying, succeeded, skipped (sync level), skipped_error, failed, canceled, expired
        .addColumn('state', 'text', (c) => c.notNull())
        // JSON: the item's own fields (recursive, external_checksum, checksum_algorithm) for kind item.
        .addColumn('spec', 'text')
        .addColumn('size', 'bigint')
        .addColumn('mtime_ms', 'bigint')
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint')
        // Resume: bytes of the destination temp file known durable, and the digest of the source's first bytes up to there.
        .addColumn('checkpoint_offset', 'bigint')
        .addColumn('checkpoint_digest', 'text')
        .addColumn('checksum', 'text')
        .addColumn('checksum_algorithm', 'text')
        .addColumn('error_code', 'text')
        .addColumn('error_details', 'text')
        .addColumn('error_at', 'bigint')
        .addColumn('completed_at', 'bigint')
        .execute();
      await db.schema.createIndex('transfer_task_entries_state').on('transfer_task_entries').columns(['task_id', 'state', 'seq']).execute();

      await serialId(db.schema.createTable('transfer_task_events'), dialect, 'seq')
        .addColumn('task_id', 'text', (c) => c.notNull().references('transfer_tasks.task_id').onDelete('cascade'))
        .addColumn('time', 'bigint', (c) => c.notNull())
        .addColumn('code', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        // Always a string (may hold JSON text, which the CLI re-parses).
        .addColumn('details', 'text', (c) => c.notNull())
        .addColumn('is_error', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('transfer_task_events_task').on('transfer_task_events').columns(['task_id', 'seq']).execute();

      // Integer ids: the JS SDK types an admin cancel's id as a number.
      await serialId(db.schema.createTable('transfer_admin_cancels'), dialect)
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('task_ids', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      const old = await db.selectFrom('transfer_tasks_0005').selectAll().execute();
      for (const row of old as Array<Record<string, any>>) {
        const doc = JSON.parse(String(row.document)) as Record<string, any>;
        const requested = Number(row.created_at) * 1000;
        const failed = row.status === 'FAILED';
        const items = Number(doc.items ?? 0);
        await db
          .insertInto('transfer_tasks')
          .values({
            task_id: row.task_id,
            submission_id: row.submission_id,
            owner_id: row.owner_id,
            type: 'DELETE',
            status: row.status,
            label: row.label,
            source_collection_id: row.collection_id,
            destination_collection_id: null,
            requested_at: requested,
            completed_at: requested,
            deadline_at: requested + 86_400_000,
            deadline_fixed: 0,
            options: JSON.stringify({ recursive: doc.recursive === true, ignore_missing: doc.ignore_missing === true, interpret_globs: false }),
            authority: JSON.stringify({ identitySet: [row.owner_id] }),
            fatal_error: doc.fatal_error ? JSON.stringify(doc.fatal_error) : null,
            history_deleted: 1,
            faults: failed ? 1 : 0,
            subtasks_total: items,
            subtasks_succeeded: Number(doc.deleted ?? 0) + Number(doc.missing ?? 0),
            subtasks_failed: failed ? 1 : 0,
          })
          .execute();
      }
      await db.schema.dropTable('transfer_tasks_0005').execute();
    },
  };
}
