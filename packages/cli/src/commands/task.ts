// `gatehouse task list|show|wait|cancel|update|event-list|pause-info|generate-submission-id`: the caller's Transfer tasks, globus-cli style.
import { Command, Option } from 'commander';
import type { PauseInfo, TaskDocument, TaskEvent, TransferClient } from '@gatehouse/sdk';
import { CliError, formatOf, print, table, toText } from '../output.ts';
import { withSession } from '../session.ts';
import { exitCodeOf, waitForTask } from './task-wait.ts';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function taskId(value: string): string {
  if (!UUID_RE.test(value)) throw new CliError(`Expected a task id (UUID), got ${value}`, 2);
  return value.toLowerCase();
}

const collect = (value: string, previous: string[] = []) => [...previous, value];
const positive = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`${name} must be a positive number, got ${value}`, 2);
  return n;
};

function withTransfer<T>(cmd: Command, fn: (transfer: TransferClient) => Promise<T>): Promise<T> {
  return withSession(cmd, (session) => fn(session.transferClient()));
}

/** The rows `task list` shows. */
function listRow(t: TaskDocument) {
  return {
    'Task ID': t.task_id,
    Status: t.status,
    Type: t.type,
    'Source Display Name': t.source_endpoint_display_name ?? '',
    'Dest Display Name': t.destination_endpoint_display_name ?? '',
    Label: t.label ?? '',
  };
}

/** `task show` in text: the fields people read, in globus-cli's order. */
export function taskText(t: TaskDocument): string {
  const done = t.completion_time !== null && t.completion_time !== undefined;
  const fields: Record<string, unknown> = {
    Label: t.label,
    'Task ID': t.task_id,
    'Is Paused': t.is_paused,
    Type: t.type,
    Directories: t.directories,
    Files: t.files,
    Status: t.status,
    'Request Time': t.request_time,
    ...(done ? { 'Completion Time': t.completion_time } : { Deadline: t.deadline, Details: t.nice_status }),
    'Source Endpoint': t.source_endpoint_display_name,
    'Source Endpoint ID': t.source_endpoint_id,
    ...(t.type === 'TRANSFER'
      ? {
          'Destination Endpoint': t.destination_endpoint_display_name,
          'Destination Endpoint ID': t.destination_endpoint_id,
          'Bytes Transferred': t.bytes_transferred,
          'Bytes Per Second': t.effective_bytes_per_second,
          'Files Transferred': t.files_transferred,
          'Files Skipped': t.files_skipped,
        }
      : {}),
    Faults: t.faults,
    'Total Subtasks': t.subtasks_total,
    'Subtasks Succeeded': t.subtasks_succeeded,
    'Subtasks Pending': t.subtasks_pending,
    'Subtasks Retrying': t.subtasks_retrying,
    'Subtasks Failed': t.subtasks_failed,
    'Subtasks Canceled': t.subtasks_canceled,
    'Subtasks Expired': t.subtasks_expired,
    'Subtasks with Skipped Errors': t.subtasks_skipped_errors,
    ...(t.fatal_error ? { 'Fatal Error': `${t.fatal_error.code}: ${t.fatal_error.description}` } : {}),
  };
  return toText(fields);
}

/** Waits and exits as `globus task wait`: 0 only for SUCCEEDED, 1 for FAILED or INACTIVE, the timeout code when time ran out. */
export async function waitAndExit(
  cmd: Command,
  transfer: TransferClient,
  id: string,
  opts: { timeout?: number; pollingInterval: number; timeoutExitCode: number; progress: boolean },
): Promise<void> {
  const { task, timedOut } = await waitForTask(transfer, id, opts);
  if (timedOut) {
    process.stderr.write(`Task has yet to complete after ${opts.timeout} seconds\n`);
    if (formatOf(cmd) === 'json') print(cmd, task);
    process.exitCode = opts.timeoutExitCode;
    return;
  }
  print(cmd, task, taskText);
  process.exitCode = exitCodeOf(task);
}

