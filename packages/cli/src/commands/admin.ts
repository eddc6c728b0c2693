// Local bootstrap commands acting on the data dir or database directly: file access is the root of trust.
import { randomBytes, randomUUID } from 'node:crypto';
import { Command, Option } from 'commander';
import {
  createClient,
  createUser,
  deleteClient,
  findByUsername,
  listClients,
  listUsers,
  setPassword,
  localSubscriptionInfo,
  openStore,
  qualifyUsername,
  setGroupAllowJoin,
  setGroupSubscription,
  setupEndpoint,
  type Store,
} from '@gatehouse/server';
import { CliError, print, readStdin, table } from '../output.ts';
import { configFrom, storeOptions } from './serve.ts';

export async function withStore<T>(opts: Record<string, unknown>, fn: (store: Store, domain: string) => Promise<T>): Promise<T> {
  const config = configFrom(opts);
  const store = await openStore(config);
  try {
    return await fn(store, config.identityDomain);
  } finally {
    await store.close();
  }
}

export function endpointSetupCommand(): Command {
  return storeOptions(new Command('setup'))
    .description("initialize this server's endpoint (its id is also the GCS manager's client id)")
    .argument('<display_name>', 'endpoint display name')
    .requiredOption('--owner <username>', 'owner identity: a local user or a client (<client_id>@clients.auth.globus.org)')
    .option('--organization <org>', 'organization')
    .option('--contact-email <email>', 'contact email')
    .action(async (displayName: string, opts, cmd: Command) => {
      const endpoint = await withStore(opts, async (store, domain) =>
        store.tx(async (db) => {
          const owner = await findByUsername(db, qualifyUsername(opts.owner, domain));
          if (!owner) throw new CliError(`No identity ${opts.owner}: create it first with \`gatehouse auth user create\` or \`gatehouse auth client create\``);
          return setupEndpoint(db, { displayName, ownerId: owner.id, organization: opts.organization, contactEmail: opts.contactEmail });
        }),
      );
      print(cmd, { id: endpoint.id, display_name: displayName, owner_id: endpoint.owner_id });
    });
}

/** The password from stdin with --password-stdin, else a generated one (shown once by the caller). */
async function passwordOf(opts: { passwordStdin?: boolean }): Promise<{ password: string; given: boolean }> {
  if (!opts.passwordStdin) return { password: randomBytes(18).toString('base64url'), given: false };
  const password = (await readStdin()).replace(/\r?\n$/, '');
  if (!password) throw new CliError('empty password on stdin');
  return { password, given: true };
}

export function authAdminCommands(auth: Command): void {
  const user = auth.command('user').description('local user identities');
  storeOptions(user.command('create'))
    .description('create a local user; without --password-stdin a password is generated and printed once')
    .argument('<username>', 'user name; a bare name gets the identity domain')
    .option('--password-stdin', 'read the password from standard input')
    .option('--name <name>', 'display name')
    .option('--email <email>', 'email address')
    .option('--organization <org>', 'organization')
    .action(async (username: string, opts, cmd: Command) => {
      const { password, given } = await passwordOf(opts);
      const row = await withStore(opts, (store, domain) =>
        store.tx((db) =>
          createUser(db, { username: qualifyUsername(username, domain), password, name: opts.name, email: opts.email, organization: opts.organization }),
        ),
      );
      // A generated password is shown once; it is stored only as a scrypt hash.
      print(cmd, { id: row.id, username: row.username, name: row.name, email: row.email, ...(given ? {} : { password }) });
    });

  storeOptions(user.command('list'))
    .description('list local users')
    .action(async (opts, cmd: Command) => {
      const rows = await withStore(opts, (store) => listUsers(store.db));
      const users = rows.map((r) => ({
        id: r.id,
        username: r.username,
        name: r.name,
        email: r.email,
        created_at: new Date(r.created_at * 1000).toISOString(),
      }));
      print(cmd, users, (list) => table(list, ['id', 'username', 'name', 'email', 'created_at']));
    });
  storeOptions(user.command('set-password'))
    .description("set a local user's password (its browser sign-in sessions end); without --password-stdin one is generated and printed once")
    .argument('<username>', 'user name; a bare name gets the identity domain')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (username: string, opts, cmd: Command) => {
      const { password, given } = await passwordOf(opts);
      const row = await withStore(opts, (store, domain) =>
        store.tx(async (db) => {
          const found = await findByUsername(db, qualifyUsername(username, domain));
          if (!found || found.identity_type !== 'login') throw new CliError(`No local user ${username} (see \`gatehouse auth user list\`)`);
          await setPassword(db, found.id, password);
          return found;
        }),
      );
      print(cmd, { id: row.id, username: row.username, ...(given ? {} : { password }) }, (r) => `Password of ${r.username} set${given ? '' : `: ${password}`}`);
    });

  const client = auth.command('client').description('OAuth clients (each is also an identity)');
  storeOptions(client.command('create'))
    .description("create a client; a confidential client's secret is printed once and stored only as a hash")
    .requiredOption('--name <name>', 'client name')
    .option('--public', 'a public (native) client without a secret, for PKCE logins')
    .option('--redirect-uri <uri...>', 'allowed redirect URIs for user logins')
    .option('--json', 'same as --format json')
    .action(async (opts, cmd: Command) => {
      const created = await withStore(opts, (store) =>
        store.tx((db) => createClient(db, { name: opts.name, publicClient: !!opts.public, redirectUris: opts.redirectUri ?? [] })),
      );
      print(cmd, {
        client_id: created.id,
        client_secret: created.secret ?? null,
        name: created.name,
        public_client: created.public_client,
        identity: `${created.id}@clients.auth.globus.org`,
        redirect_uris: created.redirect_uris,
      });
    });
  storeOptions(client.command('list'))
    .description('list clients')
    .action(async (opts, cmd: Command) => {
      const clients = await withStore(opts, (store) => listClients(store.db));
      print(cmd, clients, (rows) => table(rows, ['id', 'name', 'public_client', 'created_at']));
    });
  storeOptions(client.command('delete'))
    .description('delete a client, its identity and every grant made to it')
    .argument('<client_id>')
    .action(async (id: string, opts, cmd: Command) => {
      const deleted = await withStore(opts, (store) => store.tx((db) => deleteClient(db, id)));
      if (!deleted) throw new CliError(`No client ${id}`);
      print(cmd, { client_id: id, deleted: true });
    });
}

