// Auth policies (`/v2/api/policies`): the domain and high-assurance rules a mapped collection's guest_auth_policy_id names.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { Dialect } from '../db.ts';

export function authPoliciesMigration(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('auth_policies')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('high_assurance', 'integer', (c) => c.notNull())
        .addColumn('authentication_assurance_timeout', 'bigint')
        .addColumn('required_mfa', 'integer', (c) => c.notNull())
        // JSON arrays, or null for "no constraint": Globus tells null and [] apart on the wire.
        .addColumn('domain_constraints_include', 'text')
        .addColumn('domain_constraints_exclude', 'text')
        // No foreign key: a policy made by local administration has no creator, and one outlives its creator's identity.
        .addColumn('created_by', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('auth_policies_created_by').on('auth_policies').columns(['created_by', 'id']).execute();
    },
  };
}
