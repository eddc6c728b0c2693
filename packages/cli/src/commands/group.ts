// `gatehouse group …`: the Groups API as globus-cli exposes it (list, show, create, update, delete, policies, memberships).
import { Command, Option } from 'commander';
import {
  BatchMembershipActions,
  GroupRequiredSignupFields,
  type BatchMembershipResult,
  type Group,
  type GroupPoliciesData,
  type GroupRole,
  type GroupsClient,
  type Membership,
  type MembershipActionName,
} from '@gatehouse/sdk';
import { CliError, print, table } from '../output.ts';
import { withSession, type Session } from '../session.ts';
import { resolveIdentity } from '../identities.ts';

const ROLES = ['member', 'manager', 'admin'] as const;
const SIGNUP_FIELDS = Object.values(GroupRequiredSignupFields) as string[];

/** `--identity` if given, else the caller's own primary identity. */
async function actingIdentity(session: Session, value: string | undefined): Promise<{ id: string; username: string }> {
  if (value) return resolveIdentity(session, value);
  const info = await session.userinfo();
  return { id: info.sub, username: info.preferred_username ?? info.sub };
}

const ACTION_PAST: Record<MembershipActionName, string> = {
  add: 'added to',
  invite: 'invited to',
  accept: 'accepted the invitation to',
  decline: 'declined the invitation to',
  join: 'joined',
  request_join: 'requested to join',
  approve: 'approved in',
  reject: 'rejected from',
  leave: 'left',
  remove: 'removed from',
  change_role: 'changed role in',
};

/** One batch action; a per-item error (HTTP 200 with `errors`) is still a failure for the person who asked. */
async function act(
  cmd: Command,
  session: Session,
  groupId: string,
  action: MembershipActionName,
  who: { id: string; username: string },
  batch: BatchMembershipActions,
) {
  const result: BatchMembershipResult = await session.groupsClient().batchMembershipAction(groupId, batch);
  const errors = result.errors?.[action] ?? [];
  if (errors.length) {
    const detail = errors.map((e) => `${e.detail ?? e.code} (${e.code})`).join('; ');
    throw new CliError(`Could not ${action.replace('_', ' ')} ${who.username}: ${detail}`);
  }
  print(cmd, result, () => `${who.username} (${who.id}) ${ACTION_PAST[action]} group ${groupId}`);
}

function groupRows(groups: Group[]) {
  return groups.map((g) => ({
    id: g.id,
    name: g.name,
    type: g.group_type,
    roles: [...new Set((g.my_memberships ?? []).map((m) => m.role))].sort().join(','),
  }));
}

function groupText(g: Group): string {
  const p = g.policies;
  const fields: Record<string, unknown> = {
    id: g.id,
    name: g.name,
    description: g.description,
    type: g.group_type,
    parent_id: g.parent_id,
    ...(p
      ? {
          visibility: p.group_visibility,
          members_visibility: p.group_members_visibility,
          join_requests: p.join_requests,
          high_assurance: p.is_high_assurance,
          authentication_timeout: p.authentication_assurance_timeout,
          signup_fields: p.signup_fields.join(','),
        }
      : {}),
    roles: [...new Set((g.my_memberships ?? []).map((m) => m.role))].sort().join(','),
  };
  const width = Math.max(...Object.keys(fields).map((k) => k.length));
  return Object.entries(fields)
    .map(([k, v]) => `${(k + ':').padEnd(width + 2)}${v === null || v === undefined ? '' : String(v)}`)
    .join('\n');
}

function groups(cmd: Command, fn: (client: GroupsClient, session: Session) => Promise<void>): Promise<void> {
  return withSession(cmd, (session) => fn(session.groupsClient(), session));
}

