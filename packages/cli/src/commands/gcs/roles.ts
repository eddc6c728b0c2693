// `endpoint role …` and `collection role …`: list, create, show, delete of GCS role assignments.
import { Argument, type Command, Option } from 'commander';
import { GCSRoleDocument, type GCSRole, type GCSRoleName } from '@gatehouse/sdk';
import { printDocument, printList, printResult, requireUuid, resolvePrincipal, withGcs } from './common.ts';

// As globus-connect-server offers them: the endpoint owner moves with `endpoint set-owner` instead.
const ENDPOINT_ROLES = ['administrator', 'activity_manager', 'activity_monitor'] as const;
const COLLECTION_ROLES = ['administrator', 'access_manager', 'activity_manager', 'activity_monitor'] as const;

const principalType = () =>
  new Option('--principal-type <type>', 'what PRINCIPAL names (a URN needs neither)').choices(['identity', 'group']).default('identity');

/** Adds `role list|create|show|delete` under `parent`; collection roles take the collection id first. */
export function roleCommands(parent: Command, scope: 'endpoint' | 'collection'): Command {
  const onCollection = scope === 'collection';
  const role = parent.command('role').description(`roles on ${onCollection ? 'a collection' : 'the endpoint'}`);
  const columns = onCollection ? ['id', 'role', 'principal', 'collection'] : ['id', 'role', 'principal'];

  const list = role
    .command('list')
    .description(`your roles on ${onCollection ? 'a collection' : 'the endpoint'} (--all-roles: everyone's, for administrators)`);
  if (onCollection) list.argument('<collection_id>');
  list.option('--all-roles', 'every role assignment, not only your own').action(async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const opts = cmd.opts();
    const collectionId = onCollection ? requireUuid('COLLECTION_ID', args[0] as string) : undefined;
    await withGcs(cmd, async ({ client }) => {
      const roles = await client.getRoleList({ collectionId, include: opts.allRoles ? 'all_roles' : undefined }).toArray();
      printList(cmd, roles, columns);
    });
  });

  const create = role.command('create').description(`grant a role on ${onCollection ? 'a collection' : 'the endpoint'}`);
  if (onCollection) create.argument('<collection_id>');
  create
    .addArgument(new Argument('<role>', 'role to grant').choices(onCollection ? COLLECTION_ROLES : ENDPOINT_ROLES))
    .argument('<principal>', 'identity id, username, group id or principal URN')
    .addOption(principalType())
    .action(async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      const [collectionId, name, principal] = (onCollection ? args.slice(0, 3) : [undefined, ...args.slice(0, 2)]) as [string | undefined, GCSRoleName, string];
      await withGcs(cmd, async ({ client, session }) => {
        const doc = new GCSRoleDocument({
          role: name,
          principal: await resolvePrincipal(session, principal, cmd.opts().principalType),
          collection: collectionId && requireUuid('COLLECTION_ID', collectionId),
        });
        const created = (await client.createRole(doc)).data;
        printDocument(cmd, created, `Role ${created.id} created`);
      });
    });

  role
    .command('show')
    .description('one role assignment')
    .argument('<role_id>')
    .action(async (roleId: string, _opts, cmd: Command) => {
      await withGcs(cmd, async ({ client }) => printDocument(cmd, (await client.getRole(requireUuid('ROLE_ID', roleId))).data as GCSRole));
    });

  role
    .command('delete')
    .description('remove a role assignment')
    .argument('<role_id>')
    .action(async (roleId: string, _opts, cmd: Command) => {
      await withGcs(cmd, async ({ client }) => printResult(cmd, await client.deleteRole(requireUuid('ROLE_ID', roleId))));
    });
  return role;
}
