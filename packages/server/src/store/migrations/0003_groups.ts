// Groups schema: groups, their memberships (primary key group+identity: one status per identity), fields, preferences.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { Dialect } from '../db.ts';

export function groupsMigration(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('groups')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('terms_and_conditions', 'text')
        .addColumn('parent_id', 'text')
        .addColumn('group_type', 'text', (c) => c.notNull())
        .addColumn('policies', 'text', (c) => c.notNull())
        .addColumn('allow_join', 'integer', (c) => c.notNull())
        .addColumn('subscription_id', 'text', (c) => c.unique())
        .addColumn('subscription_info', 'text')
        .addColumn('subscription_admin_verified_id', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('groups_parent').on('groups').columns(['parent_id']).execute();
      await db.schema
        .createTable('group_memberships')
        .addColumn('group_id', 'text', (c) => c.notNull().references('groups.id').onDelete('cascade'))
        .addColumn('identity_id', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('status_reason', 'text')
        .addColumn('invite_email_address', 'text')
        .addColumn('invite_time', 'text')
        .addColumn('updated', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('group_memberships_pk', ['group_id', 'identity_id'])
        .execute();
      // activeGroupIds runs on every GCS/Transfer authorization: look-ups go by identity.
      await db.schema.createIndex('group_memberships_identity').on('group_memberships').columns(['identity_id', 'status']).execute();
      await db.schema
        .createTable('group_membership_fields')
        .addColumn('group_id', 'text', (c) => c.notNull().references('groups.id').onDelete('cascade'))
        .addColumn('identity_id', 'text', (c) => c.notNull())
        .addColumn('fields', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('group_membership_fields_pk', ['group_id', 'identity_id'])
        .execute();
      await db.schema
        .createTable('group_preferences')
        .addColumn('identity_id', 'text', (c) => c.primaryKey())
        .addColumn('allow_add', 'integer', (c) => c.notNull())
        .execute();
    },
  };
}
