// The task engine's resume point in a directory's listing: how many of its entries are already expanded into child entries.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function transferTaskListingMigration(): Migration {
  return {
    async up(db: Kysely<any>) {
      // kind dir: entries of its (name-ordered) listing already turned into child entries; null before the first page.
      await db.schema.alterTable('transfer_task_entries').addColumn('listed', 'bigint').execute();
    },
  };
}
