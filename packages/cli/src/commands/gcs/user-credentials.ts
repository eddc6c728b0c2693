// `user-credentials create posix|list|show|delete`: your local accounts on storage gateways.
import { Command } from 'commander';
import { UserCredentialDocument } from '@gatehouse/sdk';
import { identityIdOf, printDocument, printList, printResult, requireUuid, withGcs } from './common.ts';

export function userCredentialsCommand(): Command {
  const credentials = new Command('user-credentials').description('your accounts on storage gateways (what guest collections act as)');

  credentials
    .command('create')
    .description('register a user credential')
    .command('posix')
    .description('a POSIX account on a POSIX storage gateway')
    .argument('<storage_gateway_id>')
    .option('--local-username <name>', 'the local account (default: what the gateway maps your identity to)')
    .option('--identity <identity>', 'whose credential (id or username; default you, others only with admin-managed credentials)')
    .option('--display-name <name>', 'display name')
    .action(async (gatewayId: string, opts, cmd: Command) => {
      await withGcs(cmd, async ({ client, session }) => {
        const doc = new UserCredentialDocument({
          storageGatewayId: requireUuid('STORAGE_GATEWAY_ID', gatewayId),
          identityId: opts.identity ? await identityIdOf(session, opts.identity) : undefined,
          username: opts.localUsername,
          displayName: opts.displayName,
        });
        const created = (await client.createUserCredential(doc)).data;
        printDocument(cmd, created, `User credential ${created.id} created`);
      });
    });

  credentials
    .command('list')
    .description('your user credentials')
    .option('--storage-gateway <id>', 'only on this storage gateway')
    .action(async (opts, cmd: Command) => {
      await withGcs(cmd, async ({ client }) => {
        const list = await client
          .getUserCredentialList({ storageGateway: opts.storageGateway && requireUuid('--storage-gateway', opts.storageGateway) })
          .toArray();
        printList(cmd, list, ['id', 'username', 'identity_id', 'storage_gateway_id', 'display_name']);
      });
    });

  credentials
    .command('show')
    .description('one user credential')
    .argument('<user_credential_id>')
    .action(async (id: string, _opts, cmd: Command) => {
      await withGcs(cmd, async ({ client }) => printDocument(cmd, (await client.getUserCredential(requireUuid('USER_CREDENTIAL_ID', id))).data));
    });

  credentials
    .command('delete')
    .description('delete a user credential')
    .argument('<user_credential_id>')
    .action(async (id: string, _opts, cmd: Command) => {
      await withGcs(cmd, async ({ client }) => printResult(cmd, await client.deleteUserCredential(requireUuid('USER_CREDENTIAL_ID', id))));
    });
  return credentials;
}
