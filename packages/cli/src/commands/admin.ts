// Local bootstrap commands acting on the data dir or database directly: file access is the root of trust.
import { randomBytes } from 'node:crypto';
import { Command, Option } from 'commander';
import { createClient, createUser, deleteClient, findByUsername, listClients, openStore, qualifyUsername, setupEndpoint, type Store } from '@gatehouse/server';
import { CliError, print, readStdin, table } from '../output.ts';
import { configFrom, storeOptions } from './serve.ts';

async function withStore<T>(opts: Record<string, unknown>, fn: (store: Store, domain: string) => Promise<T>): Promise<T> {
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
    .description('initialize this server\'s endpoint (its id is also the GCS manager\'s client id)')
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
      const given = opts.passwordStdin ? (await readStdin()).replace(/\r?\n$/, '') : undefined;
      if (opts.passwordStdin && !given) throw new CliError('empty password on stdin');
      const password = given ?? randomBytes(18).toString('base64url');
      const row = await withStore(opts, (store, domain) =>
        store.tx((db) => createUser(db, { username: qualifyUsername(username, domain), password, name: opts.name, email: opts.email, organization: opts.organization })),
      );
      // A generated password is shown once; it is stored only as a scrypt hash.
      print(cmd, { id: row.id, username: row.username, name: row.name, email: row.email, ...(given ? {} : { password }) });
    });

  const client = auth.command('client').description('OAuth clients (each is also an identity)');
  storeOptions(client.command('create'))
    .description('create a client; a confidential client\'s secret is printed once and stored only as a hash')
    .requiredOption('--name <name>', 'client name')
    .option('--public', 'a public (native) client without a secret, for PKCE logins')
    .option('--redirect-uri <uri...>', 'allowed redirect URIs for user logins')
    .option('--json', 'same as --format json')
    .action(async (opts, cmd: Command) => {
      const created = await withStore(opts, (store) => store.tx((db) => createClient(db, { name: opts.name, publicClient: !!opts.public, redirectUris: opts.redirectUri ?? [] })));
      print(cmd, { client_id: created.id, client_secret: created.secret ?? null, name: created.name, public_client: created.public_client, identity: `${created.id}@clients.auth.globus.org`, redirect_uris: created.redirect_uris });
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

export { Option };
