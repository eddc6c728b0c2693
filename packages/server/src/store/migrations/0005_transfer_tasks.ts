// Transfer tasks: the record of each (synchronously run) delete task, looked up by task id and by submission id.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { Dialect } from '../db.ts';

export function transferTasksMigration(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      // No foreign key to collections: a task's record outlives the collection it acted on.
      await db.schema
        .createTable('transfer_tasks')
        .addColumn('task_id', 'text', (c) => c.primaryKey())
        .addColumn('submission_id', 'text', (c) => c.notNull().unique())
        .addColumn('owner_id', 'text', (c) => c.notNull())
        .addColumn('collection_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('label', 'text')
        .addColumn('document', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('transfer_tasks_owner').on('transfer_tasks').columns(['owner_id', 'created_at']).execute();
    },
  };
}