function waitOptions(command: Command): Command {
  return command
    .addOption(new Option('--timeout <seconds>', 'stop waiting after this many seconds (the task goes on)').argParser(positive('--timeout')))
    .addOption(new Option('--polling-interval <seconds>', 'seconds between status checks').argParser(positive('--polling-interval')).default(1))
    .addOption(new Option('--timeout-exit-code <code>', 'exit status when --timeout is reached').argParser(Number).default(1));
}

export function taskCommand(): Command {
  const task = new Command('task').description('your Transfer tasks: list, show, wait for, cancel, update');

  task
    .command('list')
    .description('your recent tasks, newest first')
    .addOption(new Option('--limit <n>', 'show at most this many').argParser(Number).default(10))
    .option('--filter-task-id <id>', 'only this task (repeatable)', collect)
    .addOption(
      new Option('--filter-status <status>', 'only tasks in this status (repeatable)')
        .choices(['ACTIVE', 'INACTIVE', 'SUCCEEDED', 'FAILED'])
        .argParser(collect),
    )
    .addOption(new Option('--filter-type <type>', 'only tasks of this type (repeatable)').choices(['TRANSFER', 'DELETE']).argParser(collect))
    .option('--filter-label <label>', 'only tasks with exactly this label')
    .action(async (opts, cmd: Command) => {
      const filter: Record<string, string[]> = {};
      if (opts.filterTaskId) filter.task_id = (opts.filterTaskId as string[]).map(taskId);
      if (opts.filterStatus) filter.status = opts.filterStatus;
      filter.type = opts.filterType ?? ['TRANSFER', 'DELETE'];
      if (opts.filterLabel) filter.label = [`=${opts.filterLabel as string}`];
      await withTransfer(cmd, async (transfer) => {
        const tasks = await transfer.paginateTaskList({ orderby: 'request_time DESC', filter }).toArray(opts.limit);
        print(cmd, { DATA: tasks }, () => table(tasks.map(listRow)));
      });
    });

  task
    .command('show')
    .description('one task: status, counters, errors')
    .argument('<task_id>')
    .option('-t, --successful-transfers', 'list the files it copied instead')
    .option('--skipped-errors', 'list the paths it skipped instead')
    .action(async (id: string, opts, cmd: Command) => {
      await withTransfer(cmd, async (transfer) => {
        if (opts.successfulTransfers) {
          const files = await transfer.paginateTaskSuccessfulTransfers(taskId(id)).toArray();
          print(cmd, { DATA: files }, () =>
            table(files.map((f) => ({ 'Source Path': f.source_path, 'Destination Path': f.destination_path, Size: f.size, Checksum: f.checksum }))),
          );
          return;
        }
        if (opts.skippedErrors) {
          const skipped = await transfer.paginateTaskSkippedErrors(taskId(id)).toArray();
          print(cmd, { DATA: skipped }, () =>
            table(skipped.map((s) => ({ 'Source Path': s.source_path, 'Destination Path': s.destination_path, 'Error Code': s.error_code }))),
          );
          return;
        }
        print(cmd, await transfer.getTask(taskId(id)), taskText);
      });
    });

  waitOptions(
    task
      .command('wait')
      .description('wait until a task is no longer ACTIVE; exit 0 only if it SUCCEEDED')
      .argument('<task_id>')
      .option('--progress', 'show progress on stderr (a bar in a terminal, lines otherwise)'),
  ).action(async (id: string, opts, cmd: Command) => {
    await withTransfer(cmd, (transfer) =>
      waitAndExit(cmd, transfer, taskId(id), {
        timeout: opts.timeout,
        pollingInterval: opts.pollingInterval,
        timeoutExitCode: opts.timeoutExitCode,
        progress: opts.progress === true,
      }),
    );
  });

  task
    .command('cancel')
    .description('cancel a task, or with --all every unfinished one')
    .argument('[task_id]')
    .option('--all', 'cancel all your ACTIVE and INACTIVE tasks')
    .action(async (id: string | undefined, opts, cmd: Command) => {
      if ((id === undefined) === (opts.all !== true)) throw new CliError('Give either a TASK_ID or --all', 2);
      await withTransfer(cmd, async (transfer) => {
        if (id !== undefined) {
          const result = await transfer.cancelTask(taskId(id));
          print(cmd, result, (r) => r.message);
          return;
        }
        const open = await transfer.paginateTaskList({ filter: { type: ['TRANSFER', 'DELETE'], status: ['ACTIVE', 'INACTIVE'] }, fields: 'task_id' }).toArray();
        if (open.length === 0) return print(cmd, { DATA: [] }, () => 'You have no in-progress tasks.');
        const results = [];
        for (const [i, t] of open.entries()) {
          const result = await transfer.cancelTask(t.task_id);
          results.push({ task_id: t.task_id, ...result });
          if (formatOf(cmd) === 'text') process.stdout.write(`${t.task_id} (${i + 1} of ${open.length}): ${result.message}\n`);
        }
        if (formatOf(cmd) === 'json') print(cmd, { DATA: results });
      });
    });

  task
    .command('update')
    .description("change an unfinished task's label or deadline")
    .argument('<task_id>')
    .option('--label <label>', 'new label')
    .option('--deadline <time>', 'new deadline (e.g. 2030-01-01 or "2030-01-01 12:00:00")')
    .action(async (id: string, opts, cmd: Command) => {
      if (opts.label === undefined && opts.deadline === undefined) throw new CliError('Give --label and/or --deadline', 2);
      await withTransfer(cmd, async (transfer) => {
        const data: { label?: string; deadline?: string } = {};
        if (opts.label !== undefined) data.label = opts.label;
        if (opts.deadline !== undefined) data.deadline = opts.deadline;
        print(cmd, await transfer.updateTask(taskId(id), data), () => 'Success');
      });
    });

  task
    .command('event-list')
    .description("a task's events, newest first")
    .argument('<task_id>')
    .addOption(new Option('--limit <n>', 'show at most this many').argParser(Number).default(10))
    .addOption(new Option('--filter-errors', 'only error events').conflicts('filterNonErrors'))
    .option('--filter-non-errors', 'only events that are not errors')
    .action(async (id: string, opts, cmd: Command) => {
      const filter = opts.filterErrors ? 'is_error:1' : opts.filterNonErrors ? 'is_error:0' : '';
      await withTransfer(cmd, async (transfer) => {
        const events = await transfer.paginateTaskEventList(taskId(id), { filter }).toArray(opts.limit);
        print(cmd, { DATA: events }, () => table(events.map((e: TaskEvent) => ({ Time: e.time, Code: e.code, 'Is Error': e.is_error, Details: e.details }))));
      });
    });

  task
    .command('pause-info')
    .description('why a task is paused')
    .argument('<task_id>')
    .action(async (id: string, _opts, cmd: Command) => {
      await withTransfer(cmd, async (transfer) => {
        const info = await transfer.taskPauseInfo(taskId(id));
        print(cmd, info, (i: PauseInfo) => {
          const messages = [i.source_pause_message, i.source_pause_message_share, i.destination_pause_message, i.destination_pause_message_share];
          if (i.pause_rules.length === 0 && messages.every((m) => m === null)) return `Task ${id} is not paused.`;
          const lines = messages.filter((m) => m !== null).map((m) => `Paused by an administrator: ${m}`);
          if (i.pause_rules.length)
            lines.push(
              table(i.pause_rules.map((r) => ({ 'Rule ID': r.id, Message: r.message, 'All Users': r.identity_id === null, Collection: r.endpoint_id }))),
            );
          return lines.join('\n');
        });
      });
    });

  task
    .command('generate-submission-id')
    .description('a submission id for an idempotent submission')
    .action(async (_opts, cmd: Command) => {
      await withTransfer(cmd, async (transfer) => print(cmd, await transfer.getSubmissionId(), (r) => r.value));
    });

  return task;
}