function memberCommand(
  name: Exclude<MembershipActionName, 'join' | 'leave' | 'accept' | 'decline' | 'request_join' | 'change_role'>,
  description: string,
): Command {
  const command = new Command(name).description(description).argument('<group_id>').argument('<user>', 'identity id or username');
  if (name === 'add' || name === 'invite') command.addOption(new Option('--role <role>', 'role in the group').choices(ROLES).default('member'));
  return command.action(async (groupId: string, user: string, opts, cmd: Command) => {
    await withSession(cmd, async (session) => {
      const who = await resolveIdentity(session, user);
      const batch = new BatchMembershipActions();
      const role = opts.role as GroupRole | undefined;
      if (name === 'add') batch.addMembers(who.id, { role });
      else if (name === 'invite') batch.inviteMembers(who.id, { role });
      else if (name === 'approve') batch.approvePending(who.id);
      else if (name === 'reject') batch.rejectJoinRequests(who.id);
      else batch.removeMembers(who.id);
      await act(cmd, session, groupId, name, who, batch);
    });
  });
}

function selfCommand(name: 'join' | 'leave' | 'accept' | 'decline', description: string): Command {
  const command = new Command(name)
    .description(description)
    .argument('<group_id>')
    .option('--identity <identity>', 'which of your linked identities (id or username); default your primary identity');
  if (name === 'join') command.option('--request', "ask the group's managers to approve, instead of joining directly");
  return command.action(async (groupId: string, opts, cmd: Command) => {
    await withSession(cmd, async (session) => {
      const who = await actingIdentity(session, opts.identity);
      const batch = new BatchMembershipActions();
      let action: MembershipActionName = name;
      if (name === 'join' && opts.request) {
        action = 'request_join';
        batch.requestJoin(who.id);
      } else if (name === 'join') batch.join(who.id);
      else if (name === 'leave') batch.leave(who.id);
      else if (name === 'accept') batch.acceptInvites(who.id);
      else batch.declineInvites(who.id);
      await act(cmd, session, groupId, action, who, batch);
    });
  });
}

const parseTimeout = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`--authentication-timeout must be a non-negative integer number of seconds, got ${value}`, 2);
  return n;
};

const parseSignupFields = (value: string): string[] => {
  const fields = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = fields.filter((f) => !SIGNUP_FIELDS.includes(f));
  if (unknown.length) throw new CliError(`Unknown signup field(s) ${unknown.join(', ')}; choose from ${SIGNUP_FIELDS.join(', ')}`, 2);
  return fields;
};

