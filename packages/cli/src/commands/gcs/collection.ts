// `collection create [mapped]|guest, list|show|update|delete|set-owner-string|reset-owner-string|role …`: mapped collections, and guest collections shared from them.
import { warnIfMissing } from '../path-warnings.ts';
import { Command, Option } from 'commander';
import {
  GCSAPIError,
  GCSCollectionScopes,
  GCSEndpointScopes,
  GuestCollectionDocument,
  MappedCollectionDocument,
  POSIXCollectionPolicies,
  UserCredentialDocument,
  type GCSClient,
  type MappedCollectionFields,
  type PathRestrictionsDocument,
} from '@gatehouse/sdk';
import {
  collect,
  flagPair,
  identityIdOf,
  integer,
  jsonValue,
  pairValue,
  printDocument,
  printList,
  printResult,
  requireChanges,
  requireUuid,
  withGcs,
} from './common.ts';
import { roleCommands } from './roles.ts';
import { CliError } from '../../output.ts';
import type { Session } from '../../session.ts';

const FILTERS = ['mapped-collections', 'guest-collections', 'managed-by-me', 'created-by-me'];

/** Options shared by `create` and `update`. */
function collectionOptions(command: Command): Command {
  command
    .option('--description <text>', 'description')
    .option('--organization <text>', 'organization')
    .option('--department <text>', 'department')
    .option('--contact-email <email>', 'contact email')
    .option('--contact-info <text>', 'contact information')
    .option('--info-link <url>', 'link to more information')
    .option('--keywords <words>', 'keywords (comma-separated or repeated)', collect)
    .option('--default-directory <path>', 'directory clients start in')
    .option('--user-message <text>', 'message shown to users (mapped collections)')
    .option('--user-message-link <url>', 'link shown with the user message (mapped collections)')
    .option('--sharing-restrict-paths <json>', 'path_restrictions document for guest collections, inline or a file', jsonValue('--sharing-restrict-paths'))
    .option('--sharing-user-allow <users>', 'local accounts that may create guest collections (repeatable)', collect)
    .option('--sharing-user-deny <users>', 'local accounts that may not create guest collections (repeatable)', collect)
    .option('--sharing-group-allow <groups>', 'POSIX groups whose members may create guest collections (repeatable)', collect)
    .option('--sharing-group-deny <groups>', 'POSIX groups whose members may not create guest collections (repeatable)', collect)
    .option('--acl-expiration-mins <n>', 'lifetime of access rules (high assurance)', integer('--acl-expiration-mins'))
    .option('--force-encryption', 'require encrypted transfers')
    .option('--no-force-encryption', 'do not require encrypted transfers')
    .option('--delete-protected', 'refuse DELETE until turned off')
    .option('--no-delete-protected', 'allow DELETE');
  flagPair(command, '--public', '--private', 'list the collection publicly');
  flagPair(command, '--allow-guest-collections', '--disable-guest-collections', 'let users share through guest collections');
  flagPair(command, '--enable-https', '--disable-https', 'HTTPS access to the data');
  return command;
}

function collectionFields(opts: Record<string, any>): MappedCollectionFields {
  const policies =
    opts.sharingGroupAllow || opts.sharingGroupDeny
      ? new POSIXCollectionPolicies({ sharingGroupsAllow: opts.sharingGroupAllow, sharingGroupsDeny: opts.sharingGroupDeny })
      : undefined;
  return {
    displayName: opts.displayName,
    description: opts.description,
    organization: opts.organization,
    department: opts.department,
    contactEmail: opts.contactEmail,
    contactInfo: opts.contactInfo,
    infoLink: opts.infoLink,
    keywords: opts.keywords,
    defaultDirectory: opts.defaultDirectory,
    userMessage: opts.userMessage,
    userMessageLink: opts.userMessageLink,
    sharingRestrictPaths: opts.sharingRestrictPaths as PathRestrictionsDocument | undefined,
    sharingUsersAllow: opts.sharingUserAllow,
    sharingUsersDeny: opts.sharingUserDeny,
    policies,
    aclExpirationMins: opts.aclExpirationMins,
    forceEncryption: opts.forceEncryption,
    deleteProtected: opts.deleteProtected,
    public: pairValue(opts, '--public', '--private'),
    allowGuestCollections: pairValue(opts, '--allow-guest-collections', '--disable-guest-collections'),
    enableHttps: pairValue(opts, '--enable-https', '--disable-https'),
  };
}

