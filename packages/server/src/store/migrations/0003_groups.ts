// groups schema.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { Dialect } from '../db.ts';

export function groupsMigration(_dialect: Dialect): Migration {
  return {
    async up(_db: Kysely<any>) {},
  };
}
