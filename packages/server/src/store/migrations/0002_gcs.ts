// GCS Manager schema: the endpoint and everything hosted on it.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { Dialect } from '../db.ts';

export function gcsMigration(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('endpoints')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('document', 'text', (c) => c.notNull())
        .addColumn('owner_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('gcs_roles')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('collection_id', 'text')
        .addColumn('scope_key', 'text', (c) => c.notNull())
        .addColumn('principal', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('protected', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('gcs_roles_unique').on('gcs_roles').columns(['scope_key', 'principal', 'role']).unique().execute();
      await db.schema.createIndex('gcs_roles_principal').on('gcs_roles').columns(['principal']).execute();
      await db.schema
        .createTable('storage_gateways')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('connector_id', 'text', (c) => c.notNull())
        .addColumn('document', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('collections')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('collection_type', 'text', (c) => c.notNull())
        .addColumn('storage_gateway_id', 'text', (c) => c.notNull())
        .addColumn('mapped_collection_id', 'text')
        .addColumn('identity_id', 'text', (c) => c.notNull())
        .addColumn('user_credential_id', 'text')
        .addColumn('public', 'integer', (c) => c.notNull())
        .addColumn('domain_name', 'text', (c) => c.notNull())
        .addColumn('document', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      // Host names route data requests and certificates, so two collections may never share one.
      await db.schema.createIndex('collections_domain_name').on('collections').columns(['domain_name']).unique().execute();
      // Keyset paging walks `id` within each filter, so every filter column leads an (x, id) index.
      await db.schema.createIndex('collections_mapped').on('collections').columns(['mapped_collection_id', 'id']).execute();
      await db.schema.createIndex('collections_gateway').on('collections').columns(['storage_gateway_id', 'id']).execute();
      await db.schema.createIndex('collections_type').on('collections').columns(['collection_type', 'id']).execute();
      await db.schema.createIndex('collections_identity').on('collections').columns(['identity_id', 'id']).execute();
      await db.schema
        .createTable('user_credentials')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('identity_id', 'text', (c) => c.notNull())
        .addColumn('storage_gateway_id', 'text', (c) => c.notNull())
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('document', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('user_credentials_unique')
        .on('user_credentials')
        .columns(['identity_id', 'storage_gateway_id', 'username'])
        .unique()
        .execute();
      await db.schema.createIndex('user_credentials_gateway').on('user_credentials').columns(['storage_gateway_id', 'id']).execute();
      await db.schema
        .createTable('sharing_policies')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('collection_id', 'text', (c) => c.notNull())
        .addColumn('document', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sharing_policies_collection').on('sharing_policies').columns(['collection_id', 'id']).execute();
      await db.schema
        .createTable('gcs_nodes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('document', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}