/**
 * Subscriptions are Globus's; a self-hosted server stands in for them: a subscription is a Groups group
 * carrying a subscription_id, and that group's admins are its managers (they may subscribe endpoints).
 */
export function subscriptionCommands(): Command {
  const subscription = new Command('subscription').description('local stand-in for Globus subscriptions, attached to Groups groups');
  storeOptions(subscription.command('attach'))
    .description('make a group carry a subscription (its admins become subscription managers)')
    .argument('<group_id>')
    .option('--subscription-id <uuid>', 'subscription id (default: a new one)')
    .option('--name <name>', 'subscription name (default: the group name)')
    .option('--subscriber <name>', 'subscriber name (default: the subscription name)')
    .action(async (groupId: string, opts, cmd: Command) => {
      const subscriptionId = opts.subscriptionId ?? randomUUID();
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(subscriptionId)) throw new CliError('--subscription-id must be a UUID');
      const result = await withStore(opts, (store) =>
        store.tx(async (db) => {
          const group = await db.selectFrom('groups').select(['id', 'name']).where('id', '=', groupId.toLowerCase()).executeTakeFirst();
          if (!group) throw new CliError(`No group ${groupId}`);
          const name = opts.name ?? group.name;
          const info = localSubscriptionInfo(name, opts.subscriber ?? name);
          await setGroupSubscription(db, group.id, subscriptionId.toLowerCase(), info);
          return { group_id: group.id, subscription_id: subscriptionId.toLowerCase(), subscription_info: info };
        }),
      );
      print(cmd, result);
    });
  storeOptions(subscription.command('detach'))
    .description("remove a group's subscription")
    .argument('<group_id>')
    .action(async (groupId: string, opts, cmd: Command) => {
      const updated = await withStore(opts, (store) =>
        store.tx(async (db) => {
          const group = await db.selectFrom('groups').select('id').where('id', '=', groupId.toLowerCase()).executeTakeFirst();
          if (!group) throw new CliError(`No group ${groupId}`);
          await setGroupSubscription(db, group.id, null);
          return group.id;
        }),
      );
      print(cmd, { group_id: updated, subscription_id: null });
    });
  storeOptions(subscription.command('list'))
    .description('groups that carry a subscription')
    .action(async (opts, cmd: Command) => {
      const rows = await withStore(opts, (store) =>
        store.db.selectFrom('groups').select(['id as group_id', 'name', 'subscription_id']).where('subscription_id', 'is not', null).orderBy('name').execute(),
      );
      print(cmd, rows, (r) => table(r, ['group_id', 'name', 'subscription_id']));
    });
  return subscription;
}

/** Gatehouse's direct-join switch: no Globus route sets it, so it is a local administration command. */
export function groupAdminCommand(): Command {
  return storeOptions(new Command('group-allow-join'))
    .description('let identities join a group directly (on) or only by invitation or request (off)')
    .argument('<group_id>')
    .argument('<on|off>')
    .action(async (groupId: string, value: string, opts, cmd: Command) => {
      if (value !== 'on' && value !== 'off') throw new CliError('say on or off');
      await withStore(opts, (store) =>
        store.tx(async (db) => {
          const group = await db.selectFrom('groups').select('id').where('id', '=', groupId.toLowerCase()).executeTakeFirst();
          if (!group) throw new CliError(`No group ${groupId}`);
          await setGroupAllowJoin(db, group.id, value === 'on');
        }),
      );
      print(cmd, { group_id: groupId.toLowerCase(), allow_join: value === 'on' });
    });
}

export { Option };
