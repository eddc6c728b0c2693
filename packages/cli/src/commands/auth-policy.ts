// `gatehouse auth policy …`: Auth policies (what a mapped collection's guest_auth_policy_id names), administered on the store directly.
import { type Command } from 'commander';
import {
  ApiError,
  createPolicy,
  deletePolicy,
  findByUsername,
  findPolicy,
  listPolicies,
  policyDocument,
  qualifyUsername,
  setPolicyOwner,
  updatePolicy,
  type PolicyInput,
} from '@gatehouse/server';
import { CliError, print, table } from '../output.ts';
import { storeOptions } from './serve.ts';
import { withStore } from './admin.ts';

/** `--include ''` (as with globus-connect-server) or no value lifts a domain constraint. */
function domainList(values: string[] | undefined): string[] | null | undefined {
  if (values === undefined) return undefined;
  const domains = values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  return domains.length ? domains : null;
}

function seconds(value: string | undefined): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === '' || value === 'none') return null;
  if (!/^\d+$/.test(value)) throw new CliError(`--timeout must be a number of seconds or "none", got ${value}`, 2);
  return Number(value);
}

function inputFrom(opts: Record<string, any>): PolicyInput {
  const input: PolicyInput = {
    display_name: opts.displayName,
    description: opts.description,
    project_id: opts.projectId,
    high_assurance: opts.highAssurance,
    required_mfa: opts.requiredMfa,
    authentication_assurance_timeout: seconds(opts.timeout),
    domain_constraints_include: domainList(opts.include),
    domain_constraints_exclude: domainList(opts.exclude),
  };
  for (const key of Object.keys(input) as Array<keyof PolicyInput>) if (input[key] === undefined) delete input[key];
  return input;
}

/** The store's refusals (bad domain, high_assurance changed) in the user's words. */
async function administer<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ApiError) throw new CliError(error.message);
    throw error;
  }
}

function withPolicyOptions(command: Command): Command {
  return storeOptions(command)
    .option('--display-name <name>', 'a name for people')
    .option('--description <text>', 'what the policy is for')
    .option('--project-id <uuid>', 'Auth project the policy is filed under (Gatehouse has no projects; stored as given)')
    .option('--include <domain...>', 'identity domains that satisfy the policy (wildcards such as *.edu); "" lifts the constraint')
    .option('--exclude <domain...>', 'identity domains that never satisfy it; "" lifts the constraint')
    .option('--timeout <seconds>', 'high assurance: authentication must be this recent ("none": no limit)')
    .option('--required-mfa', 'high assurance: require multi-factor authentication (which Gatehouse logins never provide)')
    .option('--no-required-mfa', 'do not require multi-factor authentication')
    .option('--owner <username>', 'identity that may also manage the policy through /v2/api/policies (default: server administrators only)');
}

async function ownerId(db: Parameters<typeof findByUsername>[0], username: string | undefined, domain: string): Promise<string | null | undefined> {
  if (username === undefined) return undefined;
  const identity = await findByUsername(db, qualifyUsername(username, domain));
  if (!identity) throw new CliError(`No identity ${username}`);
  return identity.id;
}

export function authPolicyCommands(auth: Command): void {
  const policy = auth.command('policy').description("Auth policies for guest collections (a mapped collection's guest_auth_policy_id)");

  withPolicyOptions(policy.command('create'))
    .description('create a policy; --display-name and --description are required')
    .option('--high-assurance', 'a high-assurance policy (fixed once created): enforces --timeout and --required-mfa')
    .action(async (opts, cmd: Command) => {
      if (opts.displayName === undefined || opts.description === undefined) throw new CliError('--display-name and --description are required', 2);
      const created = await withStore(opts, (store, domain) =>
        store.tx(async (db) => administer(async () => createPolicy(db, inputFrom(opts), (await ownerId(db, opts.owner, domain)) ?? null))),
      );
      print(cmd, created);
    });

  storeOptions(policy.command('list'))
    .description('list policies')
    .action(async (opts, cmd: Command) => {
      const rows = await withStore(opts, (store) => listPolicies(store.db));
      print(cmd, rows.map(policyDocument), (docs) =>
        table(docs, ['id', 'display_name', 'high_assurance', 'domain_constraints_include', 'domain_constraints_exclude']),
      );
    });

  storeOptions(policy.command('show'))
    .description('show one policy')
    .argument('<policy_id>')
    .action(async (id: string, opts, cmd: Command) => {
      const row = await withStore(opts, (store) => findPolicy(store.db, id));
      if (!row) throw new CliError(`No policy ${id}`);
      print(cmd, policyDocument(row));
    });

  withPolicyOptions(policy.command('update'))
    .description('change the given fields (high_assurance is fixed at creation)')
    .argument('<policy_id>')
    .action(async (id: string, opts, cmd: Command) => {
      const updated = await withStore(opts, (store, domain) =>
        store.tx(async (db) => {
          const row = await findPolicy(db, id);
          if (!row) throw new CliError(`No policy ${id}`);
          const owner = await ownerId(db, opts.owner, domain);
          if (owner !== undefined) await setPolicyOwner(db, row.id, owner);
          return administer(() => updatePolicy(db, row, inputFrom(opts)));
        }),
      );
      print(cmd, updated);
    });

  storeOptions(policy.command('delete'))
    .description('delete a policy; mapped collections naming it stop filtering guest access by it')
    .argument('<policy_id>')
    .action(async (id: string, opts, cmd: Command) => {
      const deleted = await withStore(opts, (store) => store.tx((db) => deletePolicy(db, id)));
      if (!deleted) throw new CliError(`No policy ${id}`);
      print(cmd, { policy_id: deleted.id, deleted: true });
    });
}
