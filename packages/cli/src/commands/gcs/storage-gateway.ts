// `storage-gateway create posix|list|show|update|delete`: POSIX storage gateways and their identity policies.
import { Command } from 'commander';
import { CONNECTOR_IDS, POSIXStoragePolicies, StorageGatewayDocument, type PathRestrictionsDocument, type StorageGatewayFields } from '@gatehouse/sdk';
import { CliError } from '../../output.ts';
import { collect, flagPair, integer, jsonValue, pairValue, printDocument, printList, printResult, requireChanges, requireUuid, withGcs } from './common.ts';

/** Options shared by `create posix` and `update`: everything a POSIX gateway document carries. */
function gatewayOptions(command: Command): Command {
  command
    .option('--domain <domain>', 'allowed identity domain (repeatable)', collect)
    .option('--identity-mapping <json>', 'identity mapping document, inline or a file (repeatable)', (v: string, prev: unknown[] = []) => [
      ...prev,
      jsonValue('--identity-mapping')(v),
    ])
    .option('--restrict-paths <json>', 'path_restrictions document, inline or a file', jsonValue('--restrict-paths'))
    .option('--users-allow <users>', 'local accounts allowed (repeatable)', collect)
    .option('--users-deny <users>', 'local accounts denied (repeatable)', collect)
    .option('--groups-allow <groups>', 'POSIX groups whose members are allowed (repeatable)', collect)
    .option('--groups-deny <groups>', 'POSIX groups whose members are denied (repeatable)', collect)
    .option('--process-user <user>', 'local account the gateway runs as')
    .option('--authentication-timeout-mins <n>', 'minutes a login stays valid here', integer('--authentication-timeout-mins'))
    .option('--require-mfa', 'require multi-factor logins (high-assurance gateways)');
  return flagPair(command, '--admin-managed-credentials', '--user-managed-credentials', 'administrators register credentials for users');
}

function gatewayFields(opts: Record<string, any>): StorageGatewayFields {
  const policies = opts.groupsAllow || opts.groupsDeny ? new POSIXStoragePolicies({ groupsAllow: opts.groupsAllow, groupsDeny: opts.groupsDeny }) : undefined;
  return {
    displayName: opts.displayName,
    allowedDomains: opts.domain,
    identityMappings: opts.identityMapping,
    restrictPaths: opts.restrictPaths as PathRestrictionsDocument | undefined,
    usersAllow: opts.usersAllow,
    usersDeny: opts.usersDeny,
    policies,
    processUser: opts.processUser,
    authenticationTimeoutMins: opts.authenticationTimeoutMins,
    requireMfa: opts.requireMfa,
    adminManagedCredentials: pairValue(opts, '--admin-managed-credentials', '--user-managed-credentials'),
  };
}

const include = (opts: Record<string, unknown>) => (opts.includePrivatePolicies ? 'private_policies' : undefined);

export function storageGatewayCommand(): Command {
  const gateway = new Command('storage-gateway').description('storage gateways: the file systems collections live on');

  const create = gateway.command('create').description('create a storage gateway');
  gatewayOptions(create.command('posix').description('a POSIX file system gateway').argument('<display_name>'))
    .option('--high-assurance', 'a high-assurance gateway (cannot be changed later)')
    .action(async (displayName: string, opts, cmd: Command) => {
      const doc = new StorageGatewayDocument({ ...gatewayFields(opts), displayName, connectorId: CONNECTOR_IDS.POSIX, highAssurance: opts.highAssurance });
      await withGcs(cmd, async ({ client }) => {
        const created = (await client.createStorageGateway(doc)).data;
        printDocument(cmd, created, `Storage gateway ${created.id} created`);
      });
    });

  gateway
    .command('list')
    .description('storage gateways you can see')
    .option('--include-private-policies', 'identity policies too (administrators)')
    .action(async (opts, cmd: Command) => {
      await withGcs(cmd, async ({ client }) => {
        const gateways = await client.getStorageGatewayList({ include: include(opts) }).toArray();
        printList(cmd, gateways, ['id', 'display_name', 'connector_id', 'high_assurance', 'allowed_domains']);
      });
    });

  gateway
    .command('show')
    .description('one storage gateway')
    .argument('<storage_gateway_id>')
    .option('--include-private-policies', 'identity policies too (administrators)')
    .action(async (id: string, opts, cmd: Command) => {
      await withGcs(cmd, async ({ client }) =>
        printDocument(cmd, (await client.getStorageGateway(requireUuid('STORAGE_GATEWAY_ID', id), { include: include(opts) })).data),
      );
    });

  // `update posix ID` as globus-connect-server spells it, and plain `update ID`. (Not a `posix`
  // subcommand: the parent would then swallow the options meant for it.)
  gatewayOptions(
    gateway
      .command('update')
      .description('change a storage gateway (unnamed settings keep their values)')
      .usage('[options] [posix] <storage_gateway_id>')
      .argument('<storage_gateway_id>', 'the gateway, optionally preceded by its connector: posix')
      .argument('[id_after_connector]')
      .option('--display-name <name>', 'display name'),
  ).action(async (first: string, second: string | undefined, opts, cmd: Command) => {
    if (second !== undefined && first !== 'posix') throw new CliError(`Unknown connector ${first}: Gatehouse gateways are posix`, 2);
    const id = requireUuid('STORAGE_GATEWAY_ID', second ?? first);
    const fields = gatewayFields(opts);
    requireChanges({ ...fields }, 'at least one setting (see --help)');
    await withGcs(cmd, async ({ client }) => {
      const updated = await client.updateStorageGateway(id, new StorageGatewayDocument(fields));
      printDocument(cmd, updated.data, updated.message);
    });
  });

  gateway
    .command('delete')
    .description('delete a storage gateway (refused while collections use it)')
    .argument('<storage_gateway_id>')
    .action(async (id: string, _opts, cmd: Command) => {
      await withGcs(cmd, async ({ client }) => printResult(cmd, await client.deleteStorageGateway(requireUuid('STORAGE_GATEWAY_ID', id))));
    });
  return gateway;
}
