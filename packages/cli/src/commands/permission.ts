// `gatehouse permission create|list|show|update|delete`: access rules (ACLs) of a guest collection through Transfer, as globus-cli's `endpoint permission`.
import { warnIfMissing } from './path-warnings.ts';
import { Command, Option } from 'commander';
import { accessRule, accessRuleUpdate, type AccessPermissions, type AccessPrincipalType, type AccessRuleDocument } from '@gatehouse/sdk';
import { CliError, print, table, toText } from '../output.ts';
import { withSession, type Session } from '../session.ts';
import { identityIdOf } from './gcs/common.ts';
import { parseTarget } from './data.ts';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function collectionArg(value: string): string {
  return parseTarget(value, false).collectionId;
}

/** `--expiration-date` as given, or `none` to remove it (update only). */
function expiration(value: string | undefined, allowNone: boolean): string | null | undefined {
  if (value === undefined) return undefined;
  if (allowNone && value.toLowerCase() === 'none') return null;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new CliError(`--expiration-date must be an ISO-8601 date/time${allowNone ? ' or "none"' : ''}, got ${value}`, 2);
  return value;
}

/** globus-cli renders the principal, falling back to the type for the principal-less kinds. */
function principalText(rule: AccessRuleDocument): string {
  return rule.principal ? `${rule.principal_type}:${rule.principal}` : rule.principal_type;
}

function ruleRows(rules: AccessRuleDocument[]) {
  return rules.map((r) => ({
    'Rule ID': r.id ?? `(${r.role_type ?? 'role'})`,
    Permissions: r.permissions,
    'Shared With': principalText(r),
    Path: r.path,
    Expires: r.expiration_date ?? '',
  }));
}

async function principalOf(session: Session, opts: Record<string, unknown>): Promise<{ type: AccessPrincipalType; principal?: string }> {
  const chosen = ['identity', 'group', 'allAuthenticated', 'anonymous'].filter((k) => opts[k] !== undefined && opts[k] !== false);
  if (chosen.length !== 1) throw new CliError('Give exactly one of --identity, --group, --all-authenticated, --anonymous', 2);
  if (opts.identity !== undefined) return { type: 'identity', principal: await identityIdOf(session, String(opts.identity)) };
  if (opts.group !== undefined) {
    const group = String(opts.group);
    if (!UUID_RE.test(group)) throw new CliError(`--group must be a group id (UUID), got ${group}`, 2);
    return { type: 'group', principal: group.toLowerCase() };
  }
  return { type: opts.anonymous ? 'anonymous' : 'all_authenticated_users' };
}

const permissionsOption = () => new Option('--permissions <perms>', 'r (read) or rw (read and write)').choices(['r', 'rw']);

function createCommand(): Command {
  return new Command('create')
    .description('grant access to a path of a guest collection')
    .argument('<collection_path>', 'GUEST_COLLECTION_ID:PATH (a directory path ends with /)')
    .option('--identity <identity>', 'an identity id or username')
    .option('--group <group_id>', 'every member of a group')
    .option('--all-authenticated', 'anyone who is logged in')
    .option('--anonymous', 'anyone, without logging in')
    .addOption(permissionsOption().makeOptionMandatory())
    .option('--notify-email <email>', 'stored with the rule (Gatehouse logs it instead of sending mail)')
    .option('--notify-message <text>', 'message for --notify-email')
    .option('--expiration-date <date>', 'ISO-8601 date/time after which the rule stops counting')
    .action(async (arg: string, opts, cmd: Command) => {
      const target = parseTarget(arg, true);
      if (opts.notifyMessage !== undefined && opts.notifyEmail === undefined) throw new CliError('--notify-message needs --notify-email', 2);
      await withSession(cmd, async (session) => {
        const who = await principalOf(session, opts);
        const rule = accessRule({
          principalType: who.type,
          principal: who.principal,
          path: target.path!.startsWith('/') ? target.path! : `/${target.path}`,
          permissions: opts.permissions as AccessPermissions,
          expirationDate: expiration(opts.expirationDate, false) ?? undefined,
          notifyEmail: opts.notifyEmail,
          notifyMessage: opts.notifyMessage,
        });
        const result = await session.transferClient().addAccessRule(target.collectionId, rule);
        print(cmd, result, (r) => `${r.message}\nRule ID: ${r.access_id}`);
        await warnIfMissing(session, target.collectionId, String(rule.path), "the rule's path");
      });
    });
}

function listCommand(): Command {
  return new Command('list')
    .description('list the access rules of a guest collection (including the implicit ones of its administrators and access managers)')
    .argument('<collection_id>', 'guest collection id')
    .action(async (id: string, _opts, cmd: Command) => {
      const collectionId = collectionArg(id);
      await withSession(cmd, async (session) => {
        const rules: AccessRuleDocument[] = [];
        for await (const rule of session.transferClient().paginateAccessList(collectionId)) rules.push(rule);
        print(cmd, { DATA_TYPE: 'access_list', endpoint: collectionId, length: rules.length, DATA: rules }, () => table(ruleRows(rules)));
      });
    });
}

function showCommand(): Command {
  return new Command('show')
    .description('show one access rule')
    .argument('<collection_id>', 'guest collection id')
    .argument('<rule_id>')
    .action(async (id: string, ruleId: string, _opts, cmd: Command) => {
      const collectionId = collectionArg(id);
      await withSession(cmd, async (session) => {
        const rule = await session.transferClient().getAccessRule(collectionId, ruleId);
        print(cmd, rule, (r: AccessRuleDocument) => {
          const { DATA_TYPE: _dt, ...fields } = r;
          return toText({ ...fields, principal: principalText(r) });
        });
      });
    });
}

function updateCommand(): Command {
  return new Command('update')
    .description('change the permissions or expiration of an access rule')
    .argument('<collection_id>', 'guest collection id')
    .argument('<rule_id>')
    .addOption(permissionsOption())
    .option('--expiration-date <date>', 'ISO-8601 date/time, or "none" to remove the expiration')
    .action(async (id: string, ruleId: string, opts, cmd: Command) => {
      const collectionId = collectionArg(id);
      const expirationDate = expiration(opts.expirationDate, true);
      if (opts.permissions === undefined && expirationDate === undefined) throw new CliError('Nothing to update: give --permissions or --expiration-date', 2);
      await withSession(cmd, async (session) => {
        const result = await session
          .transferClient()
          .updateAccessRule(collectionId, ruleId, accessRuleUpdate({ permissions: opts.permissions, expirationDate }));
        print(cmd, result, (r) => r.message);
      });
    });
}

function deleteCommand(): Command {
  return new Command('delete')
    .description('delete an access rule')
    .argument('<collection_id>', 'guest collection id')
    .argument('<rule_id>')
    .action(async (id: string, ruleId: string, _opts, cmd: Command) => {
      const collectionId = collectionArg(id);
      await withSession(cmd, async (session) => {
        const result = await session.transferClient().deleteAccessRule(collectionId, ruleId);
        print(cmd, result, (r) => r.message);
      });
    });
}

export function permissionCommand(): Command {
  return new Command('permission')
    .description('access rules of guest collections (globus-cli: endpoint permission)')
    .addCommand(createCommand())
    .addCommand(listCommand())
    .addCommand(showCommand())
    .addCommand(updateCommand())
    .addCommand(deleteCommand());
}
