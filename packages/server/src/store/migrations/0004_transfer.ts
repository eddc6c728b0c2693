// Transfer schema: access rules (ACLs) of guest collections, removed with their collection.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { Dialect } from '../db.ts';

export function transferMigration(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('transfer_access_rules')
        .addColumn('id', 'text', (c) => c.primaryKey())
        // Deleting a guest (directly or with its mapped collection) takes its rules along.
        .addColumn('collection_id', 'text', (c) => c.notNull().references('collections.id').onDelete('cascade'))
        .addColumn('principal_type', 'text', (c) => c.notNull())
        .addColumn('principal', 'text', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('permissions', 'text', (c) => c.notNull())
        .addColumn('notify_email', 'text')
        .addColumn('notify_message', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .execute();
      // One rule per (principal, path) on a collection: a second one is 409 Exists, even under a race.
      await db.schema
        .createIndex('transfer_access_rules_unique')
        .on('transfer_access_rules')
        .columns(['collection_id', 'principal_type', 'principal', 'path'])
        .unique()
        .execute();
      // The data plane and GCS visibility look rules up by principal on every request.
      await db.schema.createIndex('transfer_access_rules_principal').on('transfer_access_rules').columns(['principal', 'collection_id']).execute();
    },
  };
}
