// Column helpers that hide the few differences between SQLite and PostgreSQL DDL.
import type { CreateTableBuilder } from 'kysely';
import type { Dialect } from '../db.ts';

/** An auto-incrementing integer primary key (Globus consent ids are integers). */
export function serialId<T extends string>(table: CreateTableBuilder<T, any>, dialect: Dialect, name = 'id'): CreateTableBuilder<T, any> {
  return dialect === 'postgres'
    ? table.addColumn(name, 'bigserial', (c) => c.primaryKey())
    : table.addColumn(name, 'integer', (c) => c.primaryKey().autoIncrement());
}