export function groupCommand(): Command {
  const group = new Command('group').description('groups on the server (Globus Groups API)');

  group
    .command('list')
    .description('groups you are an active member of')
    .action(async (_opts, cmd: Command) => {
      await groups(cmd, async (client) => {
        const list = await client.getMyGroups();
        print(cmd, list, (l: Group[]) => table(groupRows(l), ['id', 'name', 'type', 'roles']));
      });
    });

  group
    .command('show')
    .description('one group')
    .argument('<group_id>')
    .action(async (groupId: string, _opts, cmd: Command) => {
      await groups(cmd, async (client) => {
        const doc = await client.getGroup(groupId, { include: ['my_memberships', 'policies'] });
        print(cmd, doc, groupText);
      });
    });

  group
    .command('create')
    .description('create a group (you become its admin)')
    .argument('<name>')
    .option('--description <text>', 'description')
    .option('--parent-id <group_id>', 'make it a subgroup of this group')
    .action(async (name: string, opts, cmd: Command) => {
      await groups(cmd, async (client) => {
        const doc = await client.createGroup({ name, description: opts.description ?? null, parent_id: opts.parentId ?? null });
        print(cmd, doc, (g: Group) => `Group ${g.id} created: ${g.name}`);
      });
    });

  group
    .command('update')
    .description("change a group's name, description or terms")
    .argument('<group_id>')
    .option('--name <name>', 'new name')
    .option('--description <text>', 'new description')
    .option('--terms-and-conditions <text>', 'new terms and conditions')
    .option('--subscription-admin-verified-id <id>', 'subscription that verified this group')
    .action(async (groupId: string, opts, cmd: Command) => {
      const changes: Record<string, string> = {};
      if (opts.name !== undefined) changes.name = opts.name;
      if (opts.description !== undefined) changes.description = opts.description;
      if (opts.termsAndConditions !== undefined) changes.terms_and_conditions = opts.termsAndConditions;
      if (opts.subscriptionAdminVerifiedId !== undefined) changes.subscription_admin_verified_id = opts.subscriptionAdminVerifiedId;
      if (!Object.keys(changes).length)
        throw new CliError('Nothing to update: give --name, --description, --terms-and-conditions or --subscription-admin-verified-id', 2);
      await groups(cmd, async (client) => {
        // GET then PUT, as globus-cli does: PUT replaces the editable fields.
        const current = await client.getGroup(groupId);
        const doc = await client.updateGroup(groupId, {
          name: current.name,
          description: current.description,
          terms_and_conditions: current.terms_and_conditions,
          ...changes,
        });
        print(cmd, doc, (g: Group) => `Group ${g.id} updated`);
      });
    });

  group
    .command('delete')
    .description('delete a group')
    .argument('<group_id>')
    .action(async (groupId: string, _opts, cmd: Command) => {
      await groups(cmd, async (client) => {
        const doc = await client.deleteGroup(groupId);
        print(cmd, doc, (g: Group) => `Group ${g.id} deleted`);
      });
    });

  group
    .command('set-policies')
    .description("change a group's policies (unnamed policies keep their values)")
    .argument('<group_id>')
    .option('--high-assurance', 'require a recent high-assurance login')
    .option('--no-high-assurance', 'do not require high assurance')
    .option('--authentication-timeout <seconds>', 'high-assurance session timeout', parseTimeout)
    .addOption(new Option('--visibility <who>', 'who can see the group').choices(['authenticated', 'private']))
    .addOption(new Option('--members-visibility <who>', 'who can see the members').choices(['members', 'managers']))
    .option('--join-requests', 'allow requests to join')
    .option('--no-join-requests', 'disallow requests to join')
    .option('--signup-fields <fields>', `comma-separated fields asked when joining (${SIGNUP_FIELDS.join(', ')}); "" for none`, parseSignupFields)
    .action(async (groupId: string, opts, cmd: Command) => {
      const changes: Partial<GroupPoliciesData> = {};
      if (opts.highAssurance !== undefined) changes.is_high_assurance = opts.highAssurance;
      if (opts.authenticationTimeout !== undefined) changes.authentication_assurance_timeout = opts.authenticationTimeout;
      if (opts.visibility !== undefined) changes.group_visibility = opts.visibility;
      if (opts.membersVisibility !== undefined) changes.group_members_visibility = opts.membersVisibility;
      if (opts.joinRequests !== undefined) changes.join_requests = opts.joinRequests;
      if (opts.signupFields !== undefined) changes.signup_fields = opts.signupFields;
      if (!Object.keys(changes).length) throw new CliError('No policy given to change', 2);
      await groups(cmd, async (client) => {
        const current = await client.getGroupPolicies(groupId);
        const doc = await client.setGroupPolicies(groupId, { ...current, ...changes } as Partial<GroupPoliciesData>);
        print(cmd, doc);
      });
    });

  group.addCommand(selfCommand('join', 'join a group (or with --request, ask to)'));
  group.addCommand(selfCommand('leave', 'leave a group'));

  const invite = group.command('invite').description('invitations you received');
  invite.addCommand(selfCommand('accept', 'accept an invitation to a group'));
  invite.addCommand(selfCommand('decline', 'decline an invitation to a group'));

  const member = group.command('member').description("a group's members");
  member
    .command('list')
    .description('members of a group')
    .argument('<group_id>')
    .action(async (groupId: string, _opts, cmd: Command) => {
      await groups(cmd, async (client) => {
        const doc = await client.getGroup(groupId, { include: 'memberships' });
        print(cmd, doc, (g: Group) =>
          table(
            (g.memberships ?? []).map((m: Membership) => ({ username: m.username, identity_id: m.identity_id, role: m.role, status: m.status })),
            ['username', 'identity_id', 'role', 'status'],
          ),
        );
      });
    });
  member.addCommand(memberCommand('add', 'add someone to a group directly'));
  member.addCommand(memberCommand('invite', 'invite someone to a group'));
  member.addCommand(memberCommand('approve', 'approve a pending request to join'));
  member.addCommand(memberCommand('reject', 'reject a pending request to join'));
  member.addCommand(memberCommand('remove', 'remove a member'));

  return group;
}
