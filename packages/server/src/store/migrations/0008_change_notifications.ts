// PostgreSQL change notifications: statement triggers that tell every server process which cached table changed.
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { Dialect } from '../db.ts';

/** Tables the read-through caches may depend on; a cache over any other table would never hear of its changes. */
export const CHANGE_NOTIFIED_TABLES = [
  'access_tokens',
  'grants',
  'endpoints',
  'storage_gateways',
  'collections',
  'gcs_roles',
  'identities',
  'identity_links',
  'groups',
  'group_memberships',
] as const;

export function changeNotificationsMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      // SQLite needs none: PRAGMA data_version reports other connections' commits.
      if (dialect !== 'postgres') return;
      // Delivered at commit, to listeners in every process, and never for a rolled-back transaction.
      await sql`
        create function gatehouse_notify_change() returns trigger language plpgsql as $$
        begin
          perform pg_notify('gatehouse_changes', tg_table_name);
          return null;
        end $$`.execute(db);
      for (const table of CHANGE_NOTIFIED_TABLES) {
        await sql`
          create trigger ${sql.raw(`${table}_notify_change`)}
          after insert or update or delete or truncate on ${sql.table(table)}
          for each statement execute function gatehouse_notify_change()`.execute(db);
      }
    },
  };
}
