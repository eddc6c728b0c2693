// `sharing-policy create|list|show|delete`: which paths of a mapped collection which users may share.
import { Command } from 'commander';
import { SharingPolicyDocument, pathRestrictions, type GCSSharingPolicy, type PathRestrictionsDocument } from '@gatehouse/sdk';
import { CliError, print, table } from '../../output.ts';
import { collect, jsonValue, printDocument, printResult, requireUuid, withGcs } from './common.ts';

const pathsText = (p: PathRestrictionsDocument) =>
  (['read_write', 'read', 'none'] as const).flatMap((k) => (p[k]?.length ? [`${k}=${p[k]!.join(',')}`] : [])).join(' ');

export function sharingPolicyCommand(): Command {
  const policy = new Command('sharing-policy').description('per-user limits on what guest collections may share from a mapped collection');

  policy
    .command('create')
    .description('add a sharing policy to a mapped collection (paths relative to its root)')
    .argument('<collection_id>', 'the mapped collection')
    .option('--users <names>', 'local accounts it applies to (repeatable; default everyone)', collect)
    .option('--read-write <paths>', 'paths that may be shared read-write (repeatable)', collect)
    .option('--read <paths>', 'paths that may be shared read-only (repeatable)', collect)
    .option('--none <paths>', 'paths that may not be shared (repeatable)', collect)
    .option('--sharing-restrict-paths <json>', 'a whole path_restrictions document, inline or a file', jsonValue('--sharing-restrict-paths'))
    .action(async (id: string, opts, cmd: Command) => {
      const given = opts.sharingRestrictPaths as PathRestrictionsDocument | undefined;
      if (!given && !opts.readWrite && !opts.read && !opts.none)
        throw new CliError('Give paths with --read-write, --read, --none or --sharing-restrict-paths', 2);
      const doc = new SharingPolicyDocument({
        collectionId: requireUuid('COLLECTION_ID', id),
        users: opts.users,
        sharingRestrictPaths: given ?? pathRestrictions({ readWrite: opts.readWrite, read: opts.read, none: opts.none }),
      });
      await withGcs(cmd, async ({ client }) => {
        const created = (await client.createSharingPolicy(doc)).data;
        printDocument(cmd, created, `Sharing policy ${created.id} created`);
      });
    });

  policy
    .command('list')
    .description('sharing policies of a mapped collection')
    .argument('<collection_id>', 'the mapped collection')
    .option('--username <name>', 'only those that apply to this local account')
    .action(async (id: string, opts, cmd: Command) => {
      await withGcs(cmd, async ({ client }) => {
        const policies = await client.getSharingPolicyList(requireUuid('COLLECTION_ID', id), { username: opts.username }).toArray();
        print(cmd, policies, (rows: GCSSharingPolicy[]) =>
          table(rows.map((p) => ({ id: p.id, users: p.users?.join(',') ?? '(everyone)', paths: pathsText(p.sharing_restrict_paths) }))),
        );
      });
    });

  policy
    .command('show')
    .description('one sharing policy')
    .argument('<sharing_policy_id>')
    .action(async (id: string, _opts, cmd: Command) => {
      await withGcs(cmd, async ({ client }) => printDocument(cmd, (await client.getSharingPolicy(requireUuid('SHARING_POLICY_ID', id))).data));
    });

  policy
    .command('delete')
    .description('delete a sharing policy')
    .argument('<sharing_policy_id>')
    .action(async (id: string, _opts, cmd: Command) => {
      await withGcs(cmd, async ({ client }) => printResult(cmd, await client.deleteSharingPolicy(requireUuid('SHARING_POLICY_ID', id))));
    });
  return policy;
}