/** Your user credential on the gateway, registered (as the gateway maps your identity) when you have none. */
async function ownCredential(client: GCSClient, session: Session, gatewayId: string): Promise<string> {
  const me = (await session.userinfo()).sub;
  const mine = (await client.getUserCredentialList({ storageGateway: gatewayId }).toArray()).filter((c) => c.identity_id === me);
  if (mine.length) return String(mine[0].id);
  const created = (await client.createUserCredential(new UserCredentialDocument({ storageGatewayId: gatewayId }))).data;
  process.stderr.write(`Registered user credential ${created.id} (local account ${created.username}) on storage gateway ${gatewayId}\n`);
  return String(created.id);
}

/** A missing data_access consent in a stored login: which login gives it. */
function consentHint(error: unknown, session: Session, mappedId: string): unknown {
  if (!(error instanceof GCSAPIError) || error.httpStatus !== 403 || !/data_access/.test(JSON.stringify(error.raw)) || session.credentials.kind !== 'user')
    return error;
  return new CliError(`${error.message}\nHint: run \`gatehouse login --collection ${mappedId}\` (it asks for the mapped collection's data_access consent)`);
}

const include = (opts: Record<string, unknown>) => (opts.includePrivatePolicies ? 'private_policies' : undefined);

export function collectionCommand(): Command {
  const collection = new Command('collection').description('collections: what users see and transfer from');

  const create = collection.command('create').description('create a collection: mapped (on a storage gateway; the default) or guest (a share of a mapped one)');
  collectionOptions(
    create
      .command('mapped', { isDefault: true })
      .description('create a mapped collection on a storage gateway (`collection create GATEWAY_ID BASE_PATH NAME` as globus-connect-server)')
      .argument('<storage_gateway_id>')
      .argument('<base_path>', 'absolute path on the gateway (may start with ~)')
      .argument('<display_name>')
      .option('--domain-name <name>', 'a subdomain of the endpoint domain, instead of an assigned one'),
  ).action(async (gatewayId: string, basePath: string, displayName: string, opts, cmd: Command) => {
    const fields = collectionFields(opts);
    // A collection is public unless said otherwise, as with globus-connect-server.
    const doc = new MappedCollectionDocument({
      ...fields,
      public: fields.public ?? true,
      storageGatewayId: requireUuid('STORAGE_GATEWAY_ID', gatewayId),
      collectionBasePath: basePath,
      displayName,
      domainName: opts.domainName,
    });
    await withGcs(cmd, async ({ client, session }) => {
      const created = (await client.createCollection(doc)).data;
      printDocument(cmd, created, `Collection ${created.id} created`);
      if (!/[$~]/.test(basePath)) await warnIfMissing(session, String(created.id), '/', `its base path ${basePath}, the collection root`);
    });
  });

  collectionOptions(
    create
      .command('guest')
      .description(
        'share a directory of a mapped collection as a guest collection that you own (your user credential on its gateway is registered first if missing)',
      )
      .argument('<mapped_collection_id>')
      .argument('<base_path>', 'the directory to share, a path on the mapped collection')
      .argument('<display_name>')
      .option('--user-credential <id>', 'the user credential the guest acts with (default: yours on the gateway, registered if missing)'),
  ).action(async (mappedId: string, basePath: string, displayName: string, opts, cmd: Command) => {
    const mapped = requireUuid('MAPPED_COLLECTION_ID', mappedId);
    const fields = collectionFields(opts);
    // The guest acts on the mapped collection's data as you: the token needs its data_access consent.
    const scope = (endpointId: string) => `${GCSEndpointScopes(endpointId).manage_collections}[${GCSCollectionScopes(mapped).data_access}]`;
    await withGcs(
      cmd,
      async ({ client, session }) => {
        const gatewayId = String((await client.getCollection(mapped)).data.storage_gateway_id);
        const credentialId = opts.userCredential ? requireUuid('--user-credential', opts.userCredential) : await ownCredential(client, session, gatewayId);
        const doc = new GuestCollectionDocument({
          ...fields,
          public: fields.public ?? true,
          mappedCollectionId: mapped,
          collectionBasePath: basePath,
          displayName,
          userCredentialId: credentialId,
        });
        let created;
        try {
          created = (await client.createCollection(doc)).data;
        } catch (error) {
          throw consentHint(error, session, mapped);
        }
        printDocument(cmd, created, `Guest collection ${created.id} created`);
      },
      scope,
    );
  });

  collection
    .command('list')
    .description('collections you can see')
    .addOption(new Option('--filter <filter>', 'only these (repeatable; all must match)').choices(FILTERS).argParser(collect))
    .option('--mapped-collection-id <id>', 'only guest collections of this mapped collection')
    .option('--storage-gateway-id <id>', 'only collections on this storage gateway')
    .option('--include-private-policies', 'sharing policies too (administrators)')
    .action(async (opts, cmd: Command) => {
      await withGcs(cmd, async ({ client }) => {
        const collections = await client
          .getCollectionList({
            filter: (opts.filter as string[] | undefined)?.map((f) => f.replace(/-/g, '_')),
            mappedCollectionId: opts.mappedCollectionId && requireUuid('--mapped-collection-id', opts.mappedCollectionId),
            storageGatewayId: opts.storageGatewayId && requireUuid('--storage-gateway-id', opts.storageGatewayId),
            include: include(opts),
          })
          .toArray();
        printList(cmd, collections, ['id', 'display_name', 'collection_type', 'storage_gateway_id']);
      });
    });

  collection
    .command('show')
    .description('one collection')
    .argument('<collection_id>')
    .option('--include-private-policies', 'sharing policies too (administrators)')
    .action(async (id: string, opts, cmd: Command) => {
      await withGcs(cmd, async ({ client }) =>
        printDocument(cmd, (await client.getCollection(requireUuid('COLLECTION_ID', id), { include: include(opts) })).data),
      );
    });

  collectionOptions(
    collection
      .command('update')
      .description('change a collection (unnamed settings keep their values)')
      .argument('<collection_id>')
      .option('--display-name <name>', 'display name'),
  ).action(async (id: string, opts, cmd: Command) => {
    const fields = collectionFields(opts);
    requireChanges({ ...fields }, 'at least one setting (see --help)');
    await withGcs(cmd, async ({ client }) => {
      const collectionId = requireUuid('COLLECTION_ID', id);
      // The document names the collection type, as the Python SDK's always does.
      const current = (await client.getCollection(collectionId)).data;
      const doc = current.collection_type === 'guest' ? new GuestCollectionDocument(fields) : new MappedCollectionDocument(fields);
      const updated = await client.updateCollection(collectionId, doc);
      printDocument(cmd, updated.data, updated.message);
    });
  });

  collection
    .command('delete')
    .description('delete a collection (a mapped one takes its guest collections with it)')
    .argument('<collection_id>')
    .action(async (id: string, _opts, cmd: Command) => {
      await withGcs(cmd, async ({ client }) => printResult(cmd, await client.deleteCollection(requireUuid('COLLECTION_ID', id))));
    });

  collection
    .command('set-owner-string')
    .description('advertise one of your identities as the collection owner')
    .argument('<collection_id>')
    .argument('<identity>', 'one of your identities (id or username)')
    .action(async (id: string, identity: string, _opts, cmd: Command) => {
      await withGcs(cmd, async ({ client, session }) =>
        printResult(cmd, await client.setCollectionOwnerString(requireUuid('COLLECTION_ID', id), await identityIdOf(session, identity))),
      );
    });

  collection
    .command('reset-owner-string')
    .description('advertise the endpoint client as the owner again')
    .argument('<collection_id>')
    .action(async (id: string, _opts, cmd: Command) => {
      await withGcs(cmd, async ({ client }) => printResult(cmd, await client.resetCollectionOwnerString(requireUuid('COLLECTION_ID', id))));
    });

  roleCommands(collection, 'collection');
  return collection;
}
