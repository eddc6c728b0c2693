// Auth schema: identities, clients, grants and their tokens, authorization codes, consents, keys.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { Dialect } from '../db.ts';
import { serialId } from './columns.ts';

export function authMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('identities')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('username_key', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text')
        .addColumn('email', 'text')
        .addColumn('organization', 'text')
        .addColumn('identity_provider', 'text', (c) => c.notNull())
        .addColumn('identity_type', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('identity_links')
        .addColumn('identity_id', 'text', (c) => c.notNull().references('identities.id').onDelete('cascade'))
        .addColumn('linked_identity_id', 'text', (c) => c.notNull().references('identities.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('identity_links_pk', ['identity_id', 'linked_identity_id'])
        .execute();
      // identitySet() looks links up from either side on every authenticated request.
      await db.schema.createIndex('identity_links_linked').on('identity_links').columns(['linked_identity_id']).execute();
      await db.schema
        .createTable('clients')
        .addColumn('id', 'text', (c) => c.primaryKey().references('identities.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text')
        .addColumn('public_client', 'integer', (c) => c.notNull())
        .addColumn('redirect_uris', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('grants')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('identity_id', 'text', (c) => c.notNull())
        .addColumn('resource_server', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('scope_tree', 'text', (c) => c.notNull())
        .addColumn('authenticated_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema.createIndex('grants_identity').on('grants').columns(['identity_id']).execute();
      for (const table of ['access_tokens', 'refresh_tokens'] as const) {
        let t = db.schema
          .createTable(table)
          .addColumn('token_hash', 'text', (c) => c.primaryKey())
          .addColumn('grant_id', 'text', (c) => c.notNull().references('grants.id').onDelete('cascade'))
          .addColumn('issued_at', 'bigint', (c) => c.notNull());
        if (table === 'access_tokens') t = t.addColumn('expires_at', 'bigint', (c) => c.notNull());
        await t.addColumn('revoked_at', 'bigint').execute();
        await db.schema.createIndex(`${table}_grant`).on(table).columns(['grant_id']).execute();
      }
      await db.schema
        .createTable('authorization_codes')
        .addColumn('code_hash', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('identity_id', 'text', (c) => c.notNull())
        .addColumn('redirect_uri', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('code_challenge', 'text')
        .addColumn('state', 'text')
        .addColumn('authenticated_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .execute();
      await serialId(db.schema.createTable('consents'), dialect)
        .addColumn('identity_id', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('scope_name', 'text', (c) => c.notNull())
        .addColumn('parent_id', 'bigint')
        .addColumn('dependency_path', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('auto_approved', 'integer', (c) => c.notNull())
        .addColumn('created', 'text', (c) => c.notNull())
        .addColumn('updated', 'text', (c) => c.notNull())
        .addColumn('last_used', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('consents_identity').on('consents').columns(['identity_id', 'client_id']).execute();
      await db.schema
        .createTable('login_sessions')
        .addColumn('session_hash', 'text', (c) => c.primaryKey())
        .addColumn('identity_id', 'text', (c) => c.notNull().references('identities.id').onDelete('cascade'))
        .addColumn('authenticated_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('signing_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('private_jwk', 'text', (c) => c.notNull())
        .addColumn('public_jwk', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}
