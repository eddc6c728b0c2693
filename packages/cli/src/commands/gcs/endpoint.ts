// `endpoint show|update|set-owner|set-owner-string|reset-owner-string|set-subscription-id|role …` for the endpoint this server hosts.
import { type Command, Option } from 'commander';
import { EndpointDocument } from '@gatehouse/sdk';
import { CliError } from '../../output.ts';
import { collect, flagPair, identityIdOf, integer, pairValue, printDocument, printResult, requireChanges, withGcs } from './common.ts';
import { roleCommands } from './roles.ts';

const SUBSCRIPTION_RE = /^(DEFAULT|null|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/** Adds the Manager API subcommands to the existing `endpoint` group (which also holds the local `setup`). */
export function gcsEndpointCommands(endpoint: Command): Command {
  endpoint
    .command('show')
    .description('the endpoint document')
    .action(async (_opts, cmd: Command) => {
      await withGcs(cmd, async ({ client }) => printDocument(cmd, (await client.getEndpoint()).data));
    });

  const update = endpoint
    .command('update')
    .description('change endpoint settings (unnamed settings keep their values)')
    .option('--display-name <name>', 'display name')
    .option('--organization <text>', 'organization')
    .option('--department <text>', 'department')
    .option('--description <text>', 'description')
    .option('--contact-email <email>', 'contact email')
    .option('--contact-info <text>', 'contact information')
    .option('--info-link <url>', 'link to more information')
    .option('--keywords <words>', 'keywords (comma-separated or repeated)', collect)
    .addOption(new Option('--network-use <level>', 'transfer concurrency profile').choices(['normal', 'minimal', 'aggressive', 'custom']))
    .option('--max-concurrency <n>', 'custom network use: maximum concurrency', integer('--max-concurrency'))
    .option('--preferred-concurrency <n>', 'custom network use: preferred concurrency', integer('--preferred-concurrency'))
    .option('--max-parallelism <n>', 'custom network use: maximum parallelism', integer('--max-parallelism'))
    .option('--preferred-parallelism <n>', 'custom network use: preferred parallelism', integer('--preferred-parallelism'))
    .option('--gridftp-control-channel-port <port>', 'GridFTP control channel port', integer('--gridftp-control-channel-port'));
  flagPair(update, '--public', '--private', 'list the endpoint publicly');
  flagPair(update, '--allow-udt', '--disallow-udt', 'allow UDT transfers');
  update.action(async (opts, cmd: Command) => {
    const fields = {
      displayName: opts.displayName,
      organization: opts.organization,
      department: opts.department,
      description: opts.description,
      contactEmail: opts.contactEmail,
      contactInfo: opts.contactInfo,
      infoLink: opts.infoLink,
      keywords: opts.keywords,
      public: pairValue(opts, '--public', '--private'),
      allowUdt: pairValue(opts, '--allow-udt', '--disallow-udt'),
      networkUse: opts.networkUse,
      maxConcurrency: opts.maxConcurrency,
      preferredConcurrency: opts.preferredConcurrency,
      maxParallelism: opts.maxParallelism,
      preferredParallelism: opts.preferredParallelism,
      gridftpControlChannelPort: opts.gridftpControlChannelPort,
    };
    requireChanges(fields, 'at least one setting (see --help)');
    await withGcs(cmd, async ({ client }) => {
      const updated = await client.updateEndpoint(new EndpointDocument(fields), { include: 'endpoint' });
      printDocument(cmd, updated.data, updated.message);
    });
  });

  endpoint
    .command('set-owner')
    .description('make another identity the endpoint owner')
    .argument('<identity>', 'identity id or username')
    .action(async (identity: string, _opts, cmd: Command) => {
      await withGcs(cmd, async ({ client, session }) => printResult(cmd, await client.setEndpointOwner(await identityIdOf(session, identity))));
    });

  endpoint
    .command('set-owner-string')
    .description('advertise one of your identities as the endpoint owner')
    .argument('<identity>', 'one of your identities (id or username)')
    .action(async (identity: string, _opts, cmd: Command) => {
      await withGcs(cmd, async ({ client, session }) => printResult(cmd, await client.setEndpointOwnerString(await identityIdOf(session, identity))));
    });

  endpoint
    .command('reset-owner-string')
    .description('advertise the endpoint client as the owner again')
    .action(async (_opts, cmd: Command) => {
      await withGcs(cmd, async ({ client }) => printResult(cmd, await client.resetEndpointOwnerString()));
    });

  endpoint
    .command('set-subscription-id')
    .description('put the endpoint under a subscription you manage (DEFAULT: your only one; null: remove it)')
    .argument('<subscription_id>', 'a subscription id, DEFAULT or null')
    .action(async (value: string, _opts, cmd: Command) => {
      if (!SUBSCRIPTION_RE.test(value)) throw new CliError(`SUBSCRIPTION_ID must be a UUID, DEFAULT or null, got ${value}`, 2);
      const subscriptionId = /^null$/i.test(value) ? null : /^default$/i.test(value) ? 'DEFAULT' : value.toLowerCase();
      await withGcs(cmd, async ({ client }) => printResult(cmd, await client.setEndpointSubscriptionId(subscriptionId)));
    });

  roleCommands(endpoint, 'endpoint');
  return endpoint;
}
