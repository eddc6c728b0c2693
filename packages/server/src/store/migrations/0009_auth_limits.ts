// Native app instances (which template made a client, from which address, for whom) and sign-in attempt counters.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { Dialect } from '../db.ts';

export function authLimitsMigration(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      // A template's instances act only for the people who sign in through them (no client_credentials).
      await db.schema.alterTable('clients').addColumn('template_id', 'text').execute();
      // The signed-in identity that created the client; null for local administration and template instances.
      await db.schema.alterTable('clients').addColumn('created_by', 'text').execute();
      // The client address that made a template instance: what the instance rate limit counts by.
      await db.schema.alterTable('clients').addColumn('created_from', 'text').execute();
      await db.schema.createIndex('clients_created_from').on('clients').columns(['created_from', 'created_at']).execute();
      // One row per account (`account:<username>`) and per client address (`address:<ip>`), locked while counted.
      await db.schema
        .createTable('login_attempts')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('last_failure_at', 'bigint', (c) => c.notNull())
        .addColumn('blocked_until', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}
