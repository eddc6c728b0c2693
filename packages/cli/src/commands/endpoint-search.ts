// `gatehouse endpoint search [TEXT]`: the Transfer endpoint search, with globus-cli's options and columns.
import { type Command, Option } from 'commander';
import { ENDPOINT_SEARCH_ENTITY_TYPES, ENDPOINT_SEARCH_SCOPES, type EndpointSearchRecord, type EndpointSearchScope } from '@gatehouse/sdk';
import { CliError, print, table } from '../output.ts';
import { withSession } from '../session.ts';
import { identityIdOf } from './gcs/common.ts';

/** The host a record answers at: its tlsftp server's for collections, the manager's for an endpoint (globus-cli's Domain column). */
function domainOf(r: EndpointSearchRecord): string {
  if (r.tlsftp_server) return r.tlsftp_server.slice('tlsftp://'.length).split(':')[0];
  if (r.gcs_manager_url) return r.gcs_manager_url.replace(/^https:\/\//, '');
  return '';
}

export function endpointSearchCommand(endpoint: Command): Command {
  return endpoint
    .command('search')
    .description('find the endpoint and collections you can see (full text over names, descriptions, keywords, owners, domains)')
    .argument('[text]', 'search text (needed with the default scope, all)')
    .addOption(new Option('--filter-scope <scope>', 'the set to search').choices(ENDPOINT_SEARCH_SCOPES).default('all'))
    .option('--filter-owner-id <identity>', 'only those owned by this identity (id or username)')
    .addOption(new Option('--filter-entity-type <type>', 'only records of this type').choices(ENDPOINT_SEARCH_ENTITY_TYPES))
    .option('--filter-host-endpoint <id>', 'only collections hosted by this endpoint or mapped collection')
    .addOption(new Option('--limit <n>', 'show at most this many (1–1000)').argParser(Number).default(25))
    .action(async (text: string | undefined, opts, cmd: Command) => {
      if (opts.filterScope === 'all' && !text) {
        throw new CliError('Searching all endpoints (--filter-scope all, the default) needs a search text; other scopes do not.', 2);
      }
      if (!(opts.limit >= 1 && opts.limit <= 1000)) throw new CliError('--limit must be between 1 and 1000', 2);
      await withSession(cmd, async (session) => {
        const ownerId = opts.filterOwnerId === undefined ? undefined : await identityIdOf(session, opts.filterOwnerId);
        const pager = session.transferClient().paginateEndpointSearch(text, {
          filterScope: opts.filterScope as EndpointSearchScope,
          filterOwnerId: ownerId,
          filterEntityType: opts.filterEntityType,
          filterHostEndpoint: opts.filterHostEndpoint,
        });
        const found = await pager.toArray(opts.limit + 1);
        const shown = found.slice(0, opts.limit);
        print(cmd, { DATA: shown }, () =>
          table(
            shown.map((r) => ({ ID: r.id, Owner: r.owner_string, 'Display Name': r.display_name || r.canonical_name, Domain: domainOf(r) })),
            ['ID', 'Owner', 'Display Name', 'Domain'],
          ),
        );
        if (found.length > opts.limit) process.stderr.write('More results were available than --limit shows.\n');
      });
    });
}
