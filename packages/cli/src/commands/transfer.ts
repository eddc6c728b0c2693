// `gatehouse transfer SRC_ID:PATH DST_ID:PATH`: submits a Transfer task between two collections (globus-cli's options and document), optionally waiting with progress.
import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { TransferData, type SyncLevel, type TransferDataOptions } from '@gatehouse/sdk';
import { CliError, print, readStdin } from '../output.ts';
import { withSession } from '../session.ts';
import { parseTarget } from './data.ts';
import { consentError, dataAccessTransferClient } from './collection-consent.ts';
import { waitAndExit } from './task.ts';

interface BatchLine {
  source: string;
  destination: string;
  recursive?: boolean;
}

/** Words of a batch line: whitespace-separated, with '…' / "…" quoting and backslash escapes, as a shell splits them. */
function splitLine(line: string): string[] {
  const out: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      word ??= '';
    } else if (ch === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i];
    } else if (/\s/.test(ch)) {
      if (word !== undefined) out.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (quote) throw new CliError(`Unterminated quote in batch line: ${line}`, 2);
  if (word !== undefined) out.push(word);
  return out;
}

/** `--batch` input: one `SOURCE DEST [--recursive|-r]` per line; blank lines and `#` comments skipped. */
export function parseBatch(text: string): BatchLine[] {
  const lines: BatchLine[] = [];
  for (const [n, raw] of text.split('\n').entries()) {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const words = splitLine(trimmed);
    const flags = words.filter((w) => w.startsWith('-'));
    const paths = words.filter((w) => !w.startsWith('-'));
    if (paths.length !== 2) throw new CliError(`Batch line ${n + 1}: expected SOURCE_PATH DEST_PATH, got ${raw}`, 2);
    const unknown = flags.filter((f) => !['-r', '--recursive', '--no-recursive'].includes(f));
    if (unknown.length) throw new CliError(`Batch line ${n + 1}: unknown option ${unknown[0]}`, 2);
    lines.push({
      source: paths[0],
      destination: paths[1],
      recursive: flags.includes('--no-recursive') ? false : flags.some((f) => f === '-r' || f === '--recursive') ? true : undefined,
    });
  }
  return lines;
}

/** A batch path below the command line's base path (as globus-cli joins them); no base: the path as written. */
const under = (base: string | undefined, p: string) => (base === undefined ? p : path.posix.join(base, p));

export function transferCommand(): Command {
  // --include and --exclude are one ordered list: the first rule that matches decides.
  const filterRules: Array<{ method: 'include' | 'exclude'; name: string }> = [];
  const rule = (method: 'include' | 'exclude') => (name: string) => {
    filterRules.push({ method, name });
    return name;
  };
  return new Command('transfer')
    .description('copy files or directories from one collection to another as a Transfer task')
    .argument('<source>', 'SOURCE_COLLECTION_ID[:PATH]')
    .argument('<destination>', 'DEST_COLLECTION_ID[:PATH]')
    .option('-r, --recursive', 'the source is a directory: copy its contents into the destination directory')
    .option('--no-recursive', 'the source is a file (default: decided by the server from the source)')
    .addOption(new Option('-s, --sync-level <level>', 'skip files already at the destination that match by …').choices(['exists', 'size', 'mtime', 'checksum']))
    .option('--verify-checksum', 'verify each copy by checksum (default)')
    .option('--no-verify-checksum', 'do not verify copies by checksum')
    .option('--preserve-timestamp', "set each destination file's modification time to the source's")
    .option('--label <label>', 'a label for the task')
    .option('--deadline <time>', 'fail the task if it has not finished by then (e.g. "2030-01-01 12:00:00")')
    .option('--batch <file>', 'more items, one "SOURCE_PATH DEST_PATH [--recursive]" per line, below the command-line paths (- for stdin)')
    .option('--include <glob>', 'during recursion, include names matching this (repeatable; ordered with --exclude)', rule('include'))
    .option('--exclude <glob>', 'during recursion, exclude names matching this (repeatable; ordered with --include)', rule('exclude'))
    .option('--skip-source-errors', 'skip source files that cannot be read or are missing instead of retrying')
    .option('--fail-on-quota-errors', 'fail the task when the destination runs out of quota')
    .option('--delete-destination-extra', 'delete destination files that are not in the source (recursive items)')
    .option('--dry-run', 'print the task document and do not submit it')
    .option('--wait', 'wait for the task to finish, with progress; exit 0 only if it SUCCEEDED')
    .addOption(new Option('--timeout <seconds>', 'with --wait: stop waiting after this long').argParser(Number))
    .addOption(new Option('--polling-interval <seconds>', 'with --wait: seconds between status checks').argParser(Number).default(1))
    .action(async (sourceArg: string, destinationArg: string, opts, cmd: Command) => {
      const source = parseTarget(sourceArg, false);
      const destination = parseTarget(destinationArg, false);
      const options: TransferDataOptions = {
        label: opts.label,
        deadline: opts.deadline,
        syncLevel: opts.syncLevel as SyncLevel | undefined,
        // globus-cli sends its boolean flags every time, verify_checksum defaulting to true.
        verifyChecksum: opts.verifyChecksum !== false,
        preserveTimestamp: opts.preserveTimestamp === true,
        skipSourceErrors: opts.skipSourceErrors === true,
        failOnQuotaErrors: opts.failOnQuotaErrors === true,
        deleteDestinationExtra: opts.deleteDestinationExtra === true,
      };
      const data = new TransferData(source.collectionId, destination.collectionId, options);
      if (opts.batch !== undefined) {
        const text = opts.batch === '-' ? await readStdin() : fs.readFileSync(opts.batch, 'utf8');
        for (const line of parseBatch(text)) {
          data.addItem(under(source.path, line.source), under(destination.path, line.destination), { recursive: line.recursive ?? opts.recursive });
        }
        if (data.DATA.length === 0) throw new CliError(`No items in ${opts.batch === '-' ? 'stdin' : opts.batch}`, 2);
      } else {
        if (source.path === undefined || destination.path === undefined) throw new CliError('Give SOURCE_ID:PATH and DEST_ID:PATH (or --batch)', 2);
        data.addItem(source.path, destination.path, { recursive: opts.recursive });
      }
      for (const r of filterRules) data.addFilterRule(r.name, { method: r.method, type: 'file' });

      if (opts.dryRun) {
        print(cmd, data, () => JSON.stringify(data, null, 2));
        return;
      }
      const ids = [source.collectionId, destination.collectionId];
      await withSession(cmd, async (session) => {
        try {
          const transfer = await dataAccessTransferClient(session, ids);
          const result = await transfer.submitTransfer(data);
          if (!opts.wait) {
            print(cmd, result, (r) => `Message: ${r.message}\nTask ID: ${r.task_id}`);
            return;
          }
          if (cmd.optsWithGlobals().format !== 'json') process.stdout.write(`Message: ${result.message}\nTask ID: ${result.task_id}\n`);
          await waitAndExit(cmd, transfer, result.task_id, {
            timeout: opts.timeout,
            pollingInterval: opts.pollingInterval,
            timeoutExitCode: 1,
            progress: true,
          });
        } catch (error) {
          throw consentError(cmd, error, ids, session);
        }
      });
    });
}
